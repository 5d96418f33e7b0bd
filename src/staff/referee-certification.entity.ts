import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';

/** A Trusted Referee's training: renewed yearly; an expired referee cannot take calls. */
@Entity({ tableName: 'referee_certification' })
export class RefereeCertification {
  [PrimaryKeyProp]?: 'account';

  @OneToOne(() => Account, { primary: true, deleteRule: 'cascade' })
  account!: Account;

  @Property({ type: 'date' })
  trainedOn!: string;

  @Property({ type: 'date' })
  expiresOn!: string;
}
