import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';

/** A session and its account's email and language, as the database gives them. */
interface SessionRow {
  last_seen_at: Date | string;
  expires_at: Date | string;
  authenticated_at: Date | string;
  second_factor_at: Date | string | null;
  account_id: string;
  email: string;
  language: string | null;
  deletion_pending: boolean;
}

export interface SessionWithAccount {
  lastSeenAt: Date;
  expiresAt: Date;
  authenticatedAt: Date;
  secondFactorAt: Date | null;
  accountId: string;
  email: string;
  language: string | null;
  /** The person asked for their account's deletion and it has not happened yet (privacy/account-deletion). */
  deletionPending: boolean;
}

/**
 * The session with this id, its account's email and language, and whether the account waits for its deletion. Every signed-in request
 * asks this: one plain statement, not an ORM query with a join (MikroORM's query building
 * costs several times the round trip here).
 */
export async function sessionWithAccount(em: EntityManager, sessionId: string): Promise<SessionWithAccount | undefined> {
  const [row] = await sql<SessionRow>(em,
    `select s.last_seen_at, s.expires_at, s.authenticated_at, s.second_factor_at, s.account_id, a.email, a.language,
            exists (select 1 from "account_deletion" d where d.account_id = s.account_id) as deletion_pending
       from "session" s join "account" a on a.id = s.account_id where s.id = ?`,
    [sessionId],
  );
  if (!row) return undefined;
  return {
    lastSeenAt: new Date(row.last_seen_at),
    expiresAt: new Date(row.expires_at),
    authenticatedAt: new Date(row.authenticated_at),
    secondFactorAt: row.second_factor_at ? new Date(row.second_factor_at) : null,
    accountId: row.account_id,
    email: row.email,
    language: row.language,
    deletionPending: row.deletion_pending,
  };
}

/** Inserts a session (every sign-in): one plain statement, the ORM's insert costs several times the round trip. */
export async function insertSession(
  em: EntityManager,
  session: { id: string; accountId: string; at: Date; secondFactorAt: Date | null; expiresAt: Date },
): Promise<void> {
  const at = session.at.toISOString();
  await sqlRun(em,
    `insert into "session" (id, account_id, created_at, last_seen_at, authenticated_at, second_factor_at, expires_at)
     values (?, ?, ?::timestamptz, ?::timestamptz, ?::timestamptz, ?::timestamptz, ?::timestamptz)`,
    [session.id, session.accountId, at, at, at, session.secondFactorAt?.toISOString() ?? null, session.expiresAt.toISOString()],
  );
}
