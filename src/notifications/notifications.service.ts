import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { LOGGER } from '../web/tokens';
import { OutboxMessage, type EmailAttachment } from './outbox-message.entity';
import { type Language, languageOr } from '../i18n/languages';
import { Messages, type Text } from '../i18n/messages';
import { PiiCipher } from '../crypto/pii-cipher';
import { isSealedRecipient, recipientContext, SEALED_RECIPIENT, withoutRecipient } from './recipients';

export interface Email {
  to: string;
  subject: string;
  text: string;
  attachments?: EmailAttachment[];
}

/** Retry delivery this many times before a message stays 'failed' for a person to look at. */
const MAX_ATTEMPTS = 5;

/** An outbox message as the development outbox shows it: its recipient decrypted. */
export type ShownMessage = Omit<OutboxMessage, 'recipient'> & { recipient: string };

/**
 * Every message goes into the outbox table first (in the caller's transaction), then to
 * the provider. Without SMTP_URL messages are kept in the outbox, where /dev/outbox shows them.
 * Recipients are encrypted (PiiCipher, bound to the row); delivered messages are deleted
 * after OUTBOX_RETENTION_HOURS.
 */
@Injectable()
export class NotificationsService implements OnModuleDestroy, OnApplicationBootstrap {
  private readonly transport?: Transporter;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly messages: Messages,
    private readonly cipher: PiiCipher,
    private readonly jobs: JobRunner,
  ) {
    if (config.smtpUrl) this.transport = nodemailer.createTransport(config.smtpUrl);
  }

  onModuleDestroy() {
    this.transport?.close();
  }

  async onApplicationBootstrap() {
    // What retention would delete first, so that the first start after an upgrade
    // encrypts only the messages still kept.
    await this.deleteDelivered();
    await this.sealOlderRecipients();
  }

  /** A new outbox message (persisted with the caller's next flush), its recipient encrypted. */
  create(fields: Omit<OutboxMessage, 'id' | 'recipient' | 'status' | 'attempts' | 'createdAt'> & { to: string; status: OutboxMessage['status'] }): OutboxMessage {
    const { to, ...rest } = fields;
    const id = randomUUID();
    const message = this.em.create(OutboxMessage, { ...rest, id, recipient: this.cipher.encrypt(to, recipientContext(id)) });
    this.em.persist(message);
    return message;
  }

  /** The address or number a message goes to, decrypted. */
  recipientOf(message: Pick<OutboxMessage, 'id' | 'recipient'>): string {
    // Written in the clear by an older version and not yet encrypted by sealOlderRecipients.
    if (!isSealedRecipient(message.recipient)) return message.recipient;
    return this.cipher.decrypt(message.recipient, recipientContext(message.id));
  }

  /** A provider's error, kept on the message without the recipient it may name. */
  failureOf(message: Pick<OutboxMessage, 'id' | 'recipient'>, error: unknown): string {
    return withoutRecipient(String((error as Error)?.message ?? error), this.recipientOf(message)).slice(0, 500);
  }

  /**
   * An email's subject and body in the reader's language, from the catalogs: each paragraph
   * is a key (with values); paragraphs are separated by a blank line.
   */
  compose(language: Language | string | undefined, subject: Text, paragraphs: Text[]): { subject: string; text: string } {
    const lang = languageOr(language);
    return {
      subject: this.messages.text(lang, subject),
      text: `${paragraphs.map((p) => this.messages.text(lang, p)).join('\n\n')}\n`,
    };
  }

  /** Adds an email to the outbox; it is written with the caller's next flush. */
  queueEmail(email: Email): OutboxMessage {
    return this.create({
      channel: 'email',
      to: email.to,
      subject: email.subject,
      body: email.text,
      attachments: email.attachments,
      status: this.transport ? 'queued' : 'kept',
    });
  }

  /** Sends queued messages now (after the caller has committed). Failures are retried by the job. */
  async deliver(messages: OutboxMessage[], em: EntityManager = this.em): Promise<void> {
    if (!this.transport) return;
    for (const message of messages) {
      if (message.status !== 'queued') continue;
      message.attempts += 1;
      try {
        await this.transport.sendMail({
          from: this.config.mailFrom,
          to: this.recipientOf(message),
          subject: message.subject,
          text: message.body,
          attachments: message.attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
        });
        message.status = 'sent';
        message.sentAt = new Date();
        message.body = '[delivered]'; // it may carry a one-time link: keep no copy
        message.lastError = undefined;
      } catch (error) {
        message.lastError = this.failureOf(message, error);
        if (message.attempts >= MAX_ATTEMPTS) message.status = 'failed';
        this.logger.warn({ messageId: message.id, attempt: message.attempts }, 'email delivery failed');
      }
    }
    await em.flush();
  }

  /** Retries what could not be sent, once a minute, on one instance at a time; returns how many were tried. */
  @Cron(JOBS['outbox-retry'].schedule, { name: 'outbox-retry' })
  async retryQueued(): Promise<number> {
    if (!this.transport) return 0;
    const tried = await this.jobs.runExclusive('outbox-retry', () =>
      this.em.fork().transactional(async (tx) => {
        const due = await tx.find(OutboxMessage, { status: 'queued', createdAt: { $lt: new Date(Date.now() - 30_000) } }, { limit: 50, orderBy: { createdAt: 'asc' } });
        await this.deliver(due, tx);
        return due.length;
      }),
    );
    return tried ?? 0;
  }

  /**
   * Deletes messages delivered (or, without a provider, kept) longer ago than
   * OUTBOX_RETENTION_HOURS: the encrypted address or number goes with them. Queued and failed
   * messages stay (the retry job, or a person, still needs them). Hourly, on one instance at
   * a time.
   */
  @Cron(JOBS['outbox-retention'].schedule, { name: 'outbox-retention' })
  async deleteDelivered(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.retention.outboxHours * 3_600_000);
    const deleted = await this.jobs.runExclusive('outbox-retention', () =>
      this.em.fork().nativeDelete(OutboxMessage, {
        $or: [
          { status: 'sent', sentAt: { $lt: cutoff } },
          { status: 'kept', createdAt: { $lt: cutoff } },
        ],
      }),
    );
    return deleted ?? 0;
  }

  /**
   * Encrypts the recipients older versions wrote in the clear. It runs at start, with the key
   * ring from configuration (a migration has no keys: it also runs where there are none, e.g.
   * `npm run migrate`), by one instance at a time, and hourly for rows an instance of the
   * older version wrote during a rolling upgrade; until then recipientOf reads such a row as it is.
   */
  @Cron(JOBS['outbox-recipient-encryption'].schedule, { name: 'outbox-recipient-encryption' })
  async sealOlderRecipients(): Promise<number> {
    const sealed = await this.jobs.runExclusive('outbox-recipient-encryption', () => this.em.fork().transactional(async (tx) => {
      const rows: { id: string; recipient: string }[] = await tx.execute(
        `select id, recipient from outbox_message where recipient !~ ?`,
        [SEALED_RECIPIENT.source],
      );
      for (const row of rows) {
        await tx.execute('update outbox_message set recipient = ? where id = ?', [this.cipher.encrypt(row.recipient, recipientContext(row.id)), row.id]);
      }
      return rows.length;
    }));
    return sealed ?? 0;
  }

  /** Messages for the development outbox page, newest first, their recipients decrypted. */
  async latest(limit = 50): Promise<ShownMessage[]> {
    const messages = await this.em.find(OutboxMessage, {}, { orderBy: { createdAt: 'desc' }, limit });
    return messages.map((m) => ({ ...m, recipient: this.recipientOf(m) }));
  }
}
