import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config';
import { LOGGER } from '../web/tokens';
import { OutboxMessage, type EmailAttachment } from './outbox-message.entity';
import { type Language, languageOr } from '../i18n/languages';
import { Messages, type Text } from '../i18n/messages';

export interface Email {
  to: string;
  subject: string;
  text: string;
  attachments?: EmailAttachment[];
}

/** Retry delivery this many times before a message stays 'failed' for a person to look at. */
const MAX_ATTEMPTS = 5;
/** PostgreSQL advisory-lock key of the retry job, so only one instance runs it at a time. */
export const RETRY_JOB_LOCK = 7_310_001;

/**
 * Every message goes into the outbox table first (in the caller's transaction), then to
 * the provider. Without SMTP_URL messages are kept in the outbox, where /dev/outbox shows them.
 */
@Injectable()
export class NotificationsService implements OnModuleDestroy {
  private readonly transport?: Transporter;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly messages: Messages,
  ) {
    if (config.smtpUrl) this.transport = nodemailer.createTransport(config.smtpUrl);
  }

  onModuleDestroy() {
    this.transport?.close();
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
    const message = this.em.create(OutboxMessage, {
      channel: 'email',
      recipient: email.to,
      subject: email.subject,
      body: email.text,
      attachments: email.attachments,
      status: this.transport ? 'queued' : 'kept',
    });
    this.em.persist(message);
    return message;
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
          to: message.recipient,
          subject: message.subject,
          text: message.body,
          attachments: message.attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
        });
        message.status = 'sent';
        message.sentAt = new Date();
        message.body = '[delivered]'; // it may carry a one-time link: keep no copy
        message.lastError = undefined;
      } catch (error) {
        message.lastError = (error as Error).message?.slice(0, 500);
        if (message.attempts >= MAX_ATTEMPTS) message.status = 'failed';
        this.logger.warn({ messageId: message.id, attempt: message.attempts }, 'email delivery failed');
      }
    }
    await em.flush();
  }

  /** Retries what could not be sent, once a minute, on one instance at a time. */
  @Cron(CronExpression.EVERY_MINUTE)
  async retryQueued(): Promise<void> {
    if (!this.transport) return;
    const em = this.em.fork();
    await em.transactional(async (tx) => {
      const [{ locked }] = await tx.getConnection().execute('select pg_try_advisory_xact_lock(?) as locked', [RETRY_JOB_LOCK], 'all', tx.getTransactionContext());
      if (!locked) return;
      const due = await tx.find(OutboxMessage, { status: 'queued', createdAt: { $lt: new Date(Date.now() - 30_000) } }, { limit: 50, orderBy: { createdAt: 'asc' } });
      await this.deliver(due, tx);
    });
  }

  /** Messages for the development outbox page, newest first. */
  latest(limit = 50): Promise<OutboxMessage[]> {
    return this.em.find(OutboxMessage, {}, { orderBy: { createdAt: 'desc' }, limit });
  }
}
