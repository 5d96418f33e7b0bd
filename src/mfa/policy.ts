/**
 * Second-factor rules, in one place (NIST SP 800-63B rev 4; Login.gov's published limits).
 */
export const MFA_POLICY = {
  totp: { issuer: 'Referee', periodSeconds: 30, /** one step either side */ toleranceSeconds: 30 },
  phoneCode: { digits: 6, lifetimeMs: 10 * 60_000, /** wrong tries on one code before a new one is needed */ triesPerCode: 5 },
  backupCodes: { count: 10, /** characters, from an alphabet without look-alikes */ length: 10 },
  lockout: {
    /** Wrong codes in a row on one method before it locks. */
    failuresBeforeLock: 10,
    lockMs: 15 * 60_000,
    /** From this many failures on, each try waits longer: 1 s, 2 s, 4 s … up to maxDelayMs. */
    delayFrom: 3,
    maxDelayMs: 60_000,
    /** Consecutive failures across all methods of an account, ever (NIST); then only recovery. */
    accountMax: 100,
  },
  rememberBrowserMs: 30 * 24 * 3_600_000,
  /** Changing factors asks for the password again when the last proof is older than this. */
  reauthenticateAfterMs: 15 * 60_000,
  /** "I lost all my factors": the owner has this long to cancel before the factors are removed. */
  recoveryWaitMs: 24 * 3_600_000,
  /** Setup steps (a shown secret, a sent code, a WebAuthn challenge) expire after this long. */
  pendingLifetimeMs: 15 * 60_000,
} as const;

/** The growing wait before the next try after `failures` wrong ones in a row. */
export function delayAfter(failures: number): number {
  const { delayFrom, maxDelayMs } = MFA_POLICY.lockout;
  if (failures < delayFrom) return 0;
  return Math.min(1000 * 2 ** (failures - delayFrom), maxDelayMs);
}
