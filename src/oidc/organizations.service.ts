import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { AdapterPayload } from 'oidc-provider';
import { randomToken, tokenHash } from '../crypto/tokens';
import { CLAIMS, SCOPES } from './claims';
import { AUTH_METHODS, Organization, type TokenEndpointAuthMethod } from './organization.entity';
import { clientOf } from './organizations.queries';

export interface OrganizationInput {
  name: string;
  redirectUris: string[];
  logoUri?: string;
  postLogoutRedirectUris?: string[];
  initiateLoginUri?: string;
  /** Where it is told that a person deleted their account (OpenID Connect Back-Channel Logout 1.0). */
  backchannelLogoutUri?: string;
  allowedScopes?: string[];
  allowedClaims?: string[];
  requiresSsn?: boolean;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  jwks?: { keys: Record<string, unknown>[] };
  jwksUri?: string;
}

/** The admin page's fields an error can be about (others, like JWKS, are set with `npm run org` only). */
export type OrganizationField = 'name' | 'redirectUris' | 'logoUri' | 'initiateLoginUri';

/**
 * Input an organization cannot be saved with. The message (English) is for `npm run org`;
 * the admin page shows `key` (a catalog key) next to `field`.
 */
export class OrganizationInputError extends Error {
  constructor(
    message: string,
    readonly key = 'oidc.admin.errors.invalid',
    readonly field: OrganizationField = 'name',
  ) {
    super(message);
  }
}

const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'address', 'verified_identity'];

/** A URL an organization registers: https, or http on this machine only (development); no fragment. */
function checkUrl(value: string, what: string, allowHttp = false, field?: OrganizationField): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OrganizationInputError(`${what} must be an absolute URL, got "${value}"`, 'oidc.admin.errors.absoluteUrl', field);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (loopback || allowHttp))) {
    throw new OrganizationInputError(`${what} must use https (http only for localhost), got "${value}"`, 'oidc.admin.errors.https', field);
  }
  if (url.hash || value.includes('#')) throw new OrganizationInputError(`${what} must not have a fragment, got "${value}"`, 'oidc.admin.errors.fragment', field);
  return value;
}

/** Organizations (OpenID Connect clients): created by `npm run org`, read by the provider on every request. */
@Injectable()
export class OrganizationsService {
  constructor(private readonly em: EntityManager) {}

  /** Validates and stores a new organization; the client secret is returned here only (we keep its hash). */
  async create(input: OrganizationInput): Promise<{ organization: Organization; clientSecret?: string }> {
    const fields = this.validate(input);
    const clientSecret = fields.tokenEndpointAuthMethod.startsWith('client_secret_') ? randomToken(32) : undefined;
    const organization = this.em.create(Organization, {
      ...fields,
      clientId: randomToken(18),
      clientSecretHash: clientSecret ? tokenHash(clientSecret) : undefined,
    });
    await this.em.flush();
    return { organization, clientSecret };
  }

  /**
   * Creates or brings up to date an organization whose credentials are chosen by the caller
   * (the demo organization, registered at every start). One statement: safe when two
   * instances start at once. `ownOrigin`: its URLs are on Referee's own BASE_URL, which may be http.
   */
  async ensure(clientId: string, clientSecret: string, input: OrganizationInput, { ownOrigin = false } = {}): Promise<void> {
    const fields = this.validate(input, ownOrigin);
    const now = new Date();
    await this.em.fork().upsert(
      Organization,
      { id: randomUUID(), clientId, ...fields, clientSecretHash: tokenHash(clientSecret), createdAt: now, updatedAt: now },
      { onConflictFields: ['clientId'], onConflictExcludeFields: ['id', 'createdAt'] },
    );
  }

  /** Changes some fields (the client id and secret stay). */
  async update(clientId: string, changes: Partial<OrganizationInput>): Promise<Organization> {
    const organization = await this.em.findOneOrFail(Organization, { clientId });
    const fields = this.validate({ ...this.toInput(organization), ...changes });
    if (fields.tokenEndpointAuthMethod !== organization.tokenEndpointAuthMethod) {
      throw new OrganizationInputError('the client authentication method cannot change; create a new organization');
    }
    this.em.assign(organization, { ...fields, updatedAt: new Date() });
    await this.em.flush();
    return organization;
  }

  list(): Promise<Organization[]> {
    return this.em.find(Organization, {}, { orderBy: { name: 'asc' } });
  }

  findByClientId(clientId: string): Promise<Organization | null> {
    return this.em.findOne(Organization, { clientId });
  }

