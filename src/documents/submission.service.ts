import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Text } from '../i18n/messages';
import { CaseSteps } from '../verification/case-steps';
import { step } from '../verification/flow';
import { VerificationCase, type CaseStatus } from '../verification/verification-case.entity';
import { RateLimits } from '../web/rate-limits';
import { DocumentFile } from './document-file.entity';
import { DocumentReview, type ItemDecision } from './document-review.entity';
import { returnToQueue } from './review-queue.queries';
import { itemsOf, type Item } from './sides';

/** Statuses in which the applicant sends (or replaces) documents: the flow table's. */
export const SENDING: CaseStatus[] = step('send_documents').status;

export interface ItemState extends Item {
  /** The photo that counts for each side. */
  files: Record<string, DocumentFile | undefined>;
  /** A photo that failed a quality check, waiting for "Use this photo anyway" (it does not count yet). */
  held: Record<string, DocumentFile | undefined>;
  decision?: ItemDecision;
  /** The applicant may upload for this document now. */
  editable: boolean;
  complete: boolean;
}

/** Field name → why: a catalog key, or a key with values (the applicant's pages translate it). */
type Problems = Record<string, Text>;

/**
 * What a case must send, and what it has sent so far (each document's sides, its files and
 * the last decision on it), and "Continue": submitting the documents for review.
 */
@Injectable()
export class SubmissionService {
  constructor(
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly rateLimits: RateLimits,
  ) {}

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
      const held: Record<string, DocumentFile | undefined> = {};
      for (const f of files) if (f.item === item.key) (f.held ? held : byside)[f.side] = f;
      const decision = review?.decidedAt ? review.decisions[item.key] : undefined;
      const sending = SENDING.includes(c.status);
      // After a rejection only the rejected documents change; before the first review, or when the call asks for more, all of them.
      const editable = sending && (c.status !== 'documents_rejected' || decision?.decision !== 'accepted');
      const freshSince = decision?.decision === 'rejected' ? review!.decidedAt! : undefined;
      const complete = item.sides.filter((s) => s.required).every((s) => byside[s.key] && (!freshSince || byside[s.key]!.createdAt > freshSince));
      return { ...item, files: byside, held, decision, editable, complete };
    });
    return { items, review };
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
      // Sent again: back in the queue, unclaimed and undecided, counted in one statement.
      const resent = await returnToQueue(em, c.id, new Date());
      if (!resent) em.create(DocumentReview, { caseId: c.id, submittedAt: new Date() });
    });
    return { location: '/documents/review' };
  }
}
