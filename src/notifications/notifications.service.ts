import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { LOGGER } from '../web/tokens';
import { OutboxMessage, type EmailAttachment } from './outbox-message.entity';
import { recipientsInTheClear, sealRecipient } from './outbox.queries';
import { type Language, languageOr } from '../i18n/languages';
import { Messages, type Text } from '../i18n/messages';
import { PiiCipher } from '../crypto/pii-cipher';
import { isSealedRecipient, recipientContext, SEALED_RECIPIENT, withoutRecipient } from './recipients';
import { SendAfterCommit } from './after-commit';

export interface Email {
  to: string;
  subject: string;
  text: string;
  attachments?: EmailAttachment[];
}

/** Retry delivery this many times before a message stays 'failed' for a person to look at. */
const MAX_ATTEMPTS = 5;
/** The retry job leaves a new message this long to its delivery after commit. */
const RETRY_AFTER_MS = 30_000;
/** After its n-th failed attempt a message waits 2^(n-1) minutes (1, 2, 4, 8) before the next. */
export const backoffMs = (attempts: number) => 60_000 * 2 ** (attempts - 1);

/** An outbox message as the development outbox shows it: its recipient decrypted. */
export type ShownMessage = Omit<OutboxMessage, 'recipient'> & { recipient: string };

/**
 * Every message goes into the outbox table first (in the caller's transaction), then to
 * the provider: an email once that transaction commits (never if it rolls back), by the
 * instance that wrote it; what that could not send, the retry job sends, with backoff. Each
 * sender claims its messages (FOR UPDATE SKIP LOCKED), so no message is sent twice.
 * Without SMTP_URL messages are kept in the outbox, where /dev/outbox shows them.
 * Recipients are encrypted (PiiCipher, bound to the row); delivered messages are deleted
 * after OUTBOX_RETENTION_HOURS.
 */
@Injectable()
export class NotificationsService implements OnModuleInit, OnModuleDestroy, OnApplicationBootstrap {
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

  /** Sends started after a commit and not finished yet. */
  private readonly sending = new Set<Promise<void>>();

  onModuleInit() {
    // Every EntityManager (request, transaction, job) shares these subscribers. The commit does
    // not wait for the mail server: an answer's time must not depend on it (whether an address
    // has an account shows in whether mail is sent), and what fails, the retry job sends.
    this.em.getEventManager().registerSubscriber(
      new SendAfterCommit(async (ids) => {
        const sent = this.sendCommitted(ids).finally(() => this.sending.delete(sent));
        this.sending.add(sent);
      }),
    );
  }

  /** Resolves once every send started after a commit has ended (an instance stopping waits for it). */
  async settled(): Promise<void> {
    while (this.sending.size) await Promise.all([...this.sending]);
  }

  async onModuleDestroy() {
    await this.settled();
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

  /** Sends the emails a transaction queued, just after it committed. What fails here, the retry job sends. */
  private async sendCommitted(ids: string[]): Promise<void> {
    if (!this.transport) return;
    try {
      await this.em.fork().transactional((tx) => this.send(tx, { id: { $in: ids } }));
    } catch (error) {
      this.logger.warn({ err: error }, 'email delivery after commit failed; the retry job sends them');
    }
  }

  /**
   * Claims the queued emails matching `where` and sends them. FOR UPDATE SKIP LOCKED: a
   * message another sender holds (on this instance or another) is left to it, and one it has
   * sent is no longer queued. Returns how many were tried.
   */
  private async send(tx: EntityManager, where: FilterQuery<OutboxMessage>, limit?: number): Promise<number> {
    const messages = await tx.find(
      OutboxMessage,
      { $and: [where, { status: 'queued', channel: 'email' }] },
      { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE, limit, orderBy: { createdAt: 'asc' } },
    );
    for (const message of messages) {
      message.attempts += 1;
      try {
        await this.transport!.sendMail({
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
        message.nextAttemptAt = undefined;
      } catch (error) {
        message.lastError = this.failureOf(message, error);
        if (message.attempts >= MAX_ATTEMPTS) message.status = 'failed';
        else message.nextAttemptAt = new Date(Date.now() + backoffMs(message.attempts));
        this.logger.warn({ messageId: message.id, attempt: message.attempts }, 'email delivery failed');
      }
    }
    await tx.flush();
    return messages.length;
  }

  /** Sends what was not sent at commit, once a minute, on one instance at a time; returns how many were tried. */
  @Cron(JOBS['outbox-retry'].schedule, { name: 'outbox-retry' })
  async retryQueued(): Promise<number> {
    if (!this.transport) return 0;
    const now = Date.now();
    const tried = await this.jobs.runExclusive('outbox-retry', () =>
      this.em.fork().transactional((tx) =>
        this.send(tx, { createdAt: { $lt: new Date(now - RETRY_AFTER_MS) }, $or: [{ nextAttemptAt: null }, { nextAttemptAt: { $lte: new Date(now) } }] }, 50),
      ),
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
      const rows = await recipientsInTheClear(tx, SEALED_RECIPIENT);
      for (const row of rows) {
        await sealRecipient(tx, row.id, this.cipher.encrypt(row.recipient, recipientContext(row.id)));
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
