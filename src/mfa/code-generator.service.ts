import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import QRCode from 'qrcode';
import { PiiCipher } from '../crypto/pii-cipher';
import { MfaMethod } from './mfa-method.entity';
import { MfaMethodsService } from './mfa-methods.service';
import { PendingStepsService } from './pending-steps.service';
import { MFA_POLICY } from './policy';
import { TriesService, type AttemptResult } from './tries.service';

/** Code generator apps (TOTP): adding one, and the codes it gives at sign-in. */
@Injectable()
export class CodeGeneratorService {
  constructor(
    private readonly em: EntityManager,
    /** Seals TOTP seeds under the personal-data key ring (rotatable). */
    private readonly box: PiiCipher,
    private readonly methods: MfaMethodsService,
    private readonly pending: PendingStepsService,
    private readonly tries: TriesService,
  ) {}

  /** The secret to add to an app: shown as a QR code (SVG, drawn here) and as text. */
  async startSetup(browserKey: string, accountId: string, email: string) {
    const pending = await this.pending.get('totp_setup', browserKey, accountId);
    let secret: string;
    if (pending) secret = this.box.decrypt(pending.data.secretSealed as string, 'totp');
    else {
      secret = generateSecret();
      await this.pending.set('totp_setup', browserKey, accountId, { secretSealed: this.box.encrypt(secret, 'totp') });
    }
    const uri = generateURI({ issuer: MFA_POLICY.totp.issuer, label: email, secret });
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
    return { secret, groupedSecret: secret.match(/.{1,4}/g)!.join(' '), qrSvg };
  }

  /** The new method, or what went wrong (a catalog key). */
  async confirmSetup(browserKey: string, accountId: string, code: string, label: string): Promise<MfaMethod | string> {
    const pending = await this.pending.get('totp_setup', browserKey, accountId);
    if (!pending) return 'mfa.errors.setupExpired';
    const secret = this.box.decrypt(pending.data.secretSealed as string, 'totp');
    const result = await this.check(secret, code);
    if (!result) return 'mfa.errors.appCodeWrong';
    if (!(await this.pending.take('totp_setup', browserKey, accountId))) return 'mfa.errors.setupExpired';
    return this.methods.add(accountId, { kind: 'totp', label, secretSealed: this.box.encrypt(secret, 'totp'), lastTimeStep: result.timeStep });
  }

  private async check(secret: string, code: string, afterTimeStep?: number): Promise<{ timeStep: number } | null> {
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

  async verify(accountId: string, methodId: unknown, code: string): Promise<AttemptResult> {
    const method = await this.methods.findMethod(accountId, methodId);
    if (!method || method.kind !== 'totp') return { ok: false, reason: 'wrong', message: 'mfa.errors.chooseMethod' };
    return this.tries.attempt(method, async () => {
      const result = await this.check(this.box.decrypt(method.secretSealed!, 'totp'), code, Number(method.lastTimeStep ?? -1));
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
}
