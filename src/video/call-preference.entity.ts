import type { Opt } from '@mikro-orm/core';
import { Entity, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import { VerificationCase } from '../verification/verification-case.entity';

/**
 * The applicant's choices for the call: its language (any but English means an interpreter)
 * and a helper they declared (name, relationship, role: PiiCipher ciphertext bound to this row).
 * Helpers and interpreters decide nothing: the Trusted Referee does.
 */
@Entity({ tableName: 'call_preference' })
export class CallPreference {
  @OneToOne(() => VerificationCase, { primary: true, deleteRule: 'cascade', fieldName: 'verification_case_id' })
  verificationCase!: VerificationCase;

  /** BCP 47 language code (CLDR). */
  @Property({ type: 'text' })
  language: Opt<string> = 'en';

  @Property({ type: 'text', nullable: true, hidden: true })
  helperCipher?: string;

  @Property({ type: 'datetime' })
  updatedAt: Opt<Date> = new Date();
}
