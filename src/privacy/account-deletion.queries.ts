import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';

/** Accounts whose deletion is due at `now`, the longest due first. */
export async function dueDeletions(em: EntityManager, now: Date, limit: number): Promise<string[]> {
  const rows = await sql<{ account_id: string }>(em, 'select account_id from account_deletion where due_at <= ? order by due_at limit ?', [now, limit]);
  return rows.map((row) => row.account_id);
}

/**
 * Locks this account's deletion for the caller's transaction, if it is still due (not
 * cancelled meanwhile) and no one else holds it; false otherwise.
 */
export async function lockDueDeletion(em: EntityManager, accountId: string, now: Date): Promise<boolean> {
  const rows = await sql<{ account_id: string }>(em, 'select account_id from account_deletion where account_id = ? and due_at <= ? for update skip locked', [accountId, now]);
  return rows.length === 1;
}

/** The organizations (client ids) this account ever consented to share with: who may hold its claims. */
export async function organizationsGivenClaims(em: EntityManager, accountId: string): Promise<string[]> {
  const rows = await sql<{ client_id: string }>(em,
    `select distinct payload->>'clientId' as client_id from oidc_payload
     where account_id = ? and payload->>'clientId' is not null`,
    [accountId],
  );
  return rows.map((row) => row.client_id);
}

/**
 * Revokes what lets an organization act for this account now: its codes, access and refresh
 * tokens, and the provider's sessions (the next sign-in through an organization comes back to
 * Referee's pages). The consents (Grant rows) stay while the deletion may still be cancelled.
 */
export async function revokeOpenIdTokens(em: EntityManager, accountId: string): Promise<number> {
  return sqlRun(em,
    `delete from oidc_payload where account_id = ? and model in ('AuthorizationCode', 'AccessToken', 'RefreshToken', 'Session', 'BackchannelAuthenticationRequest', 'DeviceCode')`,
    [accountId],
  );
}

/**
 * Every OpenID provider row about this account: its grants and all that was issued from them,
 * and rows that name it only inside their payload (an interaction's or a session's login).
 */
export async function deleteOpenIdState(em: EntityManager, accountId: string): Promise<number> {
  return sqlRun(em,
    `delete from oidc_payload
     where account_id = ?
        or grant_id in (select grant_id from oidc_payload where model = 'Grant' and account_id = ?)
        or strpos(payload::text, ?) > 0`,
    [accountId, accountId, accountId],
  );
}
