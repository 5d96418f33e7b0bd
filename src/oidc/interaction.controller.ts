import { Body, Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { InteractionResults } from 'oidc-provider';
import type { WebRequest } from '../web/request';
import { redirect, view } from '../web/view';
import {
  ACR_IAL1,
  ACR_IAL2,
  VERIFIED_IDENTITIES,
  asksForVerifiedIdentity,
  describeRequest,
  describeVerifiedClaims,
  type VerifiedIdentities,
} from './claims';
import type { Organization } from './organization.entity';
import { OrganizationsService } from './organizations.service';
import { ReturnsService } from './returns.service';
import { OidcProviderService, errors, verificationProblem } from './provider.service';

type Details = Awaited<ReturnType<OidcProviderService['provider']['interactionDetails']>>;

/** Why an organization did not get what it asked for, as it reads it (error_description): protocol text for its developers, in English like the rest of OAuth's. */
const REFUSALS = {
  deny: 'The person did not allow Referee to share their information.',
  unverified: 'The person has not verified their identity with Referee.',
  ssn_required: 'This organization requires an identity verified with a Social Security number; this person verified without one.',
};

/**
 * The provider's interactions: sign-in (through Referee's own sign-in and second factor),
 * verification when a verified identity is asked for, and consent ("Allow" or "Deny").
 *
 * After a form is posted we never redirect off-site: the answer is a page that moves on to
 * the provider (and from there to the organization) with a meta refresh, so the strict
 * `form-action 'self'` of our CSP holds (Chromium applies it to a form's whole redirect chain).
 */
@Controller('interaction')
export class InteractionController {
  constructor(
    private readonly oidc: OidcProviderService,
    private readonly organizations: OrganizationsService,
    private readonly returns: ReturnsService,
    @Inject(VERIFIED_IDENTITIES) private readonly verifiedIdentities: VerifiedIdentities,
  ) {}

  @Get(':uid')
  async show(@Param('uid') uid: string, @Req() req: WebRequest, @Res({ passthrough: true }) res: Response) {
    const found = await this.load(uid, req, res);
    if (!found) return this.expired(uid, req);
    const { details, organization } = found;
    const viewer = req.viewer;
    if (!viewer) return redirect(`/sign-in?next=${encodeURIComponent(`/interaction/${uid}/login`)}`);
    if (details.prompt.name === 'login') {
      const blocked = await this.cannotLogIn(details, organization, viewer.accountId);
      return blocked ?? redirect(await this.logIn(details, req, res)); // a GET chain: no form involved
    }
    if (viewer.accountId !== details.session?.accountId) return this.refuse(req, res, organization, 'login_required', 'The person signed in to Referee changed during the request.');
    if (organization.logoUri) allowImagesFrom(res, organization.logoUri);
    return this.consentPage(details, organization, viewer.accountId);
  }

  /** Where sign-in (and the second factor) brings the person back. */
  @Get(':uid/login')
  async afterSignIn(@Param('uid') uid: string, @Req() req: WebRequest, @Res({ passthrough: true }) res: Response) {
    const found = await this.load(uid, req, res);
    if (!found) return this.expired(uid, req);
    if (!req.viewer) return redirect(`/sign-in?next=${encodeURIComponent(`/interaction/${uid}/login`)}`);
    if (found.details.prompt.name !== 'login') return redirect(`/interaction/${uid}`);
    const blocked = await this.cannotLogIn(found.details, found.organization, req.viewer.accountId);
    if (blocked) return blocked;
    return continueTo(await this.logIn(found.details, req, res), found.organization);
  }

  @Post(':uid/allow')
  async allow(@Param('uid') uid: string, @Req() req: WebRequest, @Res({ passthrough: true }) res: Response) {
    const found = await this.load(uid, req, res);
    if (!found) return expired();
    const { details, organization } = found;
    const accountId = req.viewer?.accountId;
    if (!accountId || details.prompt.name !== 'consent' || accountId !== details.session?.accountId) return redirect(`/interaction/${uid}`);
    // The state may have changed since the page was shown (another tab, a stale form): check again.
    const identity = await this.verifiedIdentities.findVerified(accountId);
    if (verificationProblem(details.params, organization.requiresSsn, identity)) return redirect(`/interaction/${uid}`);

    const { Grant } = this.oidc.provider;
    const grant = (details.grantId && (await Grant.find(details.grantId))) || new Grant({ accountId, clientId: organization.clientId });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    const returnTo = await this.oidc.provider.interactionResult(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    await this.returns.clear(accountId);
    return continueTo(returnTo, organization);
  }

  @Post(':uid/deny')
  async deny(@Param('uid') uid: string, @Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Body() form: Record<string, unknown>) {
    const found = await this.load(uid, req, res);
    if (!found) return expired();
    const reason = form.reason === 'unverified' || form.reason === 'ssn_required' ? form.reason : 'deny';
    // Back at the organization, told why: nothing waits for this person any more (no banner, no "Return to").
    if (req.viewer) await this.returns.clear(req.viewer.accountId);
    return this.refuse(req, res, found.organization, 'access_denied', REFUSALS[reason]);
  }

  /** A request no longer open here; if it was the one someone verified for, back to its organization's own sign-in. */
  private async expired(uid: string, req: WebRequest) {
    if (req.viewer) {
      const pending = await this.returns.pending(req.viewer.accountId);
      if (pending?.interactionUid === uid) {
        await this.returns.forgetInteraction(req.viewer.accountId);
        return redirect('/return-to-organization');
      }
    }
    return expired();
  }

  private async load(uid: string, req: WebRequest, res: Response): Promise<{ details: Details; organization: Organization } | undefined> {
    let details: Details;
    try {
      details = await this.oidc.provider.interactionDetails(req, res);
    } catch (error) {
      if (error instanceof errors.SessionNotFound) return undefined;
      throw error;
    }
    if (details.uid !== uid) return undefined;
    const organization = await this.organizations.findByClientId(String(details.params.client_id));
    return organization ? { details, organization } : undefined;
  }

  private async logIn(details: Details, req: WebRequest, res: Response): Promise<string> {
    const viewer = req.viewer!;
    const identity = await this.verifiedIdentities.findVerified(viewer.accountId);
    const authenticatedAt = (viewer as { authenticatedAt?: Date }).authenticatedAt;
    const login: InteractionResults['login'] = {
      accountId: viewer.accountId,
      acr: identity ? ACR_IAL2 : ACR_IAL1,
      remember: false, // the Referee session is what keeps someone signed in
      ...(authenticatedAt ? { ts: Math.floor(authenticatedAt.getTime() / 1000) } : {}),
    };
    return this.oidc.provider.interactionResult(req, res, { login }, { mergeWithLastSubmission: false });
  }

  /**
   * An organization that insists on IAL2 (essential acr) cannot be satisfied by signing in
   * again: the person must verify first, or the organization is told so.
   */
  private async cannotLogIn(details: Details, organization: Organization, accountId: string) {
    const reasons = details.prompt.reasons;
    if (!reasons.includes('essential_acr') && !reasons.includes('essential_acrs')) return undefined;
    if (!(await this.verifiedIdentities.findVerified(accountId))) {
      await this.returns.remember(accountId, organization, details.uid);
      return view('oidc/verify-first', { organization, uid: details.uid });
    }
    return undefined;
  }

  private async consentPage(details: Details, organization: Organization, accountId: string) {
    const identity = await this.verifiedIdentities.findVerified(accountId);
    switch (verificationProblem(details.params, organization.requiresSsn, identity)) {
      case 'unverified':
        await this.returns.remember(accountId, organization, details.uid);
        return view('oidc/verify-first', { organization, uid: details.uid });
      case 'ssn_required':
        return view('oidc/ssn-required', { organization, uid: details.uid });
    }
    const allowed = new Set(organization.allowedClaims);
    const scopes = String(details.params.scope ?? '').split(' ');
    const verified = asksForVerifiedIdentity(details.params);
    const shared = describeRequest(scopes, claimsParameterNames(details.params.claims), allowed, verified);
    return view('oidc/consent', {
      organization,
      uid: details.uid,
      shared,
      verified: verified ? describeVerifiedClaims(allowed) : undefined,
      offline: scopes.includes('offline_access'),
    });
  }

  private async refuse(req: WebRequest, res: Response, organization: Organization, error: string, description: string) {
    const returnTo = await this.oidc.provider.interactionResult(req, res, { error, error_description: description }, { mergeWithLastSubmission: false });
    return continueTo(returnTo, organization);
  }
}

function claimsParameterNames(claims: unknown): string[] {
  if (typeof claims !== 'string') return [];
  try {
    const parsed = JSON.parse(claims) as Record<string, Record<string, unknown> | undefined>;
    return [...Object.keys(parsed.userinfo ?? {}), ...Object.keys(parsed.id_token ?? {})];
  } catch {
    return [];
  }
}

/** The organization's logo is on its own site: this page's CSP lets images come from there (and nothing else changes). */
function allowImagesFrom(res: Response, url: string) {
  const csp = res.getHeader('Content-Security-Policy');
  const origin = URL.parse(url)?.origin;
  if (typeof csp === 'string' && origin && origin !== 'null') res.setHeader('Content-Security-Policy', csp.replace(/img-src ([^;]*)/, `img-src $1 ${origin}`));
}

const expired = () => view('oidc/expired', {}, 400);
/** `destination`, not `returnTo`: every page's context has a returnTo of its own (the language switcher's). */
const continueTo = (destination: string, organization: Organization) => view('oidc/continue', { destination, organization });
