import type { EntityManager } from '@mikro-orm/postgresql';
import { randomToken, tokenHash } from '../crypto/tokens';
import { SingleUseLink, type LinkPurpose } from './single-use-link.entity';

/**
 * Single-use links: email confirmation, password reset, Save & Exit resume codes and the
 * link that cancels an account recovery.
 * A token of 256 random bits is handed out once (in the email) and stored only as its
 * SHA-256; it works for one purpose and one account, until it expires, at most once.
 * Every function works in the caller's EntityManager, so in the caller's transaction.
 */

/** randomToken(): 256 bits, base64url. Anything else is no token of ours and costs no query. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export type LinkOwner = { accountId: string; caseId?: string };

/** A new link for `owner`; returns the token, the one time it exists. Saved with the caller's next flush. */
export function issueLink(em: EntityManager, purpose: LinkPurpose, owner: LinkOwner, lifetimeMs: number): string {
  const token = randomToken();
  em.create(SingleUseLink, {
    purpose,
    account: owner.accountId,
    verificationCase: owner.caseId,
    tokenHash: tokenHash(token),
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
): Promise<SingleUseLink | null> {
  if (typeof token !== 'string' || !TOKEN.test(token)) return null;
  return em.findOne(SingleUseLink, { tokenHash: tokenHash(token), purpose }, options.withAccount ? { populate: ['account'] } : {});
}

export function isUsable(link: SingleUseLink): boolean {
  return !link.usedAt && link.expiresAt.getTime() > Date.now();
}

/**
 * Uses the link: one conditional update, so of two simultaneous uses exactly one succeeds.
 * With `accountId`, only that account's link is used (another's stays usable). Returns
 * whose link it was, or null: unknown, another purpose or account, used, or expired.
 */
export async function useLink(em: EntityManager, purpose: LinkPurpose, token: unknown, accountId?: string): Promise<LinkOwner | null> {
  if (typeof token !== 'string' || !TOKEN.test(token)) return null;
  const rows = await em.execute<{ account_id: string; verification_case_id: string | null }[]>(
    `update single_use_link set used_at = now()
     where token_hash = ? and purpose = ? and used_at is null and expires_at > now()${accountId ? ' and account_id = ?' : ''}
     returning account_id, verification_case_id`,
    accountId ? [tokenHash(token), purpose, accountId] : [tokenHash(token), purpose],
  );
  if (rows.length === 0) return null;
  return { accountId: rows[0].account_id, caseId: rows[0].verification_case_id ?? undefined };
}

/** Ends every link of this purpose the account has not used yet (a newer one replaces them, or what they were for is done). */
export async function endLinks(em: EntityManager, purpose: LinkPurpose, accountId: string): Promise<number> {
  return em.nativeUpdate(SingleUseLink, { account: accountId, purpose, usedAt: null }, { usedAt: new Date() });
}
