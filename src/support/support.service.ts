import { Inject, Injectable } from '@nestjs/common';
import { LockMode, QueryOrder } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomInt, randomUUID } from 'node:crypto';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { formatNumber } from '../i18n/formats';
import { type Language, languageOr } from '../i18n/languages';
import { Messages, phrase, type Text } from '../i18n/messages';
import { Account } from '../identity/account.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { CATEGORY_LABELS, FRAUD_KIND_LABELS, type FraudKind, type RequestCategory, type RequestStatus, type SupportCategory } from './categories';
import { FRAUD_NEXT_STEPS } from './fraud';
import { SupportMessage, type MessageAuthor } from './support-message.entity';
import { SupportRequest } from './support-request.entity';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Letters and digits that cannot be mistaken for each other when read out (no 0/O, 1/I/L, U/V). */
const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTWXYZ';
export const REFERENCE = /^RF-[2-9A-HJKMNP-TW-Z]{5}-[2-9A-HJKMNP-TW-Z]{5}$/;
const QUEUE_PAGE = 100;

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;

/** Who asks: a signed-in account, or someone not signed in with a reply address; and the language of the page they asked from. */
export type Requester = ({ accountId: string } | { email: string }) & { language?: Language };

export interface NewRequest {
  category: SupportCategory;
  message: string;
  caseReference?: string;
}

export interface ShownMessage {
  id: string;
  author: MessageAuthor;
  body: string;
  createdAt: Date;
}

export interface ShownRequest {
  request: SupportRequest;
  messages: ShownMessage[];
  /** Staff pages only: where answers go. */
  replyTo?: string;
  signedIn: boolean;
}

export type AnswerOutcome = 'answered' | 'changed' | 'not-found';

export function newReference(): string {
  const pick = () => Array.from({ length: 5 }, () => REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)]).join('');
  return `RF-${pick()}-${pick()}`;
}

/**
 * Support requests and fraud reports: created by anyone (signed in, or with an email
 * address), answered by staff with the support role, read only by the person who asked.
 * Every message is encrypted at rest: people type anything into a support form.
 */
