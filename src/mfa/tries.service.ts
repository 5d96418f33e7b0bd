import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';
import { phrase, type Text } from '../i18n/messages';
import { MfaAccountState } from './mfa-account-state.entity';
import { MfaMethod } from './mfa-method.entity';
import { delayAfter, MFA_POLICY } from './policy';

/** What a try at a code came to; every outcome but 'ok' has a message (catalog key and values) for the person. */
export type AttemptResult =
  | { ok: true; method: MfaMethod }
  | { ok: false; reason: 'wrong' | 'expired' | 'locked' | 'wait' | 'account-locked'; message: Text };

const wholeMinutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));

/** Thrown inside a try's reservation to roll it back, carrying the answer for the person. */
class TryRefused extends Error {
  constructor(readonly result: AttemptResult & { ok: false }) {
    super('second-factor try refused');
  }
}

/**
 * Tries at a second factor, the same for every kind: growing delays, the lock of a method
 * after too many wrong codes, and the account-wide limit.
 */
@Injectable()
export class TriesService {
  constructor(private readonly em: EntityManager) {}

  /**
   * Runs one try at a method's code under the lockout rules, for every kind of method. The
   * try is counted, and whether it is allowed decided, in one transaction *before* the code is
   * checked (see reserveTry): N simultaneous requests are N tries, never N checks against a
   * count read before any of them was written. A right code then clears the counts.
   * `countFailures: false` for tries by someone not yet tied to the account (passwordless
   * passkeys): a stranger who knows a credential id must not be able to lock its owner out, so
   * such tries are refused while the method or account is locked but never counted.
   */
  async attempt(method: MfaMethod, check: () => Promise<boolean>, options: { countFailures?: boolean; wrongMessage?: string } = {}): Promise<AttemptResult> {
    const wrongMessage = options.wrongMessage ?? 'mfa.errors.codeWrong';
    const accountId = method.account.id;
    let failures = 0;
    if (options.countFailures === false) {
      const refused = await this.refusal(method.id, accountId);
      if (refused) return refused;
    } else {
      const reserved = await this.reserveTry(method.id, accountId);
      if (typeof reserved !== 'number') return reserved;
      failures = reserved;
    }
    if (await check()) {
      await this.em.nativeUpdate(MfaMethod, { id: method.id }, { failedAttempts: 0, lockedUntil: null, nextAttemptAt: null, lastUsedAt: new Date() });
      await this.em.nativeUpdate(MfaAccountState, { account: accountId, consecutiveFailures: { $gt: 0 } }, { consecutiveFailures: 0 });
      return { ok: true, method };
    }
    // This try was the one that locked the method (when reserved): say so.
    if (failures >= MFA_POLICY.lockout.failuresBeforeLock) {
      return { ok: false, reason: 'locked', message: phrase('mfa.errors.locked', { minutes: wholeMinutes(MFA_POLICY.lockout.lockMs) }) };
    }
    return { ok: false, reason: 'wrong', message: wrongMessage };
  }

  /**
   * Counts one try as a failure on the account and on the method, if both still allow one,
   * atomically: the account's row first (an upsert, so a first try ever cannot collide with
   * another), then the method's, in one transaction that is rolled back when either refuses.
   * Sets the delay before the next try, or the lock, as if this try will be wrong; a right
   * code clears them. Returns the method's failures counting this try, or the refusal.
   * Account row before method rows, like RecoveryService.completeIfDue, so the two never deadlock.
   */
  private async reserveTry(methodId: string, accountId: string): Promise<number | (AttemptResult & { ok: false })> {
    const { failuresBeforeLock, lockMs, accountMax } = MFA_POLICY.lockout;
    // The wait after each number of failures short of the lock, from the policy: '{0,0,1000,…}'.
    const delays = `{${Array.from({ length: failuresBeforeLock - 1 }, (_, i) => delayAfter(i + 1)).join(',')}}`;
    // A lock that has run out starts the count again, as the lock itself did before.
    // clock_timestamp(), not now(): a transaction that waited for another's row lock would
    // otherwise measure from before that one's lock was set (a 15-minute lock read as 16).
    const failures = '(case when locked_until is null then failed_attempts else 0 end + 1)';
    try {
      return await this.em.transactional(async (em) => {
        const account = await sql<{ n: number }>(
          em,
          `insert into mfa_account_state (account_id, consecutive_failures) values (?, 1)
           on conflict (account_id) do update set consecutive_failures = mfa_account_state.consecutive_failures + 1
           where mfa_account_state.consecutive_failures < ?
           returning consecutive_failures as n`,
          [accountId, accountMax],
        );
        if (account.length === 0) throw new TryRefused({ ok: false, reason: 'account-locked', message: 'mfa.errors.accountLocked' });
        const method = await sql<{ n: number }>(
          em,
          `update mfa_method set
             failed_attempts = ${failures},
             locked_until = case when ${failures} >= ? then clock_timestamp() + ? * interval '1 millisecond' end,
             next_attempt_at = case when (?::int[])[${failures}] > 0 then clock_timestamp() + (?::int[])[${failures}] * interval '1 millisecond' end
           where id = ? and (locked_until is null or locked_until <= clock_timestamp()) and (next_attempt_at is null or next_attempt_at <= clock_timestamp())
           returning failed_attempts as n`,
          [failuresBeforeLock, lockMs, delays, delays, methodId],
        );
        if (method.length === 0) throw new TryRefused((await this.refusal(methodId, accountId, em)) ?? { ok: false, reason: 'wrong', message: 'mfa.errors.chooseMethod' });
        return method[0].n;
      });
    } catch (error) {
      if (error instanceof TryRefused) return error.result;
      throw error;
    }
  }

  /** Why a method cannot be tried now (locked, a delay running, the account stopped), or null. */
  private async refusal(methodId: string, accountId: string, em: EntityManager = this.em): Promise<(AttemptResult & { ok: false }) | null> {
    const [row] = await sql<{ locked_ms: number | null; wait_ms: number | null; account_failures: number | null }>(
      em,
      `select extract(epoch from (m.locked_until - clock_timestamp())) * 1000 as locked_ms,
              extract(epoch from (m.next_attempt_at - clock_timestamp())) * 1000 as wait_ms,
              (select consecutive_failures from mfa_account_state where account_id = ?) as account_failures
       from mfa_method m where m.id = ?`,
      [accountId, methodId],
    );
    if (!row) return { ok: false, reason: 'wrong', message: 'mfa.errors.chooseMethod' };
    const lockedMs = Number(row.locked_ms ?? 0);
    if (lockedMs > 0) return { ok: false, reason: 'locked', message: phrase('mfa.errors.locked', { minutes: wholeMinutes(lockedMs) }) };
    const waitMs = Number(row.wait_ms ?? 0);
    if (waitMs > 0) return { ok: false, reason: 'wait', message: phrase('mfa.errors.wait', { seconds: Math.ceil(waitMs / 1000) }) };
    if (Number(row.account_failures ?? 0) >= MFA_POLICY.lockout.accountMax) return { ok: false, reason: 'account-locked', message: 'mfa.errors.accountLocked' };
    return null;
  }
}
