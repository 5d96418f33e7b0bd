import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';

/** "Remember this browser for 30 days": the cookie's token, hashed. Never for staff accounts. */
@Entity({ tableName: 'remembered_browser' })
export class RememberedBrowser {
  @PrimaryKey({ type: 'text' })
  tokenHash!: string;

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  @Index()
  account!: Account;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