@Injectable()
export class SupportService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly cipher: PiiCipher,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly messages: Messages,
  ) {}

  /** A question from the contact form. */
  ask(requester: Requester, input: NewRequest, by: Actor): Promise<SupportRequest> {
    return this.create(requester, { category: input.category, message: input.message, caseReference: input.caseReference }, by);
  }

  /** A fraud report: a priority request, flagged for supervisors, and an audit event. */
  reportFraud(requester: Requester, kind: FraudKind, message: string, by: Actor): Promise<SupportRequest> {
    return this.create(requester, { category: 'fraud', fraudKind: kind, message }, by);
  }

  private async create(
    requester: Requester,
    input: { category: RequestCategory; fraudKind?: FraudKind; message: string; caseReference?: string },
    by: Actor,
  ): Promise<SupportRequest> {
    const reference = await this.unusedReference();
    const request = await this.em.transactional(async (em) => {
      const account = 'accountId' in requester ? await em.findOneOrFail(Account, requester.accountId) : undefined;
      const request = em.create(SupportRequest, {
        reference,
        account,
        category: input.category,
        fraudKind: input.fraudKind,
        priority: !!input.fraudKind,
        caseReference: input.caseReference,
        language: requester.language,
        messageCount: 1,
      });
      const to = account ? account.email : (requester as { email: string }).email;
      if (!account) request.emailCipher = this.cipher.encrypt(to, emailContext(request.id));
      this.addMessage(em, request, 'requester', input.message);
      const language = languageOf(request, account);
      this.notifications.queueEmail(
        input.fraudKind ? this.fraudReceivedEmail(to, language, request, input.fraudKind) : this.receivedEmail(to, language, request),
      );
      return request;
    });
    await this.audit.record(
      input.fraudKind
        ? { action: 'fraud.reported', subject: request.id, details: { kind: input.fraudKind, signedIn: !!request.account }, ...by }
        : { action: 'support.request_created', subject: request.id, details: { category: input.category, signedIn: !!request.account }, ...by },
    );
    return request;
  }

  private async unusedReference(): Promise<string> {
    for (;;) {
      const reference = newReference();
      if ((await this.em.count(SupportRequest, { reference })) === 0) return reference;
    }
  }

  private addMessage(em: EntityManager, request: SupportRequest, author: MessageAuthor, body: string, staffId?: string): SupportMessage {
    const id = randomUUID();
    const now = new Date();
    request.lastActivityAt = now;
    return em.create(SupportMessage, { id, request, author, staffId, bodyCipher: this.cipher.encrypt(body, messageContext(id)), createdAt: now });
  }

  private async show(request: SupportRequest, forStaff: boolean): Promise<ShownRequest> {
    const messages = await this.em.find(SupportMessage, { request: request.id }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return {
      request,
      signedIn: !!request.account,
      replyTo: forStaff ? (await this.recipientOf(request)).to : undefined,
      messages: messages.map((m) => ({ id: m.id, author: m.author, createdAt: m.createdAt, body: this.cipher.decrypt(m.bodyCipher, messageContext(m.id)) })),
    };
  }

  private async recipientOf(request: SupportRequest, em: EntityManager = this.em): Promise<{ to: string; language: Language }> {
    if (request.account) {
      const account = await em.findOneOrFail(Account, request.account.id);
      return { to: account.email, language: languageOf(request, account) };
    }
    return { to: this.cipher.decrypt(request.emailCipher!, emailContext(request.id)), language: languageOf(request) };
  }

  // ---- The person who asked ------------------------------------------------------------

  forAccount(accountId: string): Promise<SupportRequest[]> {
    return this.em.find(SupportRequest, { account: accountId }, { orderBy: { createdAt: 'desc' }, limit: QUEUE_PAGE });
  }

  /** One request of this account; another's (or none) is null, and the page answers 404 either way. */
  async findForAccount(id: string, accountId: string): Promise<ShownRequest | null> {
    if (!UUID.test(id)) return null;
    const request = await this.em.findOne(SupportRequest, { id, account: accountId });
    return request ? this.show(request, false) : null;
  }

  /** A follow-up from the person: the request goes back to the queue. */
  async reply(id: string, accountId: string, message: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    return this.em.transactional(async (em) => {
      const request = await em.findOne(SupportRequest, { id, account: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!request) return false;
      this.addMessage(em, request, 'requester', message);
      request.messageCount += 1;
      request.status = 'open';
      return true;
    });
  }

  // ---- Staff ---------------------------------------------------------------------------

  /** The queue: fraud reports first, then the longest waiting. */
  queue(filter: { status: RequestStatus | 'all'; fraudOnly: boolean; reference?: string }): Promise<SupportRequest[]> {
    const where = {
      ...(filter.status === 'all' ? {} : { status: filter.status }),
      ...(filter.fraudOnly ? { priority: true } : {}),
      ...(filter.reference ? { reference: filter.reference } : {}),
    };
    const orderBy = filter.status === 'open' ? { priority: QueryOrder.DESC, createdAt: QueryOrder.ASC } : { lastActivityAt: QueryOrder.DESC };
    return this.em.find(SupportRequest, where, { orderBy, limit: QUEUE_PAGE, populate: ['account'] });
  }

  /** A request as staff see it; reading it is recorded in the audit log (it is personal data). */
  async openForStaff(id: string, by: Actor, role?: string): Promise<ShownRequest | null> {
    if (!UUID.test(id)) return null;
    const request = await this.em.findOne(SupportRequest, { id });
    if (!request) return null;
    await this.audit.record({ action: 'support.request_viewed', subject: request.id, ...by, details: role ? { role } : undefined });
    return this.show(request, true);
  }

  /**
   * Answers (and with `close`, closes) a request, emailing the answer. `seen` is the number
   * of messages the agent had on screen: if someone else answered, or the person wrote
   * again, in the meantime, nothing is sent and the agent reads the new messages first.
   */
  async answer(id: string, text: string, seen: number, close: boolean, by: Actor & { actorId: string }): Promise<AnswerOutcome> {
    if (!UUID.test(id)) return 'not-found';
    const outcome = await this.em.transactional(async (em) => {
      const request = await em.findOne(SupportRequest, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!request) return 'not-found' as const;
      if (request.messageCount !== seen) return 'changed' as const;
      this.addMessage(em, request, 'staff', text, by.actorId);
      request.messageCount += 1;
      request.status = close ? 'closed' : 'answered';
      return this.notifications.queueEmail(this.answerEmail(await this.recipientOf(request, em), request, text));
    });
    if (typeof outcome === 'string') return outcome;
    await this.audit.record({ action: 'support.answered', subject: id, details: { closed: close }, ...by });
    return 'answered';
  }

  /** Closes without an answer (spam, or nothing more to say). */
  async close(id: string, by: Actor): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const closed = await this.em.nativeUpdate(SupportRequest, { id, status: { $ne: 'closed' } }, { status: 'closed' });
    if (closed) await this.audit.record({ action: 'support.closed', subject: id, ...by });
    return closed > 0;
  }

  /** Fraud reports for supervisors: those nobody has looked into first, then the newest. */
  fraudReports(): Promise<SupportRequest[]> {
    return this.em.find(SupportRequest, { priority: true }, { orderBy: { reviewedAt: QueryOrder.ASC_NULLS_FIRST, createdAt: QueryOrder.DESC }, limit: QUEUE_PAGE, populate: ['account'] });
  }

  async markReviewed(id: string, by: Actor & { actorId: string }): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const marked = await this.em.nativeUpdate(SupportRequest, { id, priority: true, reviewedAt: null }, { reviewedAt: new Date(), reviewedBy: by.actorId });
    if (marked) await this.audit.record({ action: 'fraud.report_reviewed', subject: id, ...by });
    return marked > 0;
  }

  // ---- Emails: they never repeat what the person wrote (a form is no way to mail a stranger) ----
  // Each is written in the reader's language (languageOf), from content/messages/<language>/support.json.

  private receivedEmail(to: string, language: Language, request: SupportRequest) {
    const reference = request.reference;
    return {
      to,
      ...this.notifications.compose(language, phrase('support.email.received.subject', { reference }), [
        phrase('support.email.received.thanks', { category: this.messages.text(language, CATEGORY_LABELS[request.category]) }),
        request.account
          ? phrase('support.email.received.onAccount', { reference, url: `${this.config.baseUrl}/support/requests/${request.id}` })
          : phrase('support.email.received.byEmail', { reference }),
        'support.email.neverAsk',
        ...(request.account ? [] : ['support.email.received.ignore']),
      ]),
    };
  }

  private fraudReceivedEmail(to: string, language: Language, request: SupportRequest, kind: FraudKind) {
    const text = (t: Text) => this.messages.text(language, t);
    const steps = FRAUD_NEXT_STEPS[kind]
      .map((step, i) => {
        const line = text(phrase('support.email.fraud.step', { number: formatNumber(language, i + 1), text: text(step.text) }));
        if (!step.link) return line;
        const url = step.link.href.startsWith('/') ? this.config.baseUrl + step.link.href : step.link.href;
        return `${line}\n   ${text(phrase('support.email.fraud.stepLink', { label: text(step.link.label), url }))}`;
      })
      .join('\n');
    const reference = request.reference;
    return {
      to,
      ...this.notifications.compose(language, phrase('support.email.fraud.subject', { reference }), [
        phrase('support.email.fraud.thanks', { kind: text(FRAUD_KIND_LABELS[kind]), reference }),
        phrase('support.email.fraud.whatNow', { steps }),
        'support.email.fraud.neverAsk',
      ]),
    };
  }

  private answerEmail(recipient: { to: string; language: Language }, request: SupportRequest, answer: string) {
    const reference = request.reference;
    return {
      to: recipient.to,
      ...this.notifications.compose(recipient.language, phrase('support.email.answer.subject', { reference }), [
        phrase('support.email.answer.body', { reference, answer }),
        request.account
          ? phrase('support.email.answer.onAccount', { url: `${this.config.baseUrl}/support/requests/${request.id}` })
          : phrase('support.email.answer.byEmail', { reference, url: `${this.config.baseUrl}/support` }),
        'support.email.neverAsk',
      ]),
    };
  }
}

/**
 * The language to write to the person in: their account's choice, else the language of the
 * page they asked from, else English.
 */
function languageOf(request: SupportRequest, account?: Account): Language {
  return languageOr(account?.language, languageOr(request.language));
}

/** What a signed-out requester's address is encrypted with (also read by account deletion, to find their requests). */
export const emailContext = (requestId: string) => `support_request:${requestId}:email`;
const messageContext = (messageId: string) => `support_message:${messageId}:body`;
