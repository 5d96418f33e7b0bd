import type { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
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

  /**
   * When the second factor was passed (or the first one set up). Until then the session
   * only lets the person reach the second-factor pages: it is not signed in.
   */
  @Property({ type: 'datetime', nullable: true })
  secondFactorAt?: Date;

  /** Last time the person proved who they are (password, or a passkey alone); changes to factors ask again after a while. */
  @Property({ type: 'datetime' })
  authenticatedAt: Opt<Date> = new Date();

  /** When the password was given again to confirm who you are (the first half; the second factor must follow soon). */
  @Property({ type: 'datetime', nullable: true })
  confirmPasswordAt?: Date | null;

  /** When the person last confirmed who they are with password and second factor (before downloading their data or deleting their account). */
  @Property({ type: 'datetime', nullable: true })
  confirmedAt?: Date | null;

  /** The absolute limit (12 h by default), whatever the activity. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
