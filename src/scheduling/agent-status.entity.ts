import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';

export const AGENT_STATUSES = ['available', 'on_call', 'away'] as const;
export type AgentStatusValue = (typeof AGENT_STATUSES)[number];

/** A Trusted Referee's status, set on the calls console; "on duty" is available or on a call. */
@Entity({ tableName: 'agent_status' })
@Index({ properties: ['status'] })
export class AgentStatus {
  @OneToOne(() => Account, { primary: true, deleteRule: 'cascade', fieldName: 'account_id' })
  account!: Account;

  @Enum({ items: [...AGENT_STATUSES] })
  status!: AgentStatusValue;

  @Property({ type: 'datetime' })
  updatedAt: Opt<Date> = new Date();
}
