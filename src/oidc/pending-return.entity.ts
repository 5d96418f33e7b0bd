import { Entity, Index, ManyToOne, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Account } from '../identity/account.entity';
import { Organization } from './organization.entity';

/** The organization that sent someone to verify, so they can go back to it afterwards, even days later. */
@Entity({ tableName: 'oidc_pending_return' })
export class PendingReturn {
  @OneToOne(() => Account, { primary: true, deleteRule: 'cascade', fieldName: 'account_id' })
  account!: Account;

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  @Index()
  organization!: Organization;

  /** The authorization request waiting in this browser, while it lasts. */
  @Property({ type: 'text', nullable: true })
  interactionUid?: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
