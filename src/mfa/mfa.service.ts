import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import QRCode from 'qrcode';
import { AuditService } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { hmac, randomToken, sameSecret, tokenHash } from '../crypto/tokens';
import { Account } from '../identity/account.entity';
import { formatDate } from '../i18n/formats';
import { DEFAULT_LANGUAGE, type Language, languageOr } from '../i18n/languages';
import { Messages, phrase, type Phrase, type Text } from '../i18n/messages';
import { NotificationsService } from '../notifications/notifications.service';
import { StaffService } from '../staff/staff.service';
import { VerifiedIdentitiesService } from '../oidc/verified-identities.service';
import { DeliveryFailed, SmsSender } from '../notifications/sms-sender';
import { BackupCode } from './backup-code.entity';
import { MfaAccountState } from './mfa-account-state.entity';
import { MfaMethod, type MfaKind } from './mfa-method.entity';
import { MfaPending, type PendingPurpose } from './mfa-pending.entity';
import { parsePhone } from './phone';
import { delayAfter, MFA_POLICY } from './policy';
import { RememberedBrowser } from './remembered-browser.entity';

/** What a try at a code came to; every outcome but 'ok' has a message (catalog key and values) for the person. */
export type AttemptResult =
  | { ok: true; method: MfaMethod }
  | { ok: false; reason: 'wrong' | 'expired' | 'locked' | 'wait' | 'account-locked'; message: Text };

/** Each kind's name, as catalog keys (pages and emails say it in the reader's language). */
export const KIND_NAMES: Record<MfaKind, string> = {
  passkey: 'mfa.kind.passkey',
  totp: 'mfa.kind.totp',
  phone: 'mfa.kind.phone',
  backup_codes: 'mfa.kind.backup_codes',
};

/**
 * The stored label of backup codes (a database value, not shown: pages name backup codes
 * by their kind, in the reader's language, unless the person renamed them).
 */
export const BACKUP_CODES_LABEL = 'Backup codes';

/** How long a phone code works, in whole minutes (pages and the code's own text say it). */
export const PHONE_CODE_MINUTES = MFA_POLICY.phoneCode.lifetimeMs / 60_000;

const BACKUP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i

const wholeMinutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));

/** Thrown inside a try's reservation to roll it back, carrying the answer for the person. */
class TryRefused extends Error {
  constructor(readonly result: AttemptResult & { ok: false }) {
    super('second-factor try refused');
  }
}

/**
 * Second factors: code generator apps, phone codes, backup codes (passkeys in
 * passkeys.service.ts), with growing delays, lockouts and the account-wide limit.
 */
