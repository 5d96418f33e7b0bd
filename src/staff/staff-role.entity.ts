import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';
import { STAFF_ROLES, type StaffRole } from './roles';

/** A staff role held by an account. */
@Entity({ tableName: 'staff_role' })
@Unique({ properties: ['account', 'role'] })
export class StaffRoleGrant {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  account!: Account;

  @Enum({ items: [...STAFF_ROLES] })
  role!: StaffRole;

  @Property({ type: 'datetime' })
  grantedAt: Opt<Date> = new Date();

  /** The admin who granted it; none when created by the command line or at first start. */
  @Property({ type: 'uuid', nullable: true })
  grantedBy?: string;
}
