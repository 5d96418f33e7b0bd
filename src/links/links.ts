import type { EntityManager } from '@mikro-orm/postgresql';
import { randomToken, tokenHash } from '../crypto/tokens';
import { Link, type LastingPurpose, type LinkPurpose, type SingleUsePurpose } from './link.entity';
import { markLinkUsed } from './links.queries';

/**
 * Links handed out to a person: email confirmation, password reset, Save & Exit resume
 * codes and the link that cancels an account recovery work once; a Take Photo link works
 * for every upload until it expires. A token of 256 random bits is handed out once (in the
 * email or text message) and stored only as its SHA-256; it works for one purpose and one
 * account (and case), and only until it expires. Every function works in the caller's
 * EntityManager, so in the caller's transaction.
 */

/** randomToken(): 256 bits, base64url. Anything else is no token of ours and costs no query. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export type LinkOwner = { accountId: string; caseId?: string };

/** A new link for `owner`; returns the token, the one time it exists. Saved with the caller's next flush. */
export function issueLink(
  em: EntityManager,
  purpose: LinkPurpose,
  owner: LinkOwner,
  lifetimeMs: number,
  shown: { phoneLast4?: string } = {},
): string {
  const token = randomToken();
  em.create(Link, {
    purpose,
    account: owner.accountId,
    verificationCase: owner.caseId,
    tokenHash: tokenHash(token),
    phoneLast4: shown.phoneLast4,
    expiresAt: new Date(Date.now() + lifetimeMs),
  });
  return token;
}

/**
 * The link this token names for this purpose, whether used or expired or not (a page may
 * tell "used or expired" from "unknown": see `isUsable`); null when there is none.
 */
export async function findLink(
  em: EntityManager,
  purpose: LinkPurpose,
  token: unknown,
  options: { withAccount?: boolean } = {},
): Promise<Link | null> {
  if (typeof token !== 'string' || !TOKEN.test(token)) return null;
  return em.findOne(Link, { tokenHash: tokenHash(token), purpose }, options.withAccount ? { populate: ['account'] } : {});
}

export function isUsable(link: Link): boolean {
  return !link.usedAt && link.expiresAt.getTime() > Date.now();
}

/** A lasting link (never used up) while it has not expired; null otherwise. */
export async function openLink(em: EntityManager, purpose: LastingPurpose, token: unknown): Promise<Link | null> {
  const link = await findLink(em, purpose, token);
  return link && isUsable(link) ? link : null;
}

/** The case's newest link of this purpose that still works. */
export async function newestLink(em: EntityManager, purpose: LastingPurpose, caseId: string): Promise<Link | null> {
  return em.findOne(Link, { purpose, verificationCase: caseId, usedAt: null, expiresAt: { $gt: new Date() } }, { orderBy: { createdAt: 'desc' } });
}

/**
 * Uses a single-use link: one conditional update, so of two simultaneous uses exactly one
 * succeeds. With `accountId`, only that account's link is used (another's stays usable).
 * Returns whose link it was, or null: unknown, another purpose or account, used, or expired.
 */
export async function useLink(em: EntityManager, purpose: SingleUsePurpose, token: unknown, accountId?: string): Promise<LinkOwner | null> {
  if (typeof token !== 'string' || !TOKEN.test(token)) return null;
  const used = await markLinkUsed(em, tokenHash(token), purpose, accountId);
  if (!used) return null;
  return { accountId: used.accountId, caseId: used.caseId ?? undefined };
}

/** Ends every link of this purpose the account has not used yet (a newer one replaces them, or what they were for is done). */
export async function endLinks(em: EntityManager, purpose: SingleUsePurpose, accountId: string): Promise<number> {
  return em.nativeUpdate(Link, { account: accountId, purpose, usedAt: null }, { usedAt: new Date() });
}
