import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export type PendingPurpose = 'totp_setup' | 'phone_setup' | 'phone_challenge' | 'passkey_setup' | 'passkey_challenge' | 'passkey_signin';

/**
 * A step in progress in one browser (a TOTP secret shown but not yet confirmed, a code
 * sent, a WebAuthn challenge), keyed by the hash of the browser key and the purpose.
 * Expires by itself; nothing here counts as a factor.
 */
@Entity({ tableName: 'mfa_pending' })
@Index({ properties: ['expiresAt'] })
export class MfaPending {
  /** `<purpose>:<hash of the browser key>`: one step of each kind per browser. */
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Enum({ items: ['totp_setup', 'phone_setup', 'phone_challenge', 'passkey_setup', 'passkey_challenge', 'passkey_signin'] })
  purpose!: PendingPurpose;

  @Property({ type: 'uuid', nullable: true })
  accountId?: string;

  /** Purpose-specific, secrets sealed: { secretSealed, phoneSealed, codeHash, challenge, methodId, attempts }. */
  @Property({ type: 'json' })
  data!: Record<string, unknown>;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
