import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

/** A person's Referee account: applicants now, staff later. */
@Entity({ tableName: 'account' })
export class Account {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Normalised (trimmed, lower-case) so one address is one account. */
  @Property({ type: 'text', unique: true })
  email!: string;

  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  @Property({ type: 'datetime', nullable: true })
  emailConfirmedAt?: Date;

  /** Wrong passwords in a row; sign-in stops at 100 until the password is reset (NIST SP 800-63B). */
  @Property({ type: 'integer', default: 0 })
  failedSignIns: Opt<number> = 0;

  /** The language they chose for pages, emails and text messages (unset: their browser's). */
  @Property({ type: 'text', nullable: true })
  language?: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
