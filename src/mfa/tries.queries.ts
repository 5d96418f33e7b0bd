import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

/**
 * Tries at a second factor, counted in one statement each with their limit in the `where`,
 * so simultaneous tries cannot share a count (the rules: TriesService, PhoneCodesService).
 */

/**
 * One more failure on the account (an upsert, so a first try ever cannot collide with
 * another) while it has fewer than `accountMax`: the count with this one, or undefined when refused.
 */
export async function countAccountFailure(em: EntityManager, accountId: string, accountMax: number): Promise<number | undefined> {
  const rows = await sql<{ n: number }>(
    em,
    `insert into mfa_account_state (account_id, consecutive_failures) values (?, 1)
     on conflict (account_id) do update set consecutive_failures = mfa_account_state.consecutive_failures + 1
     where mfa_account_state.consecutive_failures < ?
     returning consecutive_failures as n`,
    [accountId, accountMax],
  );
  return rows[0]?.n;
}

/**
 * One more failure on the method unless it is locked or its delay runs, setting the lock at
 * `failuresBeforeLock` and the delay after each count short of it (`delays`, milliseconds by
 * count, as a PostgreSQL array literal). A lock that has run out starts the count again.
 * The method's failures with this one, or undefined when refused.
 */
export async function countMethodFailure(
  em: EntityManager,
  methodId: string,
  policy: { failuresBeforeLock: number; lockMs: number; delays: string },
): Promise<number | undefined> {
  // clock_timestamp(), not now(): a transaction that waited for another's row lock would
  // otherwise measure from before that one's lock was set (a 15-minute lock read as 16).
  const failures = '(case when locked_until is null then failed_attempts else 0 end + 1)';
  const rows = await sql<{ n: number }>(
    em,
    `update mfa_method set
       failed_attempts = ${failures},
       locked_until = case when ${failures} >= ? then clock_timestamp() + ? * interval '1 millisecond' end,
       next_attempt_at = case when (?::int[])[${failures}] > 0 then clock_timestamp() + (?::int[])[${failures}] * interval '1 millisecond' end
     where id = ? and (locked_until is null or locked_until <= clock_timestamp()) and (next_attempt_at is null or next_attempt_at <= clock_timestamp())
     returning failed_attempts as n`,
    [policy.failuresBeforeLock, policy.lockMs, policy.delays, policy.delays, methodId],
  );
  return rows[0]?.n;
}

/** How long the method stays locked and its delay runs (ms, negative or null when not), and the account's failures; undefined without the method. */
export async function methodWaits(
  em: EntityManager,
  methodId: string,
  accountId: string,
): Promise<{ lockedMs: number | null; waitMs: number | null; accountFailures: number | null } | undefined> {
  const [row] = await sql<{ locked_ms: number | null; wait_ms: number | null; account_failures: number | null }>(
    em,
    `select extract(epoch from (m.locked_until - clock_timestamp())) * 1000 as locked_ms,
            extract(epoch from (m.next_attempt_at - clock_timestamp())) * 1000 as wait_ms,
            (select consecutive_failures from mfa_account_state where account_id = ?) as account_failures
     from mfa_method m where m.id = ?`,
    [accountId, methodId],
  );
  return row ? { lockedMs: row.locked_ms, waitMs: row.wait_ms, accountFailures: row.account_failures } : undefined;
}

/**
 * One more try at a pending phone code, refused when the pending step or its code has
 * expired (`codeExpiresAt` after `nowMs`) or `triesPerCode` are used: the pending data as
 * counted (with the code hash the try is checked against), or undefined when refused.
 */
export async function countPhoneCodeTry(em: EntityManager, pendingId: string, nowMs: number, triesPerCode: number): Promise<Record<string, unknown> | undefined> {
  const [counted] = await sql<{ data: Record<string, unknown> }>(
    em,
    `update mfa_pending set data = jsonb_set(data, '{tries}', to_jsonb(coalesce((data->>'tries')::int, 0) + 1))
     where id = ? and expires_at > now() and (data->>'codeExpiresAt')::bigint >= ? and coalesce((data->>'tries')::int, 0) < ?
     returning data`,
    [pendingId, nowMs, triesPerCode],
  );
  return counted?.data;
}
