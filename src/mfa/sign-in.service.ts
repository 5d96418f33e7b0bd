import { Injectable } from '@nestjs/common';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import type { Account } from '../identity/account.entity';
import { RateLimits } from '../web/rate-limits';
import type { Device } from '../web/user-agent';
import { BackupCodesService } from './backup-codes.service';
import { CodeGeneratorService } from './code-generator.service';
import { PasskeysService } from './passkeys.service';
import { PhoneCodesService } from './phone-codes.service';
import type { AttemptResult } from './tries.service';

/** Who tries, as the audit log records it, and with which browser (kept on sign-ins, for the person's sign-in history). */
type Actor = Pick<AuditEntry, 'actorId' | 'ip'> & { device?: Device };

/** The kinds of method that sign in with a typed code. */
export type CodeKind = 'totp' | 'phone' | 'backup';

/** Why the second factor is asked: to sign in, or to confirm who you are again (audited apart, so sign-ins stay sign-ins). */
export type FactorPurpose = 'sign-in' | 'confirm';

const EVENTS: Record<FactorPurpose, { ok: string; refused: string }> = {
  'sign-in': { ok: 'sign_in.completed', refused: 'sign_in.second_factor_refused' },
  confirm: { ok: 'account.confirmed', refused: 'account.confirm_refused' },
};

/**
 * Signing in with a second factor, or with a passkey alone: each try goes to the service of
 * its kind, and its audit event and the sign-in rate limit are taken here, once.
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly codeGenerators: CodeGeneratorService,
    private readonly phoneCodes: PhoneCodesService,
    private readonly backupCodes: BackupCodesService,
    private readonly passkeys: PasskeysService,
    private readonly audit: AuditService,
    private readonly rateLimits: RateLimits,
  ) {}

  /** A typed code as the second factor of `accountId` (`methodId`: the method chosen; backup codes have one set). */
  async tryCode(actor: Actor, browserKey: string, accountId: string, kind: CodeKind, methodId: unknown, code: string, purpose: FactorPurpose = 'sign-in'): Promise<AttemptResult> {
    const result =
      kind === 'totp'
        ? await this.codeGenerators.verify(accountId, methodId, code)
        : kind === 'phone'
          ? await this.phoneCodes.verify(browserKey, accountId, methodId, code)
          : await this.backupCodes.verify(accountId, code);
    await this.audit.record({
      action: result.ok ? EVENTS[purpose].ok : EVENTS[purpose].refused,
      actorId: actor.actorId,
      ip: actor.ip,
      subject: result.ok ? result.method.id : undefined,
      details: result.ok ? { method: result.method.kind, ...actor.device } : { reason: result.reason },
    });
    return result;
  }

  /** A passkey as the second factor of `accountId`. */
  async tryPasskey(actor: Actor, browserKey: string, accountId: string, response: unknown, purpose: FactorPurpose = 'sign-in'): Promise<AttemptResult> {
    const result = await this.passkeys.authenticate(browserKey, response, accountId);
    await this.audit.record({ action: result.ok ? EVENTS[purpose].ok : EVENTS[purpose].refused, actorId: actor.actorId, ip: actor.ip, details: { method: 'passkey', ...(result.ok ? actor.device : {}) } });
    return result;
  }

  /**
   * Passwordless: a passkey that verified its user is both factors at once. Counted against
   * the address's sign-in limit; `startSession` signs its account in before the event is recorded.
   */
  async passwordless(ip: string | undefined, browserKey: string, response: unknown, startSession: (account: Account) => Promise<void>, device: Device = {}): Promise<AttemptResult> {
    await this.rateLimits.consume('sign-in:ip', ip ?? '');
    const result = await this.passkeys.authenticate(browserKey, response);
    if (!result.ok) {
      await this.audit.record({ action: 'sign_in.passkey_refused', ip, details: { passwordless: true, reason: result.reason } });
      return result;
    }
    await startSession(result.method.account);
    await this.audit.record({ action: 'sign_in.completed', actorId: result.method.account.id, ip, subject: result.method.id, details: { method: 'passkey', passwordless: true, ...device } });
    return result;
  }
}
