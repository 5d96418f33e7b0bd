import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';
import { FRAUD_KINDS, REQUEST_CATEGORIES, REQUEST_STATUSES, type FraudKind, type RequestCategory, type RequestStatus } from './categories';

/**
 * A question to Referee support, or a fraud report. Signed in: tied to the account (and
 * deleted with it); not signed in: the reply address is kept encrypted. The messages,
 * which may hold anything a person types, are in support_message, encrypted too.
 */
@Entity({ tableName: 'support_request' })
@Index({ properties: ['status', 'priority', 'createdAt'] })
@Index({ properties: ['lastActivityAt'] })
@Index({ properties: ['account', 'createdAt'] })
export class SupportRequest {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** What the person quotes to us, like RF-7KM2Q-9XDTA: not a secret (every page checks the owner). */
  @Property({ type: 'text', unique: true })
  reference!: string;

  @ManyToOne(() => Account, { nullable: true, deleteRule: 'cascade' })
  account?: Account;

  /** The reply address of someone not signed in: PiiCipher ciphertext bound to this row. */
  @Property({ type: 'text', nullable: true })
  emailCipher?: string;

  /**
   * The language of the page the request was sent from: emails to someone without an
   * account are written in it (an account's own choice comes first for the others).
   */
  @Property({ type: 'text', nullable: true })
  language?: string;

  @Enum({ items: [...REQUEST_CATEGORIES] })
  category!: RequestCategory;

  @Enum({ items: [...FRAUD_KINDS], nullable: true })
  fraudKind?: FraudKind;

  /** Fraud reports: first in the queue, and listed for supervisors. */
  @Property({ type: 'boolean', default: false })
  priority: Opt<boolean> = false;

  /** A verification case or earlier request the person quoted (free text, checked for shape). */
  @Property({ type: 'text', nullable: true })
  caseReference?: string;

  @Enum({ items: [...REQUEST_STATUSES] })
  status: Opt<RequestStatus> = 'open';

  /** Messages so far: an answer names the count its writer saw, so two agents never answer past each other. */
  @Property({ type: 'integer', default: 0 })
  messageCount: Opt<number> = 0;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  /** The last message: the retention job deletes by it (SUPPORT_RETENTION_DAYS). */
  @Property({ type: 'datetime' })
  lastActivityAt: Opt<Date> = new Date();

  /** Fraud reports: when a supervisor looked into it, and who. */
  @Property({ type: 'datetime', nullable: true })
  reviewedAt?: Date;

  @Property({ type: 'uuid', nullable: true })
  reviewedBy?: string;
}
