import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';

export type MfaKind = 'passkey' | 'totp' | 'phone' | 'backup_codes';

/**
 * A confirmed second factor of an account. Half-finished setups are never stored here
 * (they live in mfa_pending until confirmed).
 */
@Entity({ tableName: 'mfa_method' })
export class MfaMethod {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  @Index()
  account!: Account;

  @Enum({ items: ['passkey', 'totp', 'phone', 'backup_codes'] })
  kind!: MfaKind;

  /** The person's own name for it ("Work laptop", "My phone"). */
  @Property({ type: 'text' })
  label!: string;

  /** passkey: the credential id (base64url), unique across accounts. */
  @Property({ type: 'text', nullable: true, unique: true })
  credentialId?: string;

  /** passkey: COSE public key (base64url). */
  @Property({ type: 'text', nullable: true })
  publicKey?: string;

  /** passkey: signature counter, to spot cloned authenticators. */
  @Property({ type: 'bigint', nullable: true })
  signCount?: number;

  @Property({ type: 'json', nullable: true })
  transports?: string[];

  /** totp: the shared secret; phone: the E.164 number. Encrypted (SecretCipher). */
  @Property({ type: 'text', nullable: true, hidden: true })
  secretSealed?: string;

  /** totp: last accepted time step; a code of that step or earlier is refused (replay). */
  @Property({ type: 'bigint', nullable: true })
  lastTimeStep?: number;

  /** phone: how codes are delivered. */
  @Enum({ items: ['sms', 'voice'], nullable: true })
  phoneChannel?: 'sms' | 'voice';

  /** phone: what pages show, e.g. "+44 •••• ••• 789". */
  @Property({ type: 'text', nullable: true })
  displayHint?: string;

  /** Wrong codes in a row on this method; 10 locks it for 15 minutes. */
  @Property({ type: 'integer', default: 0 })
  failedAttempts: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  lockedUntil?: Date;

  /** Growing delay: no new attempt before this time. */
  @Property({ type: 'datetime', nullable: true })
  nextAttemptAt?: Date;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date;
}
