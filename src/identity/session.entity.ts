import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Account } from './account.entity';

/**
 * A signed-in browser. The cookie holds a random token; only its SHA-256 is stored,
 * so a copy of the database does not hand out live sessions.
 */
@Entity({ tableName: 'session' })
export class Session {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  @Index()
  account!: Account;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  lastSeenAt: Opt<Date> = new Date();

  /** The absolute limit (12 h by default), whatever the activity. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
