import { Inject, Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { NotificationsService } from '../notifications/notifications.service';
import { SmsSender } from '../notifications/sms-sender';
import { parsePhone } from '../mfa/phone';
import { CaptureLink } from './capture-link.entity';
import { evaluateDocuments } from '../verification/catalog';
import { CaseSteps } from '../verification/case-steps';
import { ruleContext } from '../verification/flow';
import { VerificationCase, type CaseStatus } from '../verification/verification-case.entity';
import { VerificationService } from '../verification/verification.service';
import { RateLimits } from '../web/rate-limits';
import type { FieldErrors } from '../web/view';
import { DocumentFile } from './document-file.entity';
import { DocumentReview, REJECT_REASONS, type ItemDecision, type RejectReason } from './document-review.entity';
import { FILES_PER_CASE, checkFile, type Checked } from './images';
import { itemsOf, type Item } from './sides';
import { DOCUMENT_STORE, openFile, sealFile, type DocumentStore } from './store';

/** A claim lapses after this long without activity, and the case returns to the queue. */
export const CLAIM_MINUTES = 20;
/** Advisory-lock key of the retention job (one instance runs it). */
const RETENTION_JOB_LOCK = 7_310_501;

/** Statuses in which the applicant sends (or replaces) documents. */
export const SENDING: CaseStatus[] = ['documents_chosen', 'documents_rejected', 'needs_more_documents'];
/** Statuses of the hold page. */
export const HOLDING: CaseStatus[] = ['documents_submitted', 'in_review', 'documents_rejected', 'approved'];

/** A Take Photo link works this long. */
export const CAPTURE_MINUTES = 15;
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const keyContext = (fileId: string) => `document_file:${fileId}`;

export interface ItemState extends Item {
  files: Record<string, DocumentFile | undefined>;
  decision?: ItemDecision;
  /** The applicant may upload for this document now. */
  editable: boolean;
  complete: boolean;
}

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;

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
  ) {}

  // ---- The applicant's documents --------------------------------------------------------

  async review(caseId: string): Promise<DocumentReview | null> {
    return this.em.fork().findOne(DocumentReview, { caseId });
  }

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
    if (!item || !item.sides.some((s) => s.key === side)) return { ok: false, status: 404, message: 'That document is not one of yours.' };
    if (!item.editable) return { ok: false, status: 409, message: 'This document cannot be changed now.' };
    const count = await this.em.fork().count(DocumentFile, { verificationCase: c.id });
    if (count >= FILES_PER_CASE) return { ok: false, status: 429, message: `You have sent ${FILES_PER_CASE} files, the most one verification can hold. Contact support if you need to send more.` };
    await this.rateLimits.consume('documents-upload:case', c.id);
    const checked = await checkFile(bytes, item.allowPdf);
    if (!checked.ok) return checked;
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
            sha256: createHash('sha256').update(checked.data).digest('hex'),
            mime: checked.mime,
            bytes: checked.data.length,
            width: checked.width,
            height: checked.height,
            hints: checked.hints,
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

  /** "Continue": every required side sent → documents_submitted, and the case joins the review queue. */
  async submit(accountId: string, confirmed: boolean): Promise<{ errors: FieldErrors } | { location: string }> {
    const c = await this.steps.open(accountId);
    if (!SENDING.includes(c.status)) return { location: '/documents/review' };
    const state = await this.state(c);
    const missing = state.filter((i) => !i.complete);
    const errors: FieldErrors = {};
    if (missing.length) errors.documents = `Send ${missing.map((i) => `your ${i.doc.name}`).join(' and ')} before you continue`;
    if (!confirmed) errors.confirm = 'Confirm that your documents meet the requirements';
    if (Object.keys(errors).length) return { errors };
    await this.rateLimits.consume('documents-submit:case', c.id);
    await this.em.fork().transactional(async (em) => {
      const locked = await em.findOneOrFail(VerificationCase, { id: c.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!SENDING.includes(locked.status)) return;
      this.steps.moveStatus(em, locked, 'documents_submitted', 'send_documents', { documents: state.map((i) => i.doc.key) });
      const review = await em.findOne(DocumentReview, { caseId: c.id });
      if (review) {
        review.submittedAt = new Date();
        review.submissions += 1;
        review.claimedBy = review.claimedAt = review.lastActivityAt = review.decidedAt = review.decidedBy = undefined;
      } else {
        em.create(DocumentReview, { caseId: c.id, submittedAt: new Date() });
      }
    });
    return { location: '/documents/review' };
  }

  // ---- Take Photo (a one-time link by SMS) --------------------------------------------------

  /** Sends a "Take Photo" link to the phone number given (any country, as in MFA). */
  async sendCaptureLink(accountId: string, country: unknown, number: unknown): Promise<{ errors: FieldErrors } | { phoneLast4: string }> {
    const c = await this.steps.open(accountId);
    if (!SENDING.includes(c.status)) return { errors: { number: 'Your documents cannot be changed now' } };
    const phone = parsePhone(typeof country === 'string' ? country : '', typeof number === 'string' ? number : '');
    if ('error' in phone) return { errors: { number: phone.error } };
    await this.rateLimits.consume('documents-phone-link:case', c.id);
    const token = randomBytes(32).toString('base64url');
    const phoneLast4 = phone.e164.slice(-4);
    const em = this.em.fork();
    em.create(CaptureLink, { verificationCase: c.id, tokenHash: hashToken(token), phoneLast4, expiresAt: new Date(Date.now() + CAPTURE_MINUTES * 60_000) });
    await em.flush();
    await this.sms.send(
      phone.e164,
      `Referee: take photos of your documents with this phone: ${this.config.baseUrl}/capture/${token} (works for ${CAPTURE_MINUTES} minutes). If you did not ask for it, ignore this message.`,
      'sms',
    );
    return { phoneLast4 };
  }

  /** The case a capture link opens, while it is valid and the case takes documents. */
  async captureCase(token: string): Promise<VerificationCase | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const em = this.em.fork();
    const link = await em.findOne(CaptureLink, { tokenHash: hashToken(token), expiresAt: { $gt: new Date() } });
    if (!link) return undefined;
    const c = await em.findOne(VerificationCase, { id: link.verificationCase.id });
    return c && SENDING.includes(c.status) ? c : undefined;
  }

  /** The newest capture link of a case that still works (the desktop page polls while there is one). */
  async activeCapture(caseId: string): Promise<CaptureLink | undefined> {
    return (await this.em.fork().findOne(CaptureLink, { verificationCase: caseId, expiresAt: { $gt: new Date() } }, { orderBy: { createdAt: 'desc' } })) ?? undefined;
  }

  // ---- Reviewers --------------------------------------------------------------------------

  /** Cases waiting for a reviewer (unclaimed, or their claim lapsed), oldest first. */
  async queue(): Promise<{ caseId: string; submittedAt: Date; submissions: number; claimedBy: string | null }[]> {
    const rows: any[] = await this.em.fork().execute(
      `select case_id, submitted_at, submissions, claimed_by from document_review
        where decided_at is null and (claimed_by is null or last_activity_at < now() - make_interval(mins => ?))
        order by submitted_at limit 200`,
      [CLAIM_MINUTES],
    );
    return rows.map((r) => ({ caseId: r.case_id, submittedAt: new Date(r.submitted_at), submissions: r.submissions, claimedBy: r.claimed_by }));
  }

  /**
   * "Next case": the reviewer's own live claim, or the oldest free case, claimed atomically
   * (FOR UPDATE SKIP LOCKED: two reviewers never get the same case). Undefined: queue empty.
   */
  async claimNext(actor: Actor & { actorId: string }): Promise<string | undefined> {
    const caseId = await this.em.fork().transactional(async (em) => {
      const rows: any[] = await em.execute(
        `update document_review set claimed_by = ?, claimed_at = now(), last_activity_at = now()
          where case_id = (
            select case_id from document_review
             where decided_at is null
               and (claimed_by = ? or claimed_by is null or last_activity_at < now() - make_interval(mins => ?))
             order by (claimed_by = ?) is true desc, submitted_at
             limit 1
             for update skip locked)
          returning case_id`,
        [actor.actorId, actor.actorId, CLAIM_MINUTES, actor.actorId],
      );
      const id: string | undefined = rows[0]?.case_id;
      if (!id) return undefined;
      const c = await em.findOneOrFail(VerificationCase, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (c.status === 'documents_submitted') this.steps.moveStatus(em, c, 'in_review', 'document_review', { reviewer: actor.actorId, event: 'claimed' });
      return id;
    });
    if (caseId) await this.audit.record({ ...actor, action: 'documents.case_claimed', caseId });
    return caseId;
  }

  /** The case a reviewer holds a live claim on (touching the claim), or undefined. */
  async claimed(caseId: string, reviewerId: string): Promise<{ c: VerificationCase; review: DocumentReview } | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(caseId)) return undefined;
    const rows: any[] = await this.em.fork().execute(
      `update document_review set last_activity_at = now()
        where case_id = ? and claimed_by = ? and decided_at is null and last_activity_at >= now() - make_interval(mins => ?)
        returning case_id`,
      [caseId, reviewerId, CLAIM_MINUTES],
    );
    if (!rows.length) return undefined;
    const em = this.em.fork();
    const c = await em.findOne(VerificationCase, { id: caseId }, { populate: ['account'] });
    const review = await em.findOne(DocumentReview, { caseId });
    return c && review ? { c, review } : undefined;
  }

  /** The applicant's entered details, decrypted for the reviewer (the caller audits the view). */
  details(c: VerificationCase) {
    return {
      name: [c.firstName, c.middleName, c.lastName].filter(Boolean).join(' '),
      dateOfBirth: this.verification.decryptDateOfBirth(c),
      address: this.verification.decryptAddress(c),
      identifier: c.identifierKind === 'none' ? 'None (non-U.S. passport path)' : c.identifierLast4 ? `${c.identifierKind?.toUpperCase()} ending in ${c.identifierLast4}` : undefined,
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
      const reasons = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((r): r is RejectReason => typeof r === 'string' && r in REJECT_REASONS);
      const note = typeof form[`note-${index}`] === 'string' ? (form[`note-${index}`] as string).trim().slice(0, 500) : '';
      if (decision !== 'accepted' && decision !== 'rejected') errors[`decision-${index}`] = `Accept or reject the ${item.doc.name}`;
      else if (decision === 'rejected' && !reasons.length) errors[`reasons-${index}`] = `Select why the ${item.doc.name} is rejected`;
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
      const live = review && review.claimedBy === actor.actorId && !review.decidedAt && review.lastActivityAt && Date.now() - review.lastActivityAt.getTime() < CLAIM_MINUTES * 60_000;
      if (!review || !live) return 'not-claimed' as const;
      const c = await em.findOneOrFail(VerificationCase, { id: caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['account'] });
      if (c.status !== 'in_review') return 'not-claimed' as const;
      const items = itemsOf(c);
      const rejected = items.filter((i) => decisions[i.key]?.decision !== 'accepted');
      const accepted = items.filter((i) => decisions[i.key]?.decision === 'accepted' && i.doc.kind !== 'supporting').map((i) => ({ type: i.doc.key }));
      const approved = rejected.length === 0 && evaluateDocuments(ruleContext(c), accepted).satisfied;
      review.decisions = decisions;
      review.decidedAt = new Date();
      review.decidedBy = actor.actorId;
      review.claimedBy = undefined;
      const to = approved ? 'approved' : 'documents_rejected';
      this.steps.moveStatus(em, c, to, 'document_review', { reviewer: actor.actorId, rejected: rejected.map((i) => i.key) });
      const message = this.notifications.queueEmail(this.decisionEmail(c, approved, rejected.map((i) => ({ item: i, decision: decisions[i.key] }))));
      return { to, message } as const;
    });
    if (outcome === 'not-claimed') return outcome;
    await this.notifications.deliver([outcome.message]).catch(() => undefined);
    await this.audit.record({ ...actor, action: 'documents.reviewed', caseId, details: { outcome: outcome.to, decisions: Object.fromEntries(Object.entries(decisions).map(([k, d]) => [k, { decision: d.decision, reasons: d.reasons }])) } });
    return outcome.to;
  }

  private decisionEmail(c: VerificationCase, approved: boolean, rejected: { item: Item; decision?: ItemDecision }[]) {
    const to = c.email ?? c.account.email;
    const base = this.config.baseUrl;
    if (approved) {
      return {
        to,
        subject: 'Your documents were approved: join a video call',
        text: `Your documents were reviewed and approved.\n\nNext, verify your identity with a Trusted Referee on a video call. Join a video call: ${base}/call\nSchedule an appointment: ${base}/call/schedule\n\nReferee`,
      };
    }
    const lines = rejected.map(({ item, decision }) => {
      const reasons = (decision?.reasons ?? []).map((r) => REJECT_REASONS[r]).join(', ');
      return `- ${item.doc.label}: ${reasons || 'not accepted'}${decision?.note ? ` (${decision.note})` : ''}\n  Replace it: ${base}/documents#${encodeURIComponent(item.key)}`;
    });
    return {
      to,
      subject: 'Please replace a document',
      text: `Your documents were reviewed. We could not accept:\n\n${lines.join('\n')}\n\nReplace just these documents, then select Continue.\n\nReferee`,
    };
  }

  // ---- Retention ---------------------------------------------------------------------------

  /**
   * Deletes the images of cases whose final decision (verified or failed) is older than
   * DOCUMENT_RETENTION_DAYS. An advisory lock makes it run once across instances.
   */
  @Cron(CronExpression.EVERY_HOUR, { name: 'documents-retention' })
  async deleteExpired(now = new Date()): Promise<number> {
    const em = this.em.fork();
    const keys = await em.transactional(async (tx) => {
      const [lock]: any[] = await tx.execute('select pg_try_advisory_xact_lock(?) as got', [RETENTION_JOB_LOCK]);
      if (!lock?.got) return [];
      const cutoff = new Date(now.getTime() - this.config.retention.documentDays * 86_400_000);
      const files = await tx.find(DocumentFile, { verificationCase: { status: { $in: ['verified', 'failed'] }, updatedAt: { $lt: cutoff } } }, { limit: 1000 });
      files.forEach((f) => tx.remove(f));
      return files.map((f) => f.storageKey);
    });
    // After the rows are gone (a failed commit leaves both): the encrypted files themselves.
    for (const key of keys) await this.store.delete(key);
    return keys.length;
  }
}
