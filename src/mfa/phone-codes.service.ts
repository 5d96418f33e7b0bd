import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { countPhoneCodeTry } from './tries.queries';
import { randomInt } from 'node:crypto';
import { CONFIG, type Config } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { hmac, sameSecret } from '../crypto/tokens';
import { Account } from '../identity/account.entity';
import { DEFAULT_LANGUAGE, type Language, languageOr } from '../i18n/languages';
import { Messages, type Text } from '../i18n/messages';
import { DeliveryFailed, SmsSender } from '../notifications/sms-sender';
import { RateLimits } from '../web/rate-limits';
import { MfaMethod } from './mfa-method.entity';
import { MfaMethodsService } from './mfa-methods.service';
import { MfaPending } from './mfa-pending.entity';
import { PendingStepsService } from './pending-steps.service';
import { parsePhone } from './phone';
import { MFA_POLICY } from './policy';
import { TriesService, type AttemptResult } from './tries.service';

/** How long a phone code works, in whole minutes (pages and the code's own text say it). */
export const PHONE_CODE_MINUTES = MFA_POLICY.phoneCode.lifetimeMs / 60_000;

/** Codes texted or read out to a phone: adding the phone, and signing in with it. */
@Injectable()
export class PhoneCodesService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly sms: SmsSender,
    /** Seals phone numbers under the personal-data key ring (rotatable). */
    private readonly box: PiiCipher,
    private readonly messages: Messages,
    private readonly methods: MfaMethodsService,
    private readonly pending: PendingStepsService,
    private readonly tries: TriesService,
    private readonly rateLimits: RateLimits,
  ) {}

  /** Every code sent (setup, again, sign-in) counts against the account's limits before anything else. */
  private async countSend(accountId: string): Promise<void> {
    await this.rateLimits.consume('phone-code:30s', accountId);
    await this.rateLimits.consume('phone-code:hour', accountId);
  }

  private newCode(): string {
    return String(randomInt(0, 10 ** MFA_POLICY.phoneCode.digits)).padStart(MFA_POLICY.phoneCode.digits, '0');
  }

  private codeHash(code: string): string {
    return hmac(this.config.sessionSecret, `phone-code:${code}`);
  }

  /** Texts or reads out a code, in the account's language (English when it has none). */
  private async sendCode(accountId: string, e164: string, channel: 'sms' | 'voice', code: string): Promise<void> {
    const language = languageOr((await this.em.findOneOrFail(Account, { id: accountId })).language);
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
  async startSetup(
    browserKey: string,
    accountId: string,
    input: { country: string; number: string; channel: string; label: string },
    language: Language = DEFAULT_LANGUAGE,
  ): Promise<{ error?: Record<string, Text>; failed?: boolean }> {
    await this.countSend(accountId);
    const parsed = parsePhone(input.country, input.number, language);
    if ('error' in parsed) return { error: { number: parsed.error } };
    if (this.config.smsBlockedCountries.includes(parsed.country)) return { failed: true };
    const channel = input.channel === 'voice' ? 'voice' : 'sms';
    const code = this.newCode();
    await this.pending.set('phone_setup', browserKey, accountId, {
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
        await this.pending.take('phone_setup', browserKey, accountId);
        return { failed: true };
      }
      throw error;
    }
    return {};
  }

  async setupHint(browserKey: string, accountId: string): Promise<string | undefined> {
    return (await this.pending.get('phone_setup', browserKey, accountId))?.data.hint as string | undefined;
  }

  async resendSetup(browserKey: string, accountId: string): Promise<'sent' | 'expired' | 'failed'> {
    await this.countSend(accountId);
    const pending = await this.pending.get('phone_setup', browserKey, accountId);
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

  async confirmSetup(browserKey: string, accountId: string, code: string): Promise<MfaMethod | string> {
    const pending = await this.pending.get('phone_setup', browserKey, accountId);
    if (!pending) return 'mfa.errors.phoneSetupExpired';
    const verdict = await this.checkPendingCode(pending, code);
    if (verdict !== 'ok') return verdict;
    if (!(await this.pending.take('phone_setup', browserKey, accountId))) return 'mfa.errors.phoneSetupExpired';
    const data = pending.data;
    return this.methods.add(accountId, {
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
    const counted = await countPhoneCodeTry(this.em, pending.id, Date.now(), MFA_POLICY.phoneCode.triesPerCode);
    if (!counted) {
      const current = await this.em.findOne(MfaPending, { id: pending.id, expiresAt: { $gt: new Date() } }, { refresh: true });
      if (!current || Date.now() > (current.data.codeExpiresAt as number)) return 'mfa.errors.codeExpired';
      return 'mfa.errors.tooManyTries';
    }
    const typed = code.replace(/\s/g, '');
    // The code this try was counted against (a new one may have been sent meanwhile).
    if (!/^\d{6}$/.test(typed) || !sameSecret(this.codeHash(typed), counted.codeHash as string)) {
      return 'mfa.errors.sentCodeWrong';
    }
    return 'ok';
  }

  /** Sends a sign-in code to a phone method. */
  async sendChallenge(browserKey: string, accountId: string, methodId: unknown): Promise<'sent' | 'failed' | 'missing'> {
    await this.countSend(accountId);
    const method = await this.methods.findMethod(accountId, methodId);
    if (!method || method.kind !== 'phone') return 'missing';
    const code = this.newCode();
    await this.pending.set('phone_challenge', browserKey, accountId, {
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

  async verify(browserKey: string, accountId: string, methodId: unknown, code: string): Promise<AttemptResult> {
    const method = await this.methods.findMethod(accountId, methodId);
    if (!method || method.kind !== 'phone') return { ok: false, reason: 'wrong', message: 'mfa.errors.chooseMethod' };
    const pending = await this.pending.get('phone_challenge', browserKey, accountId);
    if (!pending || pending.data.methodId !== method.id) {
      return { ok: false, reason: 'expired', message: 'mfa.errors.codeExpired' };
    }
    let message = '';
    const result = await this.tries.attempt(method, async () => {
      const verdict = await this.checkPendingCode(pending, code);
      if (verdict === 'ok') return (await this.pending.take('phone_challenge', browserKey, accountId)) !== null;
      message = verdict;
      return false;
    });
    if (!result.ok && result.reason === 'wrong' && message) return { ...result, message };
    return result;
  }
}
