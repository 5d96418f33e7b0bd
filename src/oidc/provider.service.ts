import { hkdfSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuditService } from '../audit/audit.service';
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Cron, Interval } from '@nestjs/schedule';
import { EntityManager, MikroORM, RequestContext } from '@mikro-orm/postgresql';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config';
import { sameSecret, tokenHash } from '../crypto/tokens';
import { IdentityService } from '../identity/identity.service';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { SessionsService } from '../identity/sessions.service';
import { BrowserCookie } from '../web/browser';
import { Renderer } from '../web/renderer';
import type { WebRequest } from '../web/request';
import { LOGGER } from '../web/tokens';
import { view } from '../web/view';
import { deleteExpiredPayloads, postgresAdapter } from './adapter';
import { ClientCache } from './client-cache';
import {
  ACR_IAL1,
  ACR_IAL2,
  CLAIMS_BY_SCOPE,
  IDENTITY_ASSURANCE_DISCOVERY,
  SCOPES,
  VERIFIED_IDENTITIES,
  asksForVerifiedIdentity,
  standardClaims,
  verifiedClaims,
  type VerifiedIdentities,
} from './claims';
import type { VerifiedIdentity } from '../verified-identity/verified-identity';
import { GrantsService } from './grants.service';
import { KEY_REFRESH_SECONDS, LIFETIMES } from './lifetimes';
import { OrganizationsService } from './organizations.service';
import { SigningKeysService } from './signing-keys.service';
import { routeOf } from '../web/logger';

/** Claims that come from a verified identity rather than the account. */
const IDENTITY_CLAIMS = new Set(['name', 'given_name', 'family_name', 'middle_name', 'birthdate', 'address', 'phone_number', 'verified_claims']);

/** An organization's Referee-specific settings, carried in its client metadata. */
export function organizationRules(client: unknown): { allowedClaims: Set<string>; requiresSsn: boolean } {
  const c = client as { allowedClaims?: string[]; allowed_claims?: string[]; requiresSsn?: boolean; requires_ssn?: boolean };
  return { allowedClaims: new Set(c.allowedClaims ?? c.allowed_claims ?? []), requiresSsn: !!(c.requiresSsn ?? c.requires_ssn) };
}

/** Why a verified identity cannot be shared with this organization, if it cannot. */
export function verificationProblem(params: Record<string, unknown>, requiresSsn: boolean, identity: VerifiedIdentity | null): 'unverified' | 'ssn_required' | undefined {
  if (!asksForVerifiedIdentity(params)) return undefined;
  if (!identity) return 'unverified';
  if (requiresSsn && !identity.ssnVerified) return 'ssn_required';
  return undefined;
}

/**
 * oidc-provider, configured for Referee and mounted at /oidc (see app.ts). All its state is
 * in PostgreSQL; the only thing each instance holds is the provider object itself, rebuilt
 * when the signing keys change (checked every KEY_REFRESH_SECONDS).
 */
