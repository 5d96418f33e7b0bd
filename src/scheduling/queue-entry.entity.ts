import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';
import { VerificationCase } from '../verification/verification-case.entity';

/**
 * waiting: in the queue; claimed: an agent took it ("Next applicant"); done: the call ended
 * (its handle time feeds the estimate); left: Save & Exit; expired: the page was not seen
 * for 60 minutes.
 */
export const QUEUE_ENTRY_STATUSES = ['waiting', 'claimed', 'done', 'left', 'expired'] as const;
export type QueueEntryStatus = (typeof QUEUE_ENTRY_STATUSES)[number];

/** One applicant's place in the video-call queue. Rows stay after the call: their handle times are the estimate's data. */
@Entity({ tableName: 'queue_entry' })
@Index({ properties: ['status', 'joinedAt'] })
@Index({ properties: ['status', 'finishedAt'] })
@Index({ properties: ['verificationCase'] })
export class QueueEntry {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade' })
  verificationCase!: VerificationCase;

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  account!: Account;

  @Enum({ items: [...QUEUE_ENTRY_STATUSES] })
  status: Opt<QueueEntryStatus> = 'waiting';

  @Property({ type: 'datetime' })
  joinedAt: Opt<Date> = new Date();

  /** Last time the queue page was seen (it polls); 60 minutes without and the place is given up. */
  @Property({ type: 'datetime' })
  lastSeenAt: Opt<Date> = new Date();

  /** "I have my documents ready". */
  @Property({ type: 'datetime', nullable: true })
  readyAt?: Date;

  /** The agent who claimed it. */
  @Property({ type: 'uuid', nullable: true })
  claimedBy?: string;

  @Property({ type: 'datetime', nullable: true })
  claimedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date;
}
