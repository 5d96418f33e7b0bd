import { Entity, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Account } from '../identity/account.entity';

/**
 * The outcome of a successful verification, as shared with organizations. Names, date of
 * birth, address and document details are PII: they are sealed (crypto/pii-cipher.ts).
 */
@Entity({ tableName: 'verified_identity' })
export class VerifiedIdentityRecord {
  @OneToOne(() => Account, { primary: true, deleteRule: 'cascade', fieldName: 'account_id' })
  account!: Account;

  @Property({ type: 'datetime' })
  verifiedAt!: Date;

  /** Verified with a Social Security number (not an ITIN, not a passport number alone). */
  @Property({ type: 'boolean' })
  ssnVerified!: boolean;

  /**
   * The opaque reference organizations get as verification_process (not personal data). For
   * an identity recorded before references existed, the one its call was given by the migration.
   */
  @Property({ type: 'text', nullable: true })
  verificationReference?: string;

  /** JSON of the claims and evidence, sealed. */
  @Property({ type: 'text' })
  detailsSealed!: string;

  @Property({ type: 'datetime' })
  updatedAt: Opt<Date> = new Date();

  /**
   * Set when every second factor was removed by recovery: someone may have taken the
   * account over, so the identity is not shared again until it is verified again.
   */
  @Property({ type: 'datetime', nullable: true })
  reconfirmRequiredAt?: Date;
}