@Injectable()
export class OidcProviderService implements OnModuleInit, OnModuleDestroy {
  private current?: { provider: Provider; callback: ReturnType<Provider['callback']>; fingerprint: string };
  private readonly clients: ClientCache;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly orm: MikroORM,
    private readonly em: EntityManager,
    private readonly organizations: OrganizationsService,
    private readonly keys: SigningKeysService,
    private readonly grants: GrantsService,
    private readonly identity: IdentityService,
    private readonly sessions: SessionsService,
    private readonly cookie: BrowserCookie,
    private readonly renderer: Renderer,
    @Inject(VERIFIED_IDENTITIES) private readonly verifiedIdentities: VerifiedIdentities,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly jobs: JobRunner,
    private readonly audit: AuditService,
  ) {
    this.clients = new ClientCache(config.databaseUrl, (err, message) => this.logger.warn({ err }, message));
  }

  async onModuleInit() {
    await this.keys.ensureKey();
    await this.reloadKeys();
  }

  async onModuleDestroy() {
    await this.clients.close();
  }

  get provider(): Provider {
    if (!this.current) throw new Error('the OpenID provider is not ready yet');
    return this.current.provider;
  }

  /** The Express handler mounted at /oidc: the provider's own app, with a database context per request. */
  handler() {
    return (req: IncomingMessage, res: ServerResponse) => {
      if (!this.current) {
        res.statusCode = 503;
        res.end();
        return;
      }
      const { callback } = this.current;
      RequestContext.create(this.orm.em, () => void callback(req, res));
    };
  }

  /** Re-reads the signing keys; a new provider takes over when they changed (a rotation, or a key activating or expiring). */
  @Interval(KEY_REFRESH_SECONDS * 1000)
  async reloadKeys(): Promise<void> {
    try {
      const keySet = await this.keys.keySet();
      if (this.current?.fingerprint === keySet.fingerprint) return;
      const provider = this.build(keySet.keys);
      this.current = { provider, callback: provider.callback(), fingerprint: keySet.fingerprint };
    } catch (error) {
      if (!this.current) throw error;
      this.logger.error({ err: error }, 'could not reload the OpenID provider signing keys');
    }
  }

  /** Removes expired codes, tokens, sessions and interactions, and keys no longer published; on one instance at a time. */
  @Cron(JOBS['openid-cleanup'].schedule, { name: 'openid-cleanup' })
  async cleanUp(): Promise<void> {
    await this.jobs.runExclusive('openid-cleanup', async () => {
      let deleted = 0;
      const em = this.em.fork();
      for (let batch = await deleteExpiredPayloads(em); batch > 0; batch = await deleteExpiredPayloads(em)) deleted += batch;
      const keys = await this.keys.deleteUnpublished();
      if (deleted || keys) this.logger.info({ deleted, keys }, 'expired OpenID provider state removed');
      return deleted + keys;
    });
  }

  /**
   * Tells each of these organizations that registered a back-channel logout URI that the
   * account `sub` is gone: a logout token (sub and the back-channel logout event, signed with
   * the provider's ID token keys) posted to that URI. Organizations without one are skipped.
   * Returns the client ids told and those whose endpoint failed.
   */
  async tellAccountDeleted(sub: string, clientIds: string[]): Promise<{ told: string[]; failed: string[] }> {
    const outcome = { told: [] as string[], failed: [] as string[] };
    for (const clientId of clientIds) {
      const client = await this.provider.Client.find(clientId);
      if (!client?.backchannelLogoutUri) continue;
      try {
        await (client as unknown as { backchannelLogout(sub: string, sid?: string): Promise<void> }).backchannelLogout(sub);
        outcome.told.push(clientId);
      } catch (error) {
        this.logger.warn({ err: error, clientId }, 'an organization did not accept the back-channel logout of a deleted account');
        outcome.failed.push(clientId);
      }
    }
    return outcome;
  }

  /** The signed-in Referee account of the browser making this request (null without a full, two-factor session). */
  async refereeAccountId(req: IncomingMessage): Promise<string | undefined> {
    const probe = { headers: req.headers } as WebRequest;
    const key = this.cookie.read(probe);
    if (!key) return undefined;
    probe.browserKey = key;
    await this.sessions.resolve(probe);
    return probe.viewer?.accountId;
  }

  private build(jwks: NonNullable<Configuration['jwks']>['keys']): Provider {
    const provider = new Provider(this.config.issuerUrl, this.configuration({ keys: jwks }));
    provider.proxy = this.config.trustProxy > 0;
    // Client secrets are kept as SHA-256 hashes (OrganizationsService); the presented one is hashed to compare.
    const Client = provider.Client as unknown as { prototype: { clientSecret?: string; compareClientSecret(actual: string): boolean } };
    Client.prototype.compareClientSecret = function compareClientSecret(actual: string) {
      return typeof this.clientSecret === 'string' && typeof actual === 'string' && sameSecret(this.clientSecret, tokenHash(actual));
    };
    provider.on('server_error', (ctx, error) => this.logger.error({ err: error, route: routeOf(ctx.req) }, 'OpenID provider error'));
    // After the provider answered the logout form: only "Yes" (logout=yes, the same test the
    // provider applies before destroying its session) ends the Referee session, and before the
    // response leaves, so the next page already shows the person signed out.
    provider.use(async (koa, next) => {
      await next();
      const ctx = koa as KoaContextWithOIDC;
      if (ctx.oidc?.route === 'end_session_confirm' && ctx.status === 303 && ctx.oidc.params?.logout) await this.endRefereeSession(ctx);
    });
    return provider;
  }

  private configuration(jwks: NonNullable<Configuration['jwks']>): Configuration {
    const cookieKey = Buffer.from(hkdfSync('sha256', this.config.sessionSecret, Buffer.alloc(0), 'referee oidc-provider cookies', 32)).toString('base64url');
    return {
      adapter: postgresAdapter(this.em, this.organizations, this.clients),
      jwks,
      cookies: {
        keys: [cookieKey],
        long: { signed: true, httpOnly: true, sameSite: 'lax' },
        short: { signed: true, httpOnly: true, sameSite: 'lax' },
      },
      claims: {
        acr: null,
        auth_time: null,
        sid: null,
        iss: null,
        ...Object.fromEntries(Object.entries(CLAIMS_BY_SCOPE).map(([scope, claims]) => [scope, [...claims]])),
      },
      scopes: SCOPES,
      acrValues: [ACR_IAL1, ACR_IAL2],
      responseTypes: ['code'],
      clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      clientDefaults: {
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
      enabledJWA: {
        clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        idTokenSigningAlgValues: ['RS256'],
        userinfoSigningAlgValues: ['RS256'],
        requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        introspectionSigningAlgValues: ['RS256'],
        authorizationSigningAlgValues: ['RS256'],
      },
      extraClientMetadata: { properties: ['allowed_claims', 'requires_ssn'] },
      allowOmittingSingleRegisteredRedirectUri: false,
      pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
      features: {
        devInteractions: { enabled: false },
        claimsParameter: { enabled: true },
        introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
        revocation: { enabled: true },
        userinfo: { enabled: true },
        resourceIndicators: { enabled: false },
        dPoP: { enabled: false },
        // OpenID Connect Back-Channel Logout 1.0: organizations that registered a URI hear when a
        // person signs out here, and when their account is deleted (tellAccountDeleted).
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx, form) => this.renderKoa(ctx, 'oidc/logout', { form, organization: ctx.oidc.client?.clientName }),
          postLogoutSuccessSource: async (ctx) => this.renderKoa(ctx, 'oidc/logged-out', { organization: ctx.oidc.client?.clientName }),
        },
      },
      discovery: { claim_types_supported: ['normal'], ...IDENTITY_ASSURANCE_DISCOVERY },
      ttl: {
        AuthorizationCode: LIFETIMES.AuthorizationCode,
        AccessToken: LIFETIMES.AccessToken,
        IdToken: LIFETIMES.IdToken,
        RefreshToken: LIFETIMES.RefreshToken,
        Interaction: LIFETIMES.Interaction,
        Grant: LIFETIMES.Grant,
        // The provider's session never outlives a Referee session (and is checked against it on every request).
        Session: this.config.sessionAbsoluteHours * 3600,
      },
      rotateRefreshToken: true,
      // Signing out revokes the session's tokens but keeps the consent (the Grant): it is the
      // person's standing permission, withdrawn at /account/organizations, not a sign-in state.
      revokeGrantPolicy: (ctx) => ctx.oidc.route !== 'end_session_confirm' && !(ctx.oidc.route === 'revocation' && ctx.oidc.entities.AccessToken),
      clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false,
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: this.policy() },
      loadExistingGrant: (ctx) => this.loadExistingGrant(ctx),
      findAccount: (ctx, sub) => this.findAccount(ctx, sub),
      renderError: async (ctx, out) =>
        this.renderKoa(ctx, 'oidc/error', { error: out.error, description: out.error_description }, ctx.status >= 400 ? ctx.status : 400),
    };
  }

  /**
   * The base policy (login, consent) plus Referee's rules: the provider's session must be the
   * browser's Referee session, and a verified identity, when asked for, must exist and suit
   * the organization before anything is released.
   */
  private policy() {
    const { Check, base } = interactionPolicy;
    const policy = base();
    policy.get('login')!.checks.add(
      // login_required, as for no session at all (a check added here gets interaction_required otherwise).
      new Check('referee_session', 'the Referee session ended or belongs to someone else', 'login_required', async (ctx) =>
        (await this.refereeAccountId(ctx.req)) === ctx.oidc.session!.accountId ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
      ),
    );
    policy.get('consent')!.checks.add(
      new Check('verified_identity', 'a verified identity is requested and cannot be shared yet', async (ctx) => {
        const { requiresSsn } = organizationRules(ctx.oidc.client);
        if (!asksForVerifiedIdentity(ctx.oidc.params as Record<string, unknown>)) return Check.NO_NEED_TO_PROMPT;
        const identity = await this.verifiedIdentities.findVerified(ctx.oidc.session!.accountId!);
        return verificationProblem(ctx.oidc.params as Record<string, unknown>, requiresSsn, identity) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
      }),
    );
    return policy;
  }

  /** Consent is remembered per account and organization, whatever the browser session. */
  private async loadExistingGrant(ctx: KoaContextWithOIDC) {
    const { oidc } = ctx;
    const accountId = oidc.session?.accountId;
    if (!accountId || !oidc.client) return undefined;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client.clientId) ?? (await this.grants.latestGrantId(accountId, oidc.client.clientId));
    if (!grantId) return undefined;
    const grant = await oidc.provider.Grant.find(grantId);
    return grant && grant.accountId === accountId && grant.clientId === oidc.client.clientId ? grant : undefined;
  }

  private async findAccount(ctx: KoaContextWithOIDC, sub: string) {
    // On the authorization endpoint the login check 'referee_session' (policy()) proves on every
    // request that the account exists, through its Referee session: no read here. The token and
    // userinfo endpoints read it (a deleted account gets no tokens and no claims).
    const deferred = ctx.oidc.route === 'authorization' || ctx.oidc.route === 'resume';
    let account = deferred ? undefined : await this.identity.claimsOf(sub);
    if (!deferred && !account) return undefined;
    return {
      accountId: sub,
      claims: async (use: string, scope: string, requested: Record<string, unknown> = {}) => {
        account ??= await this.identity.claimsOf(sub);
        if (!account) throw new errors.InvalidRequest('the account no longer exists');
        const { allowedClaims, requiresSsn } = organizationRules(ctx.oidc.client);
        const wanted = new Set([...scope.split(' ').flatMap((s) => [...(CLAIMS_BY_SCOPE[s as keyof typeof CLAIMS_BY_SCOPE] ?? [])]), ...Object.keys(requested)]);
        let identity = [...wanted].some((claim) => IDENTITY_CLAIMS.has(claim)) ? await this.verifiedIdentities.findVerified(sub) : null;
        // Never share an identity this organization does not accept (ITIN or passport where an SSN is required).
        if (identity && requiresSsn && !identity.ssnVerified) identity = null;
        const claims: Record<string, unknown> = standardClaims(account, identity);
        if (identity) {
          const verified = verifiedClaims(identity, allowedClaims, requested.verified_claims);
          if (verified) claims.verified_claims = verified;
        }
        for (const name of Object.keys(claims)) {
          const companionOf = name.endsWith('_verified') ? name.slice(0, -'_verified'.length) : name;
          if (name !== 'sub' && !allowedClaims.has(name) && !allowedClaims.has(companionOf)) delete claims[name];
        }
        await this.recordRelease(sub, ctx.oidc.client?.clientId, use, claims);
        return claims as { sub: string };
      },
    };
  }

  /**
   * What an organization received (in an ID token or from userinfo), for the person's "Who saw
   * my data": the claim names only, never their values.
   */
  private async recordRelease(accountId: string, clientId: string | undefined, use: string, claims: Record<string, unknown>) {
    const names = Object.keys(claims).filter((name) => name !== 'sub' && !name.endsWith('_verified'));
    const verified = claims.verified_claims as { claims?: Record<string, unknown> } | undefined;
    const verifiedNames = verified?.claims ? Object.keys(verified.claims) : [];
    await this.audit.record({ action: 'organization.claims_released', actorId: accountId, subject: clientId, details: { use, claims: names, verifiedClaims: verifiedNames } });
  }

  /** A person who confirmed on our page that they sign out (logout=yes) is signed out of Referee too. */
  private async endRefereeSession(ctx: KoaContextWithOIDC) {
    try {
      const probe = { headers: ctx.req.headers } as WebRequest;
      const key = this.cookie.read(probe);
      if (!key) return;
      probe.browserKey = key;
      // Only the session row goes; the response is on its way, so no new cookie is set.
      await RequestContext.create(this.orm.em, () => this.sessions.end(probe, { append: () => undefined } as never));
    } catch (error) {
      this.logger.warn({ err: error }, 'could not end the Referee session after an OpenID logout');
    }
  }

  /** Renders one of our pages from inside the provider (errors, logout), in Referee's layout. */
  private renderKoa(ctx: KoaContextWithOIDC, template: string, context: Record<string, unknown>, status = 200) {
    const req = Object.create(ctx.req, { path: { value: ctx.path }, browserKey: { value: undefined }, viewer: { value: undefined } }) as WebRequest;
    const page = this.renderer.render(req, view(template, context, status));
    ctx.status = page.status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = page.html;
  }
}

export { errors };
