import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Account } from '../identity/account.entity';
import { VerificationCase } from '../verification/verification-case.entity';

/** Links that work once: using one ends it. */
export const SINGLE_USE_PURPOSES = ['confirm_email', 'reset_password', 'resume_case', 'cancel_recovery', 'cancel_deletion'] as const;
/** Links that work again and again until they expire (Take Photo: several uploads from one texted link). */
export const LASTING_PURPOSES = ['capture_photos'] as const;
export const LINK_PURPOSES = [...SINGLE_USE_PURPOSES, ...LASTING_PURPOSES] as const;

export type SingleUsePurpose = (typeof SINGLE_USE_PURPOSES)[number];
export type LastingPurpose = (typeof LASTING_PURPOSES)[number];
/** What a link may do: a token handed out for one purpose is refused for every other. */
export type LinkPurpose = SingleUsePurpose | LastingPurpose;

/** A link emailed or texted to a person (`links.ts`); only the token's SHA-256 is stored. */
@Entity({ tableName: 'link' })
@Index({ properties: ['account', 'purpose'] })
export class Link {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Enum({ items: [...LINK_PURPOSES], nativeEnumName: undefined })
  purpose!: LinkPurpose;

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  account!: Account;

  /** The case the link belongs to, for the purposes that have one (resuming a case, Take Photo). */
  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade', nullable: true })
  @Index()
  verificationCase?: VerificationCase;

  @Property({ type: 'text', unique: true })
  tokenHash!: string;

  /** For a link texted to a phone (Take Photo): the number's last digits, shown on the desktop page. */
  @Property({ type: 'text', nullable: true })
  phoneLast4?: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** When a single-use link was used or ended; a lasting link is never used, it expires. */
  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