@Injectable()
export class MfaService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly notifications: NotificationsService,
    private readonly sms: SmsSender,
    private readonly audit: AuditService,
    private readonly verifiedIdentities: VerifiedIdentitiesService,
    /** Seals TOTP seeds and phone numbers under the personal-data key ring (rotatable). */
    private readonly box: PiiCipher,
    private readonly staff: StaffService,
    private readonly messages: Messages,
  ) {}

  /** The language an account's emails and text messages are written in (English when it has none). */
  private async languageOf(accountId: string): Promise<Language> {
    const account = await this.em.findOneOrFail(Account, { id: accountId });
    return languageOr(account.language);
  }

  /**
   * Staff handle other people's identities: in production they sign in with a passkey or
   * security key only (phishing-resistant), never a code. Development allows any factor.
   */
  async passkeysOnly(accountId: string): Promise<boolean> {
    return this.config.env === 'production' && (await this.staff.isStaff(accountId));
  }

  // ---- methods ---------------------------------------------------------------------------

  methodsOf(accountId: string): Promise<MfaMethod[]> {
    return this.em.find(MfaMethod, { account: accountId }, { orderBy: { lastUsedAt: 'desc nulls last', createdAt: 'asc' } });
  }

  async findMethod(accountId: string, id: unknown): Promise<MfaMethod | null> {
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) return null;
    return this.em.findOne(MfaMethod, { id, account: accountId });
  }

  async rename(accountId: string, id: unknown, label: string): Promise<MfaMethod | null> {
    const method = await this.findMethod(accountId, id);
    if (!method) return null;
    method.label = label;
    await this.em.flush();
    return method;
  }

  /**
   * Removes a method, never the last one that can sign in (backup codes alone cannot). Under
   * the account's factor lock: two removals at once cannot each see the other's method left.
   */
  async remove(accountId: string, id: unknown): Promise<'removed' | 'last' | 'missing'> {
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) return 'missing';
    const outcome = await this.em.transactional(async (em) => {
      await this.lockFactors(em, accountId);
      const method = await em.findOne(MfaMethod, { id, account: accountId });
      if (!method) return 'missing' as const;
      const others = await em.count(MfaMethod, { account: accountId, kind: { $ne: 'backup_codes' }, id: { $ne: method.id } });
      if (method.kind !== 'backup_codes' && others === 0) return 'last' as const;
      await em.nativeDelete(MfaMethod, { id: method.id });
      return method;
    });
    if (typeof outcome === 'string') return outcome;
    await this.audit.record({ action: 'mfa.method_removed', actorId: accountId, subject: outcome.id, details: { kind: outcome.kind } });
    await this.notifyChange(
      accountId,
      outcome.kind === 'backup_codes' ? 'mfa.email.backupRemoved' : phrase('mfa.email.removed', { label: outcome.label }),
      outcome.kind,
    );
    return 'removed';
  }

  /**
   * Holds the account's second-factor row (created if needed) until the transaction ends:
   * changes to an account's set of factors, and tries (reserveTry), take it first, one at a time.
   */
  private async lockFactors(em: EntityManager, accountId: string): Promise<void> {
    await em.execute(
      `insert into mfa_account_state (account_id, consecutive_failures) values (?, 0)
       on conflict (account_id) do update set consecutive_failures = mfa_account_state.consecutive_failures`,
      [accountId],
    );
  }

  /**
   * Every change to a person's factors is emailed to them, in their language. `kind`: the
   * kind of method the change names (its name goes into the message as `kind`).
   */
  async notifyChange(accountId: string, what: Phrase | string, kind?: MfaKind): Promise<void> {
    const account = await this.em.findOneOrFail(Account, { id: accountId });
    const language = languageOr(account.language);
    const change = typeof what === 'string' ? phrase(what) : what;
    const values = kind ? { ...change.values, kind: this.messages.text(language, KIND_NAMES[kind]) } : change.values;
    this.notifications.queueEmail({
      to: account.email,
      ...this.notifications.compose(language, 'mfa.email.changedSubject', [
        phrase(change.key, values),
        phrase('mfa.email.notYou', { url: `${this.config.baseUrl}/password-reset` }),
      ]),
    });
    await this.em.flush();
  }

  private async addMethod(accountId: string, data: Partial<MfaMethod> & { kind: MfaKind; label: string }): Promise<MfaMethod> {
    const method = this.em.create(MfaMethod, { ...data, account: accountId });
    await this.em.flush();
    await this.audit.record({ action: 'mfa.method_added', actorId: accountId, subject: method.id, details: { kind: method.kind } });
    await this.notifyChange(accountId, phrase('mfa.email.added', { label: method.label }), method.kind);
    return method;
  }

  // ---- pending steps (one per purpose per browser) ---------------------------------------

  private pendingId(purpose: PendingPurpose, browserKey: string) {
    return `${purpose}:${tokenHash(browserKey)}`;
  }

  async setPending(purpose: PendingPurpose, browserKey: string, accountId: string | undefined, data: Record<string, unknown>): Promise<void> {
    const id = this.pendingId(purpose, browserKey);
    await this.em.upsert(MfaPending, {
      id,
      purpose,
      accountId,
      data,
      expiresAt: new Date(Date.now() + MFA_POLICY.pendingLifetimeMs),
      createdAt: new Date(),
    });
  }

  async getPending(purpose: PendingPurpose, browserKey: string, accountId?: string): Promise<MfaPending | null> {
    const pending = await this.em.findOne(MfaPending, { id: this.pendingId(purpose, browserKey), expiresAt: { $gt: new Date() } });
    if (!pending || (accountId && pending.accountId !== accountId)) return null;
    return pending;
  }

  /** Takes a pending step once: of two concurrent requests only one gets it. */
  async takePending(purpose: PendingPurpose, browserKey: string, accountId?: string): Promise<MfaPending | null> {
    const pending = await this.getPending(purpose, browserKey, accountId);
    if (!pending) return null;
    const deleted = await this.em.nativeDelete(MfaPending, { id: pending.id });
    return deleted === 1 ? pending : null;
  }

  // ---- code generator apps (TOTP) --------------------------------------------------------

  /** The secret to add to an app: shown as a QR code (SVG, drawn here) and as text. */
  async startTotpSetup(browserKey: string, accountId: string, email: string) {
    let pending = await this.getPending('totp_setup', browserKey, accountId);
    let secret: string;
    if (pending) secret = this.box.decrypt(pending.data.secretSealed as string, 'totp');
    else {
      secret = generateSecret();
      await this.setPending('totp_setup', browserKey, accountId, { secretSealed: this.box.encrypt(secret, 'totp') });
    }
    const uri = generateURI({ issuer: MFA_POLICY.totp.issuer, label: email, secret });
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
    return { secret, groupedSecret: secret.match(/.{1,4}/g)!.join(' '), qrSvg };
  }

  /** The new method, or what went wrong (a catalog key). */
  async confirmTotpSetup(browserKey: string, accountId: string, code: string, label: string): Promise<MfaMethod | string> {
    const pending = await this.getPending('totp_setup', browserKey, accountId);
    if (!pending) return 'mfa.errors.setupExpired';
    const secret = this.box.decrypt(pending.data.secretSealed as string, 'totp');
    const result = await this.checkTotp(secret, code);
    if (!result) return 'mfa.errors.appCodeWrong';
    if (!(await this.takePending('totp_setup', browserKey, accountId))) return 'mfa.errors.setupExpired';
    return this.addMethod(accountId, { kind: 'totp', label, secretSealed: this.box.encrypt(secret, 'totp'), lastTimeStep: result.timeStep });
  }

  private async checkTotp(secret: string, code: string, afterTimeStep?: number): Promise<{ timeStep: number } | null> {
    const token = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(token)) return null;
    try {
      const result = await verifyTotp({
        secret,
        token,
        epochTolerance: MFA_POLICY.totp.toleranceSeconds,
        ...(afterTimeStep !== undefined ? { afterTimeStep } : {}),
      });
      // TOTP results carry the time step that matched (HOTP's would not).
      return result.valid && 'timeStep' in result ? { timeStep: result.timeStep as number } : null;
    } catch {
      return null;
    }
  }

  async verifyTotpCode(accountId: string, methodId: unknown, code: string): Promise<AttemptResult> {
    const method = await this.findMethod(accountId, methodId);
    if (!method || method.kind !== 'totp') return { ok: false, reason: 'wrong', message: 'mfa.errors.chooseMethod' };
    return this.attempt(method, async () => {
      const result = await this.checkTotp(this.box.decrypt(method.secretSealed!, 'totp'), code, Number(method.lastTimeStep ?? -1));
      if (!result) return false;
      // Each code once: only the first request to move the step forward wins (replay refused).
      const moved = await this.em.nativeUpdate(
        MfaMethod,
        { id: method.id, $or: [{ lastTimeStep: null }, { lastTimeStep: { $lt: result.timeStep } }] },
        { lastTimeStep: result.timeStep },
      );
      return moved === 1;
    });
  }

  // ---- phone codes -----------------------------------------------------------------------

  private newCode(): string {
    return String(randomInt(0, 10 ** MFA_POLICY.phoneCode.digits)).padStart(MFA_POLICY.phoneCode.digits, '0');
  }

  private codeHash(code: string): string {
    return hmac(this.config.sessionSecret, `phone-code:${code}`);
  }

  /** Texts or reads out a code, in the account's language. */
  private async sendCode(accountId: string, e164: string, channel: 'sms' | 'voice', code: string): Promise<void> {
    const language = await this.languageOf(accountId);
    const text =
      channel === 'sms'
        ? this.messages.text(language, 'mfa.sms.code', { code, minutes: PHONE_CODE_MINUTES })
        : this.messages.text(language, 'mfa.sms.voice', { code: code.split('').join(' ') }); // digit by digit
    await this.sms.send(e164, text, channel, language);
  }

  /**
   * Checks the number and sends a first code to it; returns a field error (a country it names
   * is named in `language`, the page's), or 'failed' when it could not be delivered.
   */
  async startPhoneSetup(
    browserKey: string,
    accountId: string,
    input: { country: string; number: string; channel: string; label: string },
    language: Language = DEFAULT_LANGUAGE,
  ): Promise<{ error?: Record<string, Text>; failed?: boolean }> {
    const parsed = parsePhone(input.country, input.number, language);
    if ('error' in parsed) return { error: { number: parsed.error } };
    if (this.config.smsBlockedCountries.includes(parsed.country)) return { failed: true };
    const channel = input.channel === 'voice' ? 'voice' : 'sms';
    const code = this.newCode();
    await this.setPending('phone_setup', browserKey, accountId, {
      phoneSealed: this.box.encrypt(parsed.e164, 'phone'),
      hint: parsed.hint,
      channel,
      label: input.label,
      codeHash: this.codeHash(code),
      tries: 0,
      codeExpiresAt: Date.now() + MFA_POLICY.phoneCode.lifetimeMs,
    });
    try {
      await this.sendCode(accountId, parsed.e164, channel, code);
    } catch (error) {
      if (error instanceof DeliveryFailed) {
        await this.takePending('phone_setup', browserKey, accountId);
        return { failed: true };
      }
      throw error;
    }
    return {};
  }

  async phoneSetupHint(browserKey: string, accountId: string): Promise<string | undefined> {
    return (await this.getPending('phone_setup', browserKey, accountId))?.data.hint as string | undefined;
  }

  async resendPhoneSetup(browserKey: string, accountId: string): Promise<'sent' | 'expired' | 'failed'> {
    const pending = await this.getPending('phone_setup', browserKey, accountId);
    if (!pending) return 'expired';
    const code = this.newCode();
    pending.data = { ...pending.data, codeHash: this.codeHash(code), tries: 0, codeExpiresAt: Date.now() + MFA_POLICY.phoneCode.lifetimeMs };
    await this.em.flush();
    try {
      await this.sendCode(accountId, this.box.decrypt(pending.data.phoneSealed as string, 'phone'), pending.data.channel as 'sms' | 'voice', code);
      return 'sent';
    } catch (error) {
      if (error instanceof DeliveryFailed) return 'failed';
      throw error;
    }
  }

  async confirmPhoneSetup(browserKey: string, accountId: string, code: string): Promise<MfaMethod | string> {
    const pending = await this.getPending('phone_setup', browserKey, accountId);
    if (!pending) return 'mfa.errors.phoneSetupExpired';
    const verdict = await this.checkPendingCode(pending, code);
    if (verdict !== 'ok') return verdict;
    if (!(await this.takePending('phone_setup', browserKey, accountId))) return 'mfa.errors.phoneSetupExpired';
    const data = pending.data;
    return this.addMethod(accountId, {
      kind: 'phone',
      label: data.label as string,
      secretSealed: data.phoneSealed as string,
      displayHint: data.hint as string,
      phoneChannel: data.channel as 'sms' | 'voice',
    });
  }

  /**
   * Compares a typed code with a pending one: expiry, a few tries per code, constant time.
   * 'ok', or a catalog key. The try is counted in the database before the comparison, in one
   * statement that also refuses it past the limit, so simultaneous tries cannot share a count.
   */
  private async checkPendingCode(pending: MfaPending, code: string): Promise<'ok' | string> {
    const [counted] = await this.em.execute<{ data: Record<string, unknown> }[]>(
      `update mfa_pending set data = jsonb_set(data, '{tries}', to_jsonb(coalesce((data->>'tries')::int, 0) + 1))
       where id = ? and expires_at > now() and (data->>'codeExpiresAt')::bigint >= ? and coalesce((data->>'tries')::int, 0) < ?
       returning data`,
      [pending.id, Date.now(), MFA_POLICY.phoneCode.triesPerCode],
    );
    if (!counted) {
      const current = await this.em.findOne(MfaPending, { id: pending.id, expiresAt: { $gt: new Date() } }, { refresh: true });
      if (!current || Date.now() > (current.data.codeExpiresAt as number)) return 'mfa.errors.codeExpired';
      return 'mfa.errors.tooManyTries';
    }
    const typed = code.replace(/\s/g, '');
    // The code this try was counted against (a new one may have been sent meanwhile).
    if (!/^\d{6}$/.test(typed) || !sameSecret(this.codeHash(typed), counted.data.codeHash as string)) {
      return 'mfa.errors.sentCodeWrong';
    }
    return 'ok';
  }

  /** Sends a sign-in code to a phone method. */
  async sendPhoneChallenge(browserKey: string, accountId: string, methodId: unknown): Promise<'sent' | 'failed' | 'missing'> {
    const method = await this.findMethod(accountId, methodId);
    if (!method || method.kind !== 'phone') return 'missing';
    const code = this.newCode();
    await this.setPending('phone_challenge', browserKey, accountId, {
      methodId: method.id,
      codeHash: this.codeHash(code),
      tries: 0,
      codeExpiresAt: Date.now() + MFA_POLICY.phoneCode.lifetimeMs,
    });
    try {
      await this.sendCode(accountId, this.box.decrypt(method.secretSealed!, 'phone'), method.phoneChannel ?? 'sms', code);
      return 'sent';
    } catch (error) {
      if (error instanceof DeliveryFailed) return 'failed';
      throw error;
    }
  }

  async verifyPhoneCode(browserKey: string, accountId: string, methodId: unknown, code: string): Promise<AttemptResult> {
    const method = await this.findMethod(accountId, methodId);
    if (!method || method.kind !== 'phone') return { ok: false, reason: 'wrong', message: 'mfa.errors.chooseMethod' };
    const pending = await this.getPending('phone_challenge', browserKey, accountId);
    if (!pending || pending.data.methodId !== method.id) {
      return { ok: false, reason: 'expired', message: 'mfa.errors.codeExpired' };
    }
    let message = '';
    const result = await this.attempt(method, async () => {
      const verdict = await this.checkPendingCode(pending, code);
      if (verdict === 'ok') return (await this.takePending('phone_challenge', browserKey, accountId)) !== null;
      message = verdict;
      return false;
    });
    if (!result.ok && result.reason === 'wrong' && message) return { ...result, message };
    return result;
  }

  // ---- backup codes ----------------------------------------------------------------------

  private backupHash(code: string): string {
    return hmac(this.config.sessionSecret, `backup-code:${code.toLowerCase().replace(/[\s-]/g, '')}`);
  }

  /** Ten new single-use codes (shown once); any earlier ones stop working. */
  async regenerateBackupCodes(accountId: string): Promise<string[]> {
    const codes = Array.from({ length: MFA_POLICY.backupCodes.count }, () =>
      Array.from({ length: MFA_POLICY.backupCodes.length }, () => BACKUP_ALPHABET[randomInt(BACKUP_ALPHABET.length)]).join(''),
    );
    const fresh = await this.em.transactional(async (em) => {
      // One set per account, even when new codes are asked for twice at once.
      await this.lockFactors(em, accountId);
      const existing = await em.findOne(MfaMethod, { account: accountId, kind: 'backup_codes' });
      if (existing) em.remove(existing);
      const method = em.create(MfaMethod, { account: accountId, kind: 'backup_codes', label: BACKUP_CODES_LABEL });
      for (const code of codes) em.create(BackupCode, { method, codeHash: this.backupHash(code) });
      return !existing;
    });
    await this.audit.record({ action: 'mfa.backup_codes_generated', actorId: accountId });
    await this.notifyChange(accountId, fresh ? 'mfa.email.backupAdded' : 'mfa.email.backupRenewed');
    return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
  }

  async verifyBackupCode(accountId: string, code: string): Promise<AttemptResult> {
    const method = await this.em.findOne(MfaMethod, { account: accountId, kind: 'backup_codes' });
    if (!method) return { ok: false, reason: 'wrong', message: 'mfa.errors.backupCodeWrong' };
    const result = await this.attempt(method, async () => {
      const used = await this.em.nativeUpdate(BackupCode, { method: method.id, codeHash: this.backupHash(code), usedAt: null }, { usedAt: new Date() });
      return used === 1;
    });
    if (!result.ok && result.reason === 'wrong') return { ...result, message: 'mfa.errors.backupCodeWrong' };
    return result;
  }

  async backupCodesLeft(methodId: string): Promise<number> {
    return this.em.count(BackupCode, { method: methodId, usedAt: null });
  }

  // ---- tries, delays and lockouts --------------------------------------------------------

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
   * Account row before method rows, like completeRecoveryIfDue, so the two never deadlock.
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
        const account = await em.execute<{ n: number }[]>(
          `insert into mfa_account_state (account_id, consecutive_failures) values (?, 1)
           on conflict (account_id) do update set consecutive_failures = mfa_account_state.consecutive_failures + 1
           where mfa_account_state.consecutive_failures < ?
           returning consecutive_failures as n`,
          [accountId, accountMax],
        );
        if (account.length === 0) throw new TryRefused({ ok: false, reason: 'account-locked', message: 'mfa.errors.accountLocked' });
        const method = await em.execute<{ n: number }[]>(
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
    const [row] = await em.execute<{ locked_ms: number | null; wait_ms: number | null; account_failures: number | null }[]>(
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

  // ---- remembered browsers ---------------------------------------------------------------

  async rememberBrowser(accountId: string): Promise<string> {
    const token = randomToken();
    await this.em.insert(RememberedBrowser, { tokenHash: tokenHash(token), account: accountId, expiresAt: new Date(Date.now() + MFA_POLICY.rememberBrowserMs) });
    return token;
  }

  async isRemembered(accountId: string, token: string | undefined): Promise<boolean> {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    return (await this.em.count(RememberedBrowser, { tokenHash: tokenHash(token), account: accountId, expiresAt: { $gt: new Date() } })) === 1;
  }

  /** Forgets every remembered browser of an account (after a change to its factors). */
  async forgetBrowsers(accountId: string): Promise<void> {
    await this.em.nativeDelete(RememberedBrowser, { account: accountId });
  }

  // ---- recovery when every factor is lost ------------------------------------------------

  /**
   * Starts the 24-hour wait; the owner is emailed a link to cancel it. One upsert decides
   * which of simultaneous requests starts it: only that one sends the email, so the link
   * the owner gets is the one that cancels (a later request cannot replace its token).
   */
  async requestRecovery(accountId: string): Promise<Date> {
    const cancel = randomToken();
    const started = await this.em.execute<{ due_at: Date }[]>(
      `insert into mfa_account_state (account_id, consecutive_failures, recovery_due_at, recovery_cancel_hash)
       values (?, 0, now() + ? * interval '1 millisecond', ?)
       on conflict (account_id) do update set recovery_due_at = excluded.recovery_due_at, recovery_cancel_hash = excluded.recovery_cancel_hash
       where mfa_account_state.recovery_due_at is null
       returning recovery_due_at as due_at`,
      [accountId, MFA_POLICY.recoveryWaitMs, tokenHash(cancel)],
    );
    if (started.length === 0) return (await this.em.findOneOrFail(MfaAccountState, { account: accountId }, { refresh: true })).recoveryDueAt!;
    const dueAt = new Date(started[0].due_at);
    const account = await this.em.findOneOrFail(Account, { id: accountId });
    const language = languageOr(account.language);
    this.notifications.queueEmail({
      to: account.email,
      ...this.notifications.compose(language, 'mfa.email.recoverySubject', [
        'mfa.email.recoveryBody',
        phrase('mfa.email.recoveryIfYou', { time: formatDate(language, dueAt, 'dateTimeLong') }),
        phrase('mfa.email.recoveryIfNotYou', { url: `${this.config.baseUrl}/mfa/recovery/cancel?token=${cancel}` }),
      ]),
    });
    await this.em.flush();
    return dueAt;
  }

  async recoveryDueAt(accountId: string): Promise<Date | undefined> {
    return (await this.em.findOne(MfaAccountState, { account: accountId }))?.recoveryDueAt;
  }

  /**
   * When the wait is over: removes every factor so the person can set up a new one. The
   * recovery is claimed by one conditional update (not read, then acted on): of simultaneous
   * visits one completes it, and a cancellation that comes first always wins.
   */
  async completeRecoveryIfDue(accountId: string): Promise<boolean> {
    const done = await this.em.transactional(async (em) => {
      const claimed = await em.nativeUpdate(
        MfaAccountState,
        { account: accountId, recoveryDueAt: { $lte: new Date() } },
        { recoveryDueAt: null, recoveryCancelHash: null, consecutiveFailures: 0 },
      );
      if (claimed !== 1) return false;
      await em.nativeDelete(MfaMethod, { account: accountId });
      await em.nativeDelete(RememberedBrowser, { account: accountId });
      return true;
    });
    if (!done) return false;
    await this.verifiedIdentities.requireReconfirmation(accountId);
    await this.audit.record({ action: 'mfa.recovery_completed', actorId: accountId });
    await this.notifyChange(accountId, 'mfa.email.recoveryDone');
    return true;
  }

  async cancelRecovery(token: unknown): Promise<boolean> {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    const cancelled = await this.em.nativeUpdate(
      MfaAccountState,
      { recoveryCancelHash: tokenHash(token), recoveryDueAt: { $ne: null } },
      { recoveryDueAt: null, recoveryCancelHash: null },
    );
    return cancelled === 1;
  }
}
