import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Account } from './account.entity';

export type EmailTokenPurpose = 'confirm_email' | 'reset_password';

/** A single-use link sent by email; only the token's SHA-256 is stored. */
@Entity({ tableName: 'email_token' })
export class EmailToken {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  @Index()
  account!: Account;

  @Enum({ items: ['confirm_email', 'reset_password'], nativeEnumName: undefined })
  purpose!: EmailTokenPurpose;

  @Property({ type: 'text', unique: true })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