  /** The client as oidc-provider wants it (its Client model's adapter). */
  async clientMetadata(clientId: string): Promise<AdapterPayload | undefined> {
    // Read on a cache miss (ClientCache): one plain query, no entity to hydrate or track.
    const org = await clientOf(this.em, clientId);
    if (!org) return undefined;
    return {
      client_id: org.clientId,
      client_name: org.name,
      ...(org.logoUri ? { logo_uri: org.logoUri } : {}),
      redirect_uris: org.redirectUris,
      post_logout_redirect_uris: org.postLogoutRedirectUris,
      ...(org.backchannelLogoutUri ? { backchannel_logout_uri: org.backchannelLogoutUri } : {}),
      response_types: ['code'],
      grant_types: org.allowedScopes.includes('offline_access') ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      scope: org.allowedScopes.join(' '),
      token_endpoint_auth_method: org.tokenEndpointAuthMethod,
      // The SHA-256 of the secret: OidcProviderService compares hashes (Client#compareClientSecret).
      ...(org.clientSecretHash ? { client_secret: org.clientSecretHash } : {}),
      ...(org.jwks ? { jwks: org.jwks } : {}),
      ...(org.jwksUri ? { jwks_uri: org.jwksUri } : {}),
      id_token_signed_response_alg: 'RS256',
      allowed_claims: org.allowedClaims,
      requires_ssn: org.requiresSsn,
    };
  }

  private toInput(org: Organization): OrganizationInput {
    return {
      name: org.name,
      redirectUris: org.redirectUris,
      logoUri: org.logoUri,
      postLogoutRedirectUris: org.postLogoutRedirectUris,
      initiateLoginUri: org.initiateLoginUri,
      backchannelLogoutUri: org.backchannelLogoutUri,
      allowedScopes: org.allowedScopes,
      allowedClaims: org.allowedClaims,
      requiresSsn: org.requiresSsn,
      tokenEndpointAuthMethod: org.tokenEndpointAuthMethod,
      jwks: org.jwks,
      jwksUri: org.jwksUri,
    };
  }

  private validate(input: OrganizationInput, allowHttp = false) {
    const name = input.name?.trim();
    if (!name || name.length > 200) throw new OrganizationInputError('name is required (at most 200 characters)', 'oidc.admin.errors.name', 'name');
    if (!input.redirectUris?.length) throw new OrganizationInputError('at least one redirect URI is required', 'oidc.admin.errors.redirectUris', 'redirectUris');
    const method = input.tokenEndpointAuthMethod ?? 'client_secret_basic';
    if (!AUTH_METHODS.includes(method)) throw new OrganizationInputError(`auth method must be one of ${AUTH_METHODS.join(', ')}`);
    if (method === 'private_key_jwt' && !input.jwks && !input.jwksUri) throw new OrganizationInputError('private_key_jwt needs a JWKS or a JWKS URI');
    const scopes = [...new Set(['openid', ...(input.allowedScopes ?? DEFAULT_SCOPES)])];
    const unknownScope = scopes.find((scope) => !SCOPES.includes(scope));
    if (unknownScope) throw new OrganizationInputError(`unknown scope "${unknownScope}" (known: ${SCOPES.join(', ')})`);
    const claims = [...new Set(input.allowedClaims ?? CLAIMS)];
    const unknownClaim = claims.find((claim) => !CLAIMS.includes(claim as never));
    if (unknownClaim) throw new OrganizationInputError(`unknown claim "${unknownClaim}" (known: ${CLAIMS.join(', ')})`);
    return {
      name,
      redirectUris: input.redirectUris.map((uri) => checkUrl(uri, 'redirect URI', allowHttp, 'redirectUris')),
      logoUri: input.logoUri ? checkUrl(input.logoUri, 'logo URL', false, 'logoUri') : undefined,
      postLogoutRedirectUris: (input.postLogoutRedirectUris ?? []).map((uri) => checkUrl(uri, 'post-logout redirect URI', allowHttp)),
      initiateLoginUri: input.initiateLoginUri ? checkUrl(input.initiateLoginUri, 'initiate-login URI', allowHttp, 'initiateLoginUri') : undefined,
      backchannelLogoutUri: input.backchannelLogoutUri ? checkUrl(input.backchannelLogoutUri, 'back-channel logout URI', allowHttp) : undefined,
      allowedScopes: scopes,
      allowedClaims: claims,
      requiresSsn: !!input.requiresSsn,
      tokenEndpointAuthMethod: method,
      jwks: input.jwks,
      jwksUri: input.jwksUri ? checkUrl(input.jwksUri, 'JWKS URI') : undefined,
    };
  }
}
