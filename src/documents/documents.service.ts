import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { type Language, languageOr } from '../i18n/languages';
import { Messages, phrase, type Text } from '../i18n/messages';
import { NotificationsService } from '../notifications/notifications.service';
import { SmsSender } from '../notifications/sms-sender';
import { parsePhone } from '../mfa/phone';
import type { Link } from '../links/link.entity';
import { issueLink, newestLink, openLink } from '../links/links';
import { evaluateDocuments } from '../verification/catalog';
import { CaseSteps } from '../verification/case-steps';
import { ruleContext, step } from '../verification/flow';
import { VerificationCase, type CaseStatus } from '../verification/verification-case.entity';
import { VerificationService } from '../verification/verification.service';
import { RateLimits } from '../web/rate-limits';
import { LOGGER } from '../web/tokens';
import type { FieldErrors } from '../web/view';
import { DocumentFile } from './document-file.entity';
import { DocumentDecision } from './document-decision.entity';
import { DocumentReview, isRejectReason, reasonText, type ItemDecision, type ReleaseKind } from './document-review.entity';
import { FILES_PER_CASE, checkFile, type Checked } from './images';
import { itemsOf, type Item } from './sides';
import { DOCUMENT_STORE, openFile, sealFile, type DocumentStore } from './store';


/** Statuses in which the applicant sends (or replaces) documents: the flow table's. */
export const SENDING: CaseStatus[] = step('send_documents').status;

/** A Take Photo link works this long. */
export const CAPTURE_MINUTES = 15;

const keyContext = (fileId: string) => `document_file:${fileId}`;

export interface ItemState extends Item {
  files: Record<string, DocumentFile | undefined>;
  decision?: ItemDecision;
  /** The applicant may upload for this document now. */
  editable: boolean;
  complete: boolean;
}

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;
/** Field name → why: a catalog key, or a key with values (the applicant's pages translate it). */
type Problems = Record<string, Text>;

/** What a stored file's row says of the checked image it holds. */
function imageFields(checked: Extract<Checked, { ok: true }>) {
  return {
    sha256: createHash('sha256').update(checked.data).digest('hex'),
    mime: checked.mime,
    bytes: checked.data.length,
    width: checked.width,
    height: checked.height,
    hints: checked.hints,
  };
}

/**
 * The documents module's rules: what a case must send, checking and storing files
 * encrypted, submitting for review, the reviewers' queue with atomic claims, decisions,
 * and retention.
 */
