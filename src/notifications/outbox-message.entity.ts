import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

export interface EmailAttachment {
  filename: string;
  contentType: string;
  content: string;
}

export type OutboxChannel = 'email' | 'sms' | 'voice';
/** queued: waiting for a sender; sent: delivered to the provider; kept: no provider configured (development). */
export type OutboxStatus = 'queued' | 'sent' | 'failed' | 'kept';

/**
 * Every email and text message Referee sends passes through this table. Delivered messages
 * are deleted after OUTBOX_RETENTION_HOURS (NotificationsService.deleteDelivered).
 */
@Entity({ tableName: 'outbox_message' })
@Index({ properties: ['status', 'createdAt'] })
export class OutboxMessage {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Enum({ items: ['email', 'sms', 'voice'] })
  channel!: OutboxChannel;

  /** The email address or phone number: PiiCipher ciphertext bound to this row (see recipients.ts). */
  @Property({ type: 'text' })
  recipient!: string;

  @Property({ type: 'text', nullable: true })
  subject?: string;

  /** Plain text. Erased once delivered to a provider: it may carry a one-time link. */
  @Property({ type: 'text' })
  body!: string;

  /** Files sent with an email (e.g. an appointment's .ics), as text. */
  @Property({ type: 'json', nullable: true })
  attachments?: EmailAttachment[];

  @Enum({ items: ['queued', 'sent', 'failed', 'kept'] })
  status: Opt<OutboxStatus> = 'queued';

  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  sentAt?: Date;

  /** After a failed attempt: when the retry job may try again (backoff by attempts). */
  @Property({ type: 'datetime', nullable: true })
  nextAttemptAt?: Date;
}
