import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

/**
 * Marks a single-use link used: one conditional update, so of two simultaneous uses exactly
 * one gets a row. With `accountId`, only that account's link. Returns whose link it was.
 */
export async function markLinkUsed(
  em: EntityManager,
  tokenHash: string,
  purpose: string,
  accountId?: string,
): Promise<{ accountId: string; caseId: string | null } | undefined> {
  const rows = await sql<{ account_id: string; verification_case_id: string | null }>(
    em,
    `update link set used_at = now()
     where token_hash = ? and purpose = ? and used_at is null and expires_at > now()${accountId ? ' and account_id = ?' : ''}
     returning account_id, verification_case_id`,
    accountId ? [tokenHash, purpose, accountId] : [tokenHash, purpose],
  );
  return rows[0] ? { accountId: rows[0].account_id, caseId: rows[0].verification_case_id } : undefined;
}