@Injectable()
export class DocumentsService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(DOCUMENT_STORE) private readonly store: DocumentStore,
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly verification: VerificationService,
    private readonly cipher: PiiCipher,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly rateLimits: RateLimits,
    private readonly sms: SmsSender,
    private readonly messages: Messages,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly jobs: JobRunner,
  ) {}

  // ---- The applicant's documents --------------------------------------------------------

  async state(c: VerificationCase): Promise<ItemState[]> {
    return (await this.stateAndReview(c)).items;
  }

  /** The documents' state and the review it comes from (the hold page shows both: one read of each). */
  async stateAndReview(c: VerificationCase): Promise<{ items: ItemState[]; review: DocumentReview | null }> {
    const em = this.em.fork();
    const [files, review] = await Promise.all([
      em.find(DocumentFile, { verificationCase: c.id }, { orderBy: { createdAt: 'asc' } }),
      em.findOne(DocumentReview, { caseId: c.id }),
    ]);
    const items = itemsOf(c).map((item) => {
      const byside: Record<string, DocumentFile | undefined> = {};
      for (const f of files) if (f.item === item.key) byside[f.side] = f;
      const decision = review?.decidedAt ? review.decisions[item.key] : undefined;
      const sending = SENDING.includes(c.status);
      // After a rejection only the rejected documents change; before the first review, or when the call asks for more, all of them.
      const editable = sending && (c.status !== 'documents_rejected' || decision?.decision !== 'accepted');
      const freshSince = decision?.decision === 'rejected' ? review!.decidedAt! : undefined;
      const complete = item.sides.filter((s) => s.required).every((s) => byside[s.key] && (!freshSince || byside[s.key]!.createdAt > freshSince));
      return { ...item, files: byside, decision, editable, complete };
    });
    return { items, review };
  }

  /**
   * Checks and stores one file for one side of one document. Nothing is stored unless every
   * check passes; a file for a side that already has one replaces it.
   */
  async upload(accountId: string, itemKey: string, side: string, bytes: Buffer, via: 'upload' | 'phone'): Promise<Checked> {
    return this.uploadToCase(await this.steps.open(accountId), itemKey, side, bytes, via);
  }

  async uploadToCase(c: VerificationCase, itemKey: string, side: string, bytes: Buffer, via: 'upload' | 'phone'): Promise<Checked> {
    const item = (await this.state(c)).find((i) => i.key === itemKey);
    if (!item || !item.sides.some((s) => s.key === side)) return { ok: false, status: 404, message: 'documents.errors.notYours' };
    if (!item.editable) return { ok: false, status: 409, message: 'documents.errors.cannotChange' };
    const count = await this.em.fork().count(DocumentFile, { verificationCase: c.id });
    if (count >= FILES_PER_CASE) return { ok: false, status: 429, message: phrase('documents.errors.tooManyFiles', { count: FILES_PER_CASE }) };
    await this.rateLimits.consume('documents-upload:case', c.id);
    const checked = await checkFile(bytes, item.allowPdf);
    if (!checked.ok) {
      if (checked.fault) this.logger.warn({ fault: checked.fault }, 'the PDF renderer failed; the upload was refused');
      else if (checked.limit) this.logger.info({ limit: checked.limit }, 'a PDF was refused at its rendering limit');
      return checked;
    }
    await this.put(c.id, item, side, checked, via);
    return checked;
  }

  private async put(caseId: string, item: Item, side: string, checked: Extract<Checked, { ok: true }>, via: 'upload' | 'phone'): Promise<void> {
    const id = randomUUID();
    const storageKey = randomUUID();
    const fileKey = randomBytes(32);
    try {
      await this.store.put(storageKey, sealFile(fileKey, id, checked.data));
      const wrappedKey = this.cipher.encrypt(fileKey.toString('base64'), keyContext(id));
      const replaced: string[] = [];
      try {
        await this.em.fork().transactional(async (em) => {
          await em.findOneOrFail(VerificationCase, { id: caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
          const old = await em.find(DocumentFile, { verificationCase: caseId, item: item.key, side });
          replaced.push(...old.map((f) => f.storageKey));
          old.forEach((f) => em.remove(f));
          em.create(DocumentFile, {
            id,
            verificationCase: caseId,
            item: item.key,
            documentType: item.doc.key,
            side,
            storageKey,
            wrappedKey,
            ...imageFields(checked),
            via,
          });
        });
      } catch (error) {
        await this.store.delete(storageKey).catch(() => undefined);
        throw error;
      }
      await Promise.all(replaced.map((key) => this.store.delete(key).catch(() => undefined)));
    } finally {
      fileKey.fill(0);
    }
  }

  /** The decrypted bytes of a file, checked against its recorded SHA-256. */
  async contents(file: DocumentFile): Promise<Buffer> {
    const key = Buffer.from(this.cipher.decrypt(file.wrappedKey, keyContext(file.id)), 'base64');
    try {
      const data = openFile(key, file.id, await this.store.get(file.storageKey));
      if (createHash('sha256').update(data).digest('hex') !== file.sha256) throw new Error('document file does not match its hash');
      return data;
    } finally {
      key.fill(0);
    }
  }

  /** One of the applicant's own files (undefined for anyone else's: the caller answers 404). */
  async ownFile(accountId: string, fileId: string): Promise<DocumentFile | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(fileId)) return undefined;
    const c = await this.steps.find(accountId);
    if (!c) return undefined;
    return (await this.em.fork().findOne(DocumentFile, { id: fileId, verificationCase: c.id })) ?? undefined;
  }

  /**
   * "Continue": every required side sent → documents_submitted, and the case joins the review
   * queue. Otherwise the errors, and the documents still missing (the page names them).
   */
  async submit(accountId: string, confirmed: boolean): Promise<{ errors: Problems; missing: Item[] } | { location: string }> {
    const c = await this.steps.open(accountId);
    if (!SENDING.includes(c.status)) return { location: '/documents/review' };
    const state = await this.state(c);
    const missing = state.filter((i) => !i.complete);
    const errors: Problems = {};
    if (missing.length) errors.documents = 'documents.errors.missing';
    if (!confirmed) errors.confirm = 'documents.errors.confirm';
    if (Object.keys(errors).length) return { errors, missing };
    await this.rateLimits.consume('documents-submit:case', c.id);
    await this.em.fork().transactional(async (em) => {
      const locked = await em.findOneOrFail(VerificationCase, { id: c.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!SENDING.includes(locked.status)) return;
      await this.steps.move(em, locked, 'documents_submitted', step('send_documents').audit, { documents: state.map((i) => i.doc.key) }, 'send_documents');
      const review = await em.findOne(DocumentReview, { caseId: c.id });
      if (review) {
        review.submittedAt = new Date();
        review.submissions += 1;
        review.claimedBy = review.claimedAt = review.lastActivityAt = review.decidedAt = review.decidedBy = undefined;
        review.releasedFrom = review.releaseKind = undefined;
      } else {
        em.create(DocumentReview, { caseId: c.id, submittedAt: new Date() });
      }
    });
    return { location: '/documents/review' };
  }

  // ---- Take Photo (a one-time link by SMS) --------------------------------------------------

  /** Sends a "Take Photo" link to the phone number given (any country, as in MFA). */
  async sendCaptureLink(accountId: string, country: unknown, number: unknown, language: Language): Promise<{ errors: Problems } | { phoneLast4: string }> {
    const c = await this.steps.open(accountId);
    if (!SENDING.includes(c.status)) return { errors: { number: 'documents.errors.documentsLocked' } };
    const phone = parsePhone(typeof country === 'string' ? country : '', typeof number === 'string' ? number : '', language);
    if ('error' in phone) return { errors: { number: phone.error } };
    await this.rateLimits.consume('documents-phone-link:case', c.id);
    const phoneLast4 = phone.e164.slice(-4);
    const em = this.em.fork();
    const token = issueLink(em, 'capture_photos', { accountId, caseId: c.id }, CAPTURE_MINUTES * 60_000, { phoneLast4 });
    await em.flush();
    // In the language of the page that asked for it: the person holding both.
    await this.sms.send(phone.e164, this.messages.text(language, 'documents.capture.sms', { url: `${this.config.baseUrl}/capture/${token}`, minutes: CAPTURE_MINUTES }), 'sms');
    return { phoneLast4 };
  }

  /** The case a capture link opens (for every upload, not once), while it is valid and the case takes documents. */
  async captureCase(token: string): Promise<VerificationCase | undefined> {
    const em = this.em.fork();
    const link = await openLink(em, 'capture_photos', token);
    if (!link?.verificationCase) return undefined;
    const c = await em.findOne(VerificationCase, { id: link.verificationCase.id });
    return c && SENDING.includes(c.status) ? c : undefined;
  }

  /** The newest capture link of a case that still works (the desktop page polls while there is one). */
  async activeCapture(caseId: string): Promise<Link | undefined> {
    return (await newestLink(this.em.fork(), 'capture_photos', caseId)) ?? undefined;
  }

  // ---- Reviewers --------------------------------------------------------------------------

  /** How long a claim lasts without activity, in whole minutes, for the queue page. */
  get claimMinutes(): number {
    return Math.max(1, Math.round(this.config.reviewClaimSeconds / 60));
  }

  /** Cases waiting for a reviewer (unclaimed, or their claim lapsed), oldest first. */
  async queue(): Promise<{ caseId: string; submittedAt: Date; submissions: number; claimedBy: string | null }[]> {
    const rows: any[] = await this.em.fork().execute(
      `select case_id, submitted_at, submissions, claimed_by from document_review
        where decided_at is null and (claimed_by is null or last_activity_at < now() - make_interval(secs => ?))
        order by submitted_at limit 200`,
      [this.config.reviewClaimSeconds],
    );
    return rows.map((r) => ({ caseId: r.case_id, submittedAt: new Date(r.submitted_at), submissions: r.submissions, claimedBy: r.claimed_by }));
  }

  /**
   * "Next case": the reviewer's own live claim, or the oldest free case, claimed atomically
   * (FOR UPDATE SKIP LOCKED: two reviewers never get the same case). Undefined: queue empty.
   */
  async claimNext(actor: Actor & { actorId: string }): Promise<string | undefined> {
    const caseId = await this.em.fork().transactional(async (em) => {
      // One's own live claim keeps its start (the handle time runs from the first claim); taking
      // back a case a supervisor moved away clears that mark. SET reads the row as it was.
      const rows: any[] = await em.execute(
        `update document_review set claimed_by = ?, last_activity_at = now(),
                claimed_at = case when claimed_by = ? and last_activity_at >= now() - make_interval(secs => ?) then claimed_at else now() end,
                released_from = case when released_from = ? then null else released_from end,
                release_kind = case when released_from = ? then null else release_kind end
          where case_id = (
            select case_id from document_review
             where decided_at is null
               and (claimed_by = ? or claimed_by is null or last_activity_at < now() - make_interval(secs => ?))
             order by (claimed_by = ?) is true desc, submitted_at
             limit 1
             for update skip locked)
          returning case_id`,
        [actor.actorId, actor.actorId, this.config.reviewClaimSeconds, actor.actorId, actor.actorId, actor.actorId, this.config.reviewClaimSeconds, actor.actorId],
      );
      const id: string | undefined = rows[0]?.case_id;
      if (!id) return undefined;
      const c = await em.findOneOrFail(VerificationCase, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (c.status === 'documents_submitted') await this.steps.move(em, c, 'in_review', step('document_review').audit, { reviewer: actor.actorId, event: 'claimed' }, 'document_review');
      return id;
    });
    if (caseId) await this.audit.record({ ...actor, action: 'documents.case_claimed', caseId });
    return caseId;
  }

  /** The reviewer holds a live claim on the case (and the claim is touched: looking is activity). Staff routes ask StaffAccess. */
  async holdsClaim(caseId: string, reviewerId: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/.test(caseId)) return false;
    const rows: any[] = await this.em.fork().execute(
      `update document_review set last_activity_at = now()
        where case_id = ? and claimed_by = ? and decided_at is null and last_activity_at >= now() - make_interval(secs => ?)
        returning case_id`,
      [caseId, reviewerId, this.config.reviewClaimSeconds],
    );
    return rows.length > 0;
  }

  /** A case under review and its review row, for a page the caller has already authorized (StaffAccess). */
  async caseAndReview(caseId: string): Promise<{ c: VerificationCase; review: DocumentReview } | undefined> {
    const em = this.em.fork();
    const c = await em.findOne(VerificationCase, { id: caseId }, { populate: ['account'] });
    const review = await em.findOne(DocumentReview, { caseId });
    return c && review ? { c, review } : undefined;
  }

  /**
   * Why a reviewer no longer holds a case they had: a supervisor released or reassigned it,
   * or their claim lapsed. Undefined when they never held it (the caller answers 404).
   */
  async lostClaim(caseId: string, reviewerId: string): Promise<ReleaseKind | 'lapsed' | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(caseId)) return undefined;
    const review = await this.em.fork().findOne(DocumentReview, { caseId });
    if (!review) return undefined;
    if (review.releasedFrom === reviewerId) return review.releaseKind;
    if (review.claimedBy === reviewerId && !review.decidedAt) return 'lapsed';
    return undefined;
  }

  /** The cases this reviewer holds a live claim on (their own, or assigned to them by a supervisor). */
  async claimsOf(reviewerId: string): Promise<{ caseId: string; claimedAt: Date }[]> {
    const rows: any[] = await this.em.fork().execute(
      `select case_id, claimed_at from document_review
        where claimed_by = ? and decided_at is null and last_activity_at >= now() - make_interval(secs => ?)
        order by claimed_at`,
      [reviewerId, this.config.reviewClaimSeconds],
    );
    return rows.map((r) => ({ caseId: r.case_id, claimedAt: new Date(r.claimed_at) }));
  }

  // ---- Supervisors --------------------------------------------------------------------------

  /** Every claimed, undecided case (or only `onlyCase`), oldest claim first; `lapsed` when it is back in the queue for lack of activity. */
  async claimsInProgress(onlyCase?: string): Promise<{ caseId: string; reviewerId: string; submittedAt: Date; claimedAt: Date; lastActivityAt: Date; lapsed: boolean }[]> {
    const rows: any[] = await this.em.fork().execute(
      `select case_id, claimed_by, submitted_at, claimed_at, last_activity_at,
              last_activity_at < now() - make_interval(secs => ?) as lapsed
         from document_review where decided_at is null and claimed_by is not null ${onlyCase ? 'and case_id = ?' : ''}
        order by claimed_at limit 200`,
      onlyCase ? [this.config.reviewClaimSeconds, onlyCase] : [this.config.reviewClaimSeconds],
    );
    return rows.map((r) => ({
      caseId: r.case_id,
      reviewerId: r.claimed_by,
      submittedAt: new Date(r.submitted_at),
      claimedAt: new Date(r.claimed_at),
      lastActivityAt: new Date(r.last_activity_at),
      lapsed: !!r.lapsed,
    }));
  }

  /**
   * A supervisor takes a claim away from `from`: back to the queue (its place by submission
   * time is kept: the queue is ordered by it), or to reviewer `to` with a fresh claim.
   * 'changed' when the case is no longer claimed by `from` (decided, released, taken over).
   * The caller checks the supervisor's role and that `to` may review.
   */
  async moveClaim(caseId: string, from: string, to: string | undefined, actor: Actor): Promise<ReleaseKind | 'changed'> {
    if (!/^[0-9a-f-]{36}$/.test(caseId)) return 'changed';
    const kind: ReleaseKind = to ? 'reassigned' : 'released';
    const moved = await this.em.fork().transactional(async (em) => {
      // The row lock orders this with the reviewer's decide(), which takes the same lock.
      const review = await em.findOne(DocumentReview, { caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!review || review.decidedAt || review.claimedBy !== from || to === from) return false;
      const now = new Date();
      review.claimedBy = to;
      review.claimedAt = to ? now : undefined;
      review.lastActivityAt = to ? now : undefined;
      review.releasedFrom = from;
      review.releaseKind = kind;
      return true;
    });
    if (!moved) return 'changed';
    await this.audit.record({ ...actor, action: `documents.claim_${kind}`, caseId, subject: from, details: { from, ...(to ? { to } : {}) } });
    return kind;
  }

  /** Decisions per reviewer since `since` (and since `today` within that): how many, and the mean claim → decision time in seconds. */
  async decisionsByReviewer(today: Date, since: Date): Promise<{ agentId: string; today: number; todaySeconds: number | null; period: number; periodSeconds: number | null }[]> {
    const rows: any[] = await this.em.fork().execute(
      `select reviewer_id,
              count(*) filter (where decided_at >= ?)::int as today,
              avg(extract(epoch from decided_at - claimed_at)) filter (where decided_at >= ?)::float8 as today_seconds,
              count(*)::int as period,
              avg(extract(epoch from decided_at - claimed_at))::float8 as period_seconds
         from document_decision where decided_at >= ? group by reviewer_id`,
      [today, today, since],
    );
    return rows.map((r) => ({ agentId: r.reviewer_id, today: r.today, todaySeconds: r.today_seconds === null ? null : Number(r.today_seconds), period: r.period, periodSeconds: r.period_seconds === null ? null : Number(r.period_seconds) }));
  }

  /**
   * How many submissions were waiting for a reviewer (sent, not yet claimed) at each instant
   * from `from` to `to`, every `stepMinutes`, and at `to`: derived from the submissions'
   * times, the decided ones kept in document_decision and the open ones in document_review.
   */
  async waitingForReview(from: Date, to: Date, stepMinutes: number): Promise<{ at: Date; n: number }[]> {
    const rows: any[] = await this.em.fork().execute(
      `with samples as (
         select generate_series(?::timestamptz, ?::timestamptz, make_interval(mins => ?)) as at union select ?::timestamptz
       ), spans as (
         select submitted_at as s, claimed_at as e from document_decision where decided_at > ? and claimed_at > ? and submitted_at <= ?
         union all
         select submitted_at, claimed_at from document_review where decided_at is null and submitted_at <= ? and (claimed_at is null or claimed_at > ?)
       )
       select samples.at, count(spans.s)::int as n
         from samples left join spans on spans.s <= samples.at and (spans.e is null or spans.e > samples.at)
        group by samples.at order by samples.at`,
      [from, to, stepMinutes, to, from, from, to, to, from],
    );
    return rows.map((r) => ({ at: new Date(r.at), n: r.n }));
  }

  /** The applicant's entered details, decrypted for the reviewer (the caller audits the view). */
  details(c: VerificationCase) {
    return {
      name: [c.firstName, c.middleName, c.lastName].filter(Boolean).join(' '),
      dateOfBirth: this.verification.decryptDateOfBirth(c),
      address: this.verification.decryptAddress(c),
      duplicateIdentifier: !!c.duplicateIdentifierAt,
      nameChanged: c.nameChanged,
    };
  }

  async auditView(actor: Actor, caseId: string, action: 'documents.details_viewed' | 'documents.image_viewed', subject?: string, details?: Record<string, unknown>): Promise<void> {
    await this.audit.record({ ...actor, action, caseId, subject, details });
  }

  /** A file of a case, for its reviewer. */
  async fileOfCase(caseId: string, fileId: string): Promise<DocumentFile | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(fileId)) return undefined;
    return (await this.em.fork().findOne(DocumentFile, { id: fileId, verificationCase: caseId })) ?? undefined;
  }

  /** Reads the per-document decisions from the review form. */
  parseDecisions(items: Item[], form: Record<string, unknown>): { decisions?: Record<string, ItemDecision>; errors: FieldErrors } {
    const errors: FieldErrors = {};
    const decisions: Record<string, ItemDecision> = {};
    items.forEach((item, index) => {
      const decision = form[`decision-${index}`];
      const raw = form[`reasons-${index}`];
      const reasons = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(isRejectReason);
      const note = typeof form[`note-${index}`] === 'string' ? (form[`note-${index}`] as string).trim().slice(0, 500) : '';
      if (decision !== 'accepted' && decision !== 'rejected') errors[`decision-${index}`] = 'agent.review.errors.decide';
      else if (decision === 'rejected' && !reasons.length) errors[`reasons-${index}`] = 'agent.review.errors.reasons';
      else decisions[item.key] = { decision, reasons: decision === 'rejected' ? reasons : [], ...(note ? { note } : {}) };
    });
    return Object.keys(errors).length ? { errors } : { decisions, errors };
  }

  /**
   * Records the reviewer's decisions. The case is approved only when nothing is rejected and
   * the accepted documents satisfy the catalog's rules; otherwise the applicant replaces the
   * rejected ones. Either way they are emailed.
   */
  async decide(caseId: string, actor: Actor & { actorId: string }, decisions: Record<string, ItemDecision>): Promise<'approved' | 'documents_rejected' | 'not-claimed'> {
    const outcome = await this.em.fork().transactional(async (em) => {
      const review = await em.findOne(DocumentReview, { caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const live = review && review.claimedBy === actor.actorId && !review.decidedAt && review.lastActivityAt && Date.now() - review.lastActivityAt.getTime() < this.config.reviewClaimSeconds * 1000;
      if (!review || !live) return 'not-claimed' as const;
      const c = await em.findOneOrFail(VerificationCase, { id: caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['account'] });
      if (c.status !== 'in_review') return 'not-claimed' as const;
      const items = itemsOf(c);
      const rejected = items.filter((i) => decisions[i.key]?.decision !== 'accepted');
      const accepted = items.filter((i) => decisions[i.key]?.decision === 'accepted' && i.doc.kind !== 'supporting').map((i) => ({ type: i.doc.key }));
      const approved = rejected.length === 0 && evaluateDocuments(ruleContext(c), accepted).satisfied;
      const to = approved ? 'approved' : 'documents_rejected';
      review.decisions = decisions;
      review.decidedAt = new Date();
      review.decidedBy = actor.actorId;
      em.create(DocumentDecision, { verificationCase: c, reviewerId: actor.actorId, submittedAt: review.submittedAt, claimedAt: review.claimedAt ?? review.decidedAt, decidedAt: review.decidedAt, outcome: to });
      review.claimedBy = undefined;
      await this.steps.move(em, c, to, step('document_review').audit, { reviewer: actor.actorId, rejected: rejected.map((i) => i.key) }, 'document_review');
      this.notifications.queueEmail(this.decisionEmail(c, approved, rejected.map((i) => ({ item: i, decision: decisions[i.key] }))));
      // The decision, the case's move, the email and the audit event commit together: a
      // process killed at any point leaves all of them or none (the email then goes out from
      // the outbox's retry job).
      await em.flush();
      await this.audit.recordIn(em, { ...actor, action: 'documents.reviewed', caseId, details: { outcome: to, decisions: Object.fromEntries(Object.entries(decisions).map(([k, d]) => [k, { decision: d.decision, reasons: d.reasons }])) } });
      return { to } as const;
    });
    if (outcome === 'not-claimed') return outcome;
    return outcome.to;
  }

  /** The review's outcome, in the applicant's language (their account's choice, else English). */
  private decisionEmail(c: VerificationCase, approved: boolean, rejected: { item: Item; decision?: ItemDecision }[]) {
    const to = c.email ?? c.account.email;
    const base = this.config.baseUrl;
    const language = languageOr(c.account.language);
    if (approved) {
      return {
        to,
        ...this.notifications.compose(language, 'documents.email.approved.subject', [
          'documents.email.approved.reviewed',
          'documents.email.approved.next',
          phrase('documents.email.approved.links', { joinUrl: `${base}/call`, scheduleUrl: `${base}/call/schedule` }),
        ]),
      };
    }
    const separator = this.messages.text(language, 'documents.listSeparator');
    const lines = rejected.map(({ item, decision }) => {
      const why = (decision?.reasons ?? []).map((r) => this.messages.text(language, reasonText(r)));
      const values = {
        document: this.messages.text(language, item.doc.label),
        reasons: why.length ? why.join(separator) : this.messages.text(language, 'documents.email.rejected.noReason'),
        note: decision?.note,
        url: `${base}/documents#${encodeURIComponent(item.key)}`,
      };
      return this.messages.text(language, decision?.note ? 'documents.email.rejected.itemWithNote' : 'documents.email.rejected.item', values);
    });
    return {
      to,
      ...this.notifications.compose(language, 'documents.email.rejected.subject', [phrase('documents.email.rejected.intro', { items: lines.join('\n') }), 'documents.email.rejected.then']),
    };
  }

  // ---- PDFs kept as sent by earlier versions ---------------------------------------------------

  /**
   * Earlier versions stored a paper document's PDF as it came. Each such file is now taken
   * through the upload's checks: rendered to an image that replaces it under the same row
   * (same id, a new key and storage object), or, when it cannot be rendered, deleted (that
   * side then shows as missing, as if never sent). One instance at a time; rendering happens
   * outside any transaction, and the swap is made only if the row still names the same file.
   * The replaced bytes are deleted after the commit (a crash
   * in between leaves them to the orphan sweep).
   */
  @Cron(JOBS['stored-pdf-conversion'].schedule, { name: 'stored-pdf-conversion' })
  async convertStoredPdfs(): Promise<{ converted: number; removed: number }> {
    const outcome = await this.jobs.runExclusive('stored-pdf-conversion', () => this.convertStoredPdfBatch());
    return outcome ?? { converted: 0, removed: 0 };
  }

  private async convertStoredPdfBatch(): Promise<{ converted: number; removed: number }> {
    const outcome = { converted: 0, removed: 0 };
    const files = await this.em.fork().find(DocumentFile, { mime: 'application/pdf' }, { limit: 100, orderBy: { createdAt: 'asc' } });
    for (const file of files) {
      let checked: Checked;
      try {
        checked = await checkFile(await this.contents(file), true);
      } catch (error) {
        this.logger.warn({ err: error, fileId: file.id }, 'a stored PDF could not be read for conversion');
        continue;
      }
      const storageKey = randomUUID();
      const fileKey = randomBytes(32);
      try {
        if (checked.ok) await this.store.put(storageKey, sealFile(fileKey, file.id, checked.data));
        const swapped = await this.em.fork().transactional(async (em) => {
          const row = await em.findOne(DocumentFile, { id: file.id, storageKey: file.storageKey }, { lockMode: LockMode.PESSIMISTIC_WRITE });
          if (!row) return false;
          if (!checked.ok) {
            em.remove(row);
            return true;
          }
          Object.assign(row, {
            storageKey,
            wrappedKey: this.cipher.encrypt(fileKey.toString('base64'), keyContext(file.id)),
            ...imageFields(checked),
          });
          return true;
        });
        if (!swapped) {
          if (checked.ok) await this.store.delete(storageKey).catch(() => undefined);
          continue;
        }
        outcome[checked.ok ? 'converted' : 'removed']++;
        await this.store.delete(file.storageKey).catch(() => undefined);
      } finally {
        fileKey.fill(0);
      }
    }
    return outcome;
  }

  // ---- Retention ---------------------------------------------------------------------------

  /**
   * Deletes the images of cases whose final decision (verified or failed) is older than
   * DOCUMENT_RETENTION_DAYS, on one instance at a time.
   */
  @Cron(JOBS['document-retention'].schedule, { name: 'document-retention' })
  async deleteExpired(now = new Date()): Promise<number> {
    const deleted = await this.jobs.runExclusive('document-retention', async () => {
      const keys = await this.em.fork().transactional(async (tx) => {
        const cutoff = new Date(now.getTime() - this.config.retention.documentDays * 86_400_000);
        const files = await tx.find(DocumentFile, { verificationCase: { status: { $in: ['verified', 'failed'] }, updatedAt: { $lt: cutoff } } }, { limit: 1000 });
        files.forEach((f) => tx.remove(f));
        return files.map((f) => f.storageKey);
      });
      // After the rows are gone (a failed commit leaves both): the encrypted files themselves.
      // A crash in between leaves files without rows, which the orphan sweep removes.
      for (const key of keys) await this.store.delete(key);
      return keys.length;
    });
    return deleted ?? 0;
  }

  /**
   * Deletes stored files that no document_file row names and that are older than
   * ORPHAN_FILE_GRACE_MINUTES. They are what a crash leaves: an upload writes its file
   * before committing its row (so a row never lacks its file), and replacement and
   * retention delete the row before the file. The grace period spares an upload whose
   * file is written and whose row is about to commit. One instance at a time runs it.
   */
  @Cron(JOBS['orphan-file-sweep'].schedule, { name: 'orphan-file-sweep' })
  async sweepOrphans(now = new Date()): Promise<number> {
    const cutoff = now.getTime() - this.config.orphanFileGraceMinutes * 60_000;
    const deleted = await this.jobs.runExclusive('orphan-file-sweep', async () => {
      const em = this.em.fork();
      let count = 0;
      for await (const listed of this.store.list()) {
        const old = listed.filter((o) => o.modifiedAt.getTime() < cutoff).map((o) => o.name);
        for (let i = 0; i < old.length; i += 1000) {
          const names = old.slice(i, i + 1000);
          const rows = await em.find(DocumentFile, { storageKey: { $in: names } }, { fields: ['storageKey'] });
          const known = new Set(rows.map((r) => r.storageKey));
          em.clear();
          for (const name of names.filter((n) => !known.has(n))) {
            await this.store.delete(name);
            count++;
          }
        }
      }
      return count;
    });
    return deleted ?? 0;
  }
}
