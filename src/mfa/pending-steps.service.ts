import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { tokenHash } from '../crypto/tokens';
import { MfaPending, type PendingPurpose } from './mfa-pending.entity';
import { MFA_POLICY } from './policy';

/**
 * Steps half done in one browser (a shown secret, a sent code, a WebAuthn challenge): one
 * per purpose per browser, kept in the database so any instance can finish them.
 */
@Injectable()
export class PendingStepsService {
  constructor(private readonly em: EntityManager) {}

  private idOf(purpose: PendingPurpose, browserKey: string) {
    return `${purpose}:${tokenHash(browserKey)}`;
  }

  async set(purpose: PendingPurpose, browserKey: string, accountId: string | undefined, data: Record<string, unknown>): Promise<void> {
    const id = this.idOf(purpose, browserKey);
    await this.em.upsert(MfaPending, {
      id,
      purpose,
      accountId,
      data,
      expiresAt: new Date(Date.now() + MFA_POLICY.pendingLifetimeMs),
      createdAt: new Date(),
    });
  }

  async get(purpose: PendingPurpose, browserKey: string, accountId?: string): Promise<MfaPending | null> {
    const pending = await this.em.findOne(MfaPending, { id: this.idOf(purpose, browserKey), expiresAt: { $gt: new Date() } });
    if (!pending || (accountId && pending.accountId !== accountId)) return null;
    return pending;
  }

  /** Takes a pending step once: of two concurrent requests only one gets it. */
  async take(purpose: PendingPurpose, browserKey: string, accountId?: string): Promise<MfaPending | null> {
    const pending = await this.get(purpose, browserKey, accountId);
    if (!pending) return null;
    const deleted = await this.em.nativeDelete(MfaPending, { id: pending.id });
    return deleted === 1 ? pending : null;
  }
}
