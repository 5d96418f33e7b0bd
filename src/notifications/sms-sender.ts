import { Inject, Injectable } from '@nestjs/common';
import { voiceOf, type Language } from '../i18n/languages';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import twilio from 'twilio';
import { CONFIG, type Config } from '../config/config';
import { LOGGER } from '../web/tokens';
import { NotificationsService } from './notifications.service';

export class DeliveryFailed extends Error {}

type TwilioClient = ReturnType<typeof twilio>;
type RequestOptions<TData> = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: TData };

/**
 * Text messages and voice calls carrying short codes. Each goes through the outbox; with
 * Twilio configured it is sent at once, so the page can say plainly when it failed.
 */
@Injectable()
export class SmsSender {
  private readonly client?: TwilioClient;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly outbox: NotificationsService,
  ) {
    const settings = config.twilio;
    if (settings) {
      const httpClient = settings.apiBase ? new RedirectingRequestClient(settings.apiBase) : undefined;
      this.client = twilio(settings.accountSid, settings.authToken, { httpClient, autoRetry: false });
    }
  }

  /** Sends `text` to an E.164 number; throws DeliveryFailed when the provider refuses it. */
  async send(to: string, text: string, channel: 'sms' | 'voice', language?: Language): Promise<void> {
    const message = this.outbox.create({ channel, to, body: text, status: this.client ? 'queued' : 'kept' });
    await this.em.flush();
    if (!this.client) return;
    message.attempts = 1;
    try {
      if (channel === 'sms') {
        await this.client.messages.create({ to, from: this.config.twilio!.from, body: text });
      } else {
        const twiml = new twilio.twiml.VoiceResponse();
        twiml.say({ loop: 2, language: voiceOf(language) as never }, text); // read in the text's own language
        await this.client.calls.create({ to, from: this.config.twilio!.from, twiml: twiml.toString() });
      }
      message.status = 'sent';
      message.sentAt = new Date();
      message.body = '[delivered]';
    } catch (error) {
      message.status = 'failed';
      message.lastError = this.outbox.failureOf(message, error);
      this.logger.warn({ messageId: message.id, channel }, 'text message delivery failed');
    }
    await this.em.flush();
    if (message.status === 'failed') throw new DeliveryFailed(message.lastError);
  }
}

/** Sends Twilio's API calls to another base address (a regional proxy, or a local stand-in in tests). */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(private readonly base: string) {
    super();
  }

  override request<TData>(opts: RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(/^https:\/\/[^/]+/, this.base) });
  }
}
