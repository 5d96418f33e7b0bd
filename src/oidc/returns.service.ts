import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Organization } from './organization.entity';
import { PendingReturn } from './pending-return.entity';
import { clientOfOpenRequest } from './returns.queries';

/** A local path that continues an authorization request: `/interaction/<uid>` or `/interaction/<uid>/login`. */
const REQUEST_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,100})(?:\/login)?$/;

/** Where "continue where the organization's request left off" leads. */
export type WayBack =
  /** The request is still open: into it (sign-in, then consent or "verify first"). */
  | { to: string }
  /** It expired (or waits in another browser): a page that links to the organization's registered start address, if it has one. */
  | { organization: Organization; startUrl?: string };

/**
 * The way back to the organization that sent someone to Referee, across every detour: the
 * email confirmation (maybe in another browser, days later), the second factor's setup, the
 * whole verification. The organization is remembered per account (PendingReturn, from
 * sign-up or from the "verify first" page) and always named from its registered record,
 * never from text in an address; the way back only ever leads to a Referee page or to an
 * address the organization registered.
 */
@Injectable()
export class ReturnsService {
  constructor(private readonly em: EntityManager) {}

  /** The organization whose open request `next` (a local path) continues, if it does. */
  async organizationOfRequest(next: unknown): Promise<Organization | undefined> {
    const uid = requestUid(next);
    const clientId = uid && (await clientOfOpenRequest(this.em, uid));
    return clientId ? ((await this.em.findOne(Organization, { clientId })) ?? undefined) : undefined;
  }

  /** At sign-up from an organization's request: the new account remembers it (the confirmation may be opened anywhere). */
  async rememberRequest(accountId: string, next: unknown): Promise<void> {
    const organization = await this.organizationOfRequest(next);
    if (organization) await this.remember(accountId, organization, requestUid(next)!);
  }

  /** Remembers which organization sent this person (and the request waiting in this browser). */
  async remember(accountId: string, organization: Organization, interactionUid: string): Promise<void> {
    await this.em.upsert(PendingReturn, { account: accountId, organization, interactionUid, createdAt: new Date() });
  }

  /** The organization waiting for this person, if any. */
  pending(accountId: string): Promise<PendingReturn | null> {
    return this.em.findOne(PendingReturn, { account: accountId }, { populate: ['organization'] });
  }

  /** The waiting request is gone (finished, expired or in another browser): only the organization remains. */
  async forgetInteraction(accountId: string): Promise<void> {
    await this.em.nativeUpdate(PendingReturn, { account: accountId }, { interactionUid: null });
  }

  /** The person went back to the organization (Allow, or told it why not): nothing waits any more. */
  async clear(accountId: string): Promise<void> {
    await this.em.nativeDelete(PendingReturn, { account: accountId });
  }

  /**
   * Where to go once signed in again (after confirming the email): into the waiting request,
   * which sends the person on to the way back if it is no longer open in this browser; or
   * straight to the way back. None when no organization is waiting.
   */
  async continuePath(accountId: string): Promise<string | undefined> {
    const pending = await this.pending(accountId);
    if (!pending) return undefined;
    return pending.interactionUid ? `/interaction/${pending.interactionUid}/login` : '/return-to-organization';
  }

  /** The one rule: into the request while it is open, else a page pointing at the organization's registered start address. */
  async wayBack(accountId: string, issuer: string): Promise<WayBack | undefined> {
    const pending = await this.pending(accountId);
    if (!pending) return undefined;
    if (pending.interactionUid && (await clientOfOpenRequest(this.em, pending.interactionUid))) return { to: `/interaction/${pending.interactionUid}` };
    return { organization: pending.organization, startUrl: startUrlOf(pending.organization, issuer) };
  }
}

/** The uid of the authorization request a local path continues. */
export function requestUid(next: unknown): string | undefined {
  return typeof next === 'string' ? REQUEST_PATH.exec(next)?.[1] : undefined;
}

/**
 * Where the organization starts a sign-in itself (OpenID Connect Core §4, initiate_login_uri,
 * with `iss`): only the address it registered, and only http(s).
 */
export function startUrlOf(organization: Organization, issuer: string): string | undefined {
  const url = organization.initiateLoginUri ? URL.parse(organization.initiateLoginUri) : null;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
  url.searchParams.set('iss', issuer);
  return url.toString();
}
