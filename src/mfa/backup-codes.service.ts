import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomInt } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { hmac } from '../crypto/tokens';
import { BackupCode } from './backup-code.entity';
import { MfaMethod } from './mfa-method.entity';
import { MfaMethodsService } from './mfa-methods.service';
import { MFA_POLICY } from './policy';
import { TriesService, type AttemptResult } from './tries.service';

/**
 * The stored label of backup codes (a database value, not shown: pages name backup codes
 * by their kind, in the reader's language, unless the person renamed them).
 */
export const BACKUP_CODES_LABEL = 'Backup codes';

const BACKUP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i

/** Backup codes: ten single-use codes, shown once, for when the other methods are out of reach. */
@Injectable()
export class BackupCodesService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly methods: MfaMethodsService,
    private readonly tries: TriesService,
  ) {}

  private hash(code: string): string {
    return hmac(this.config.sessionSecret, `backup-code:${code.toLowerCase().replace(/[\s-]/g, '')}`);
  }

  /** Ten new single-use codes (shown once); any earlier ones stop working. */
  async regenerate(accountId: string): Promise<string[]> {
    const codes = Array.from({ length: MFA_POLICY.backupCodes.count }, () =>
      Array.from({ length: MFA_POLICY.backupCodes.length }, () => BACKUP_ALPHABET[randomInt(BACKUP_ALPHABET.length)]).join(''),
    );
    const fresh = await this.em.transactional(async (em) => {
      // One set per account, even when new codes are asked for twice at once.
      await this.methods.lockFactors(em, accountId);
      const existing = await em.findOne(MfaMethod, { account: accountId, kind: 'backup_codes' });
      if (existing) em.remove(existing);
      const method = em.create(MfaMethod, { account: accountId, kind: 'backup_codes', label: BACKUP_CODES_LABEL });
      for (const code of codes) em.create(BackupCode, { method, codeHash: this.hash(code) });
      return !existing;
    });
    await this.audit.record({ action: 'mfa.backup_codes_generated', actorId: accountId });
    await this.methods.notifyChange(accountId, fresh ? 'mfa.email.backupAdded' : 'mfa.email.backupRenewed');
    return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
  }

  async verify(accountId: string, code: string): Promise<AttemptResult> {
    const method = await this.em.findOne(MfaMethod, { account: accountId, kind: 'backup_codes' });
    if (!method) return { ok: false, reason: 'wrong', message: 'mfa.errors.backupCodeWrong' };
    const result = await this.tries.attempt(method, async () => {
      const used = await this.em.nativeUpdate(BackupCode, { method: method.id, codeHash: this.hash(code), usedAt: null }, { usedAt: new Date() });
      return used === 1;
    });
    if (!result.ok && result.reason === 'wrong') return { ...result, message: 'mfa.errors.backupCodeWrong' };
    return result;
  }

  async codesLeft(methodId: string): Promise<number> {
    return this.em.count(BackupCode, { method: methodId, usedAt: null });
  }
}
