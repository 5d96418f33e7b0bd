import { PrimaryKeyProp, type Opt } from '@mikro-orm/core';
import { Entity, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';

/**
 * Per-account second-factor state: consecutive failures across every method (NIST: at most
 * 100, then only recovery helps) and a pending "lost all my factors" recovery.
 */
@Entity({ tableName: 'mfa_account_state' })
export class MfaAccountState {
  [PrimaryKeyProp]?: 'account';

  @OneToOne(() => Account, { primary: true, deleteRule: 'cascade' })
  account!: Account;

  @Property({ type: 'integer', default: 0 })
  consecutiveFailures: Opt<number> = 0;

  /**
   * Recovery requested: every factor is removed when it becomes due, unless cancelled (by
   * the owner's emailed single-use link, purpose `cancel_recovery`).
   */
  @Property({ type: 'datetime', nullable: true })
  recoveryDueAt?: Date;
}
