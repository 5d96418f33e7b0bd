import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { VerificationCase } from './verification-case.entity';

/**
 * A Save & Exit continuation code (NIST SP 800-63A): 256 random bits, emailed as a link,
 * stored only as its SHA-256, used once, valid 30 days.
 */
@Entity({ tableName: 'verification_resume_code' })
export class ResumeCode {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade' })
  @Index()
  verificationCase!: VerificationCase;

  @Property({ type: 'text', unique: true })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
