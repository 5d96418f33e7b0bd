import { Entity, Index, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Account } from '../identity/account.entity';

/**
 * An account its owner asked to delete: due at `dueAt` (ACCOUNT_DELETION_WAIT_HOURS after the
 * request), when the account-deletion job removes it. Cancelling deletes the row; the account's
 * own deletion takes the row with it (cascade).
 */
@Entity({ tableName: 'account_deletion' })
export class AccountDeletion {
  @OneToOne(() => Account, { primary: true, deleteRule: 'cascade', fieldName: 'account_id' })
  account!: Account;

  @Property({ type: 'datetime' })
  requestedAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  @Index()
  dueAt!: Date;

  /** The person's time zone (their browser's, when it said), in which pages and emails give the deletion's time. */
  @Property({ type: 'text' })
  timeZone: Opt<string> = 'UTC';
}
