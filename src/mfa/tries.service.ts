import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { phrase, type Text } from '../i18n/messages';
import { MfaAccountState } from './mfa-account-state.entity';
import { MfaMethod } from './mfa-method.entity';
import { delayAfter, MFA_POLICY } from './policy';
import { countAccountFailure, countMethodFailure, methodWaits } from './tries.queries';

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
    try {
      return await this.em.transactional(async (em) => {
        const account = await countAccountFailure(em, accountId, accountMax);
        if (account === undefined) throw new TryRefused({ ok: false, reason: 'account-locked', message: 'mfa.errors.accountLocked' });
        const method = await countMethodFailure(em, methodId, { failuresBeforeLock, lockMs, delays });
        // Refused while a delay or lock ran; if it has just ended by the time we read why, the
        // try was still not counted: say so as a wait that is over, not as a missing method.
        if (method === undefined) throw new TryRefused((await this.refusal(methodId, accountId, em)) ?? { ok: false, reason: 'wait', message: phrase('mfa.errors.wait', { seconds: 1 }) });
        return method;
      });
    } catch (error) {
      if (error instanceof TryRefused) return error.result;
      throw error;
    }
  }

  /** Why a method cannot be tried now (locked, a delay running, the account stopped), or null. */
  private async refusal(methodId: string, accountId: string, em: EntityManager = this.em): Promise<(AttemptResult & { ok: false }) | null> {
    const row = await methodWaits(em, methodId, accountId);
    if (!row) return { ok: false, reason: 'wrong', message: 'mfa.errors.chooseMethod' };
    const lockedMs = Number(row.lockedMs ?? 0);
    if (lockedMs > 0) return { ok: false, reason: 'locked', message: phrase('mfa.errors.locked', { minutes: wholeMinutes(lockedMs) }) };
    const waitMs = Number(row.waitMs ?? 0);
    if (waitMs > 0) return { ok: false, reason: 'wait', message: phrase('mfa.errors.wait', { seconds: Math.ceil(waitMs / 1000) }) };
    if (Number(row.accountFailures ?? 0) >= MFA_POLICY.lockout.accountMax) return { ok: false, reason: 'account-locked', message: 'mfa.errors.accountLocked' };
    return null;
  }
}
