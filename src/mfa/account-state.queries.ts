import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';

/**
 * The account's second-factor row (mfa_account_state): the lock changes to a person's factors
 * take first, and the account recovery's wait.
 */

/** Holds the account's second-factor row (created if needed) until the transaction of `em` ends. */
export async function holdFactorsRow(em: EntityManager, accountId: string): Promise<void> {
  await sqlRun(em,
    `insert into mfa_account_state (account_id, consecutive_failures) values (?, 0)
     on conflict (account_id) do update set consecutive_failures = mfa_account_state.consecutive_failures`,
    [accountId],
  );
}

/**
 * Starts the recovery wait of `waitMs` unless one runs: one upsert, so of simultaneous
 * requests one starts it. When it is due, or undefined when a wait was already running.
 */
export async function startRecoveryWait(em: EntityManager, accountId: string, waitMs: number): Promise<Date | undefined> {
  const started = await sql<{ due_at: Date | string }>(
    em,
    `insert into mfa_account_state (account_id, consecutive_failures, recovery_due_at)
     values (?, 0, now() + ? * interval '1 millisecond')
     on conflict (account_id) do update set recovery_due_at = excluded.recovery_due_at
     where mfa_account_state.recovery_due_at is null
     returning recovery_due_at as due_at`,
    [accountId, waitMs],
  );
  return started[0] ? new Date(started[0].due_at) : undefined;
}

/** Holds the account's row while a recovery wait runs (until the transaction ends): false when none runs. */
export async function holdRunningRecovery(em: EntityManager, accountId: string): Promise<boolean> {
  const waiting = await sql(em, 'select 1 from mfa_account_state where account_id = ? and recovery_due_at is not null for update', [accountId]);
  return waiting.length > 0;
}
