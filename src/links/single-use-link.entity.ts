import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Account } from '../identity/account.entity';
import { VerificationCase } from '../verification/verification-case.entity';

export const LINK_PURPOSES = ['confirm_email', 'reset_password', 'resume_case', 'cancel_recovery'] as const;
/** What a link may do: a token handed out for one purpose is refused for every other. */
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

/** A single-use link handed out by email (`single-use-links.ts`); only the token's SHA-256 is stored. */
@Entity({ tableName: 'single_use_link' })
@Index({ properties: ['account', 'purpose'] })
export class SingleUseLink {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Enum({ items: [...LINK_PURPOSES], nativeEnumName: undefined })
  purpose!: LinkPurpose;

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  account!: Account;

  /** The case the link belongs to, for the purposes that have one (resuming a case). */
  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade', nullable: true })
  @Index()
  verificationCase?: VerificationCase;

  @Property({ type: 'text', unique: true })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
