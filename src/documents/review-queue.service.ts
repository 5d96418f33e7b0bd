import { Inject, Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { CaseSteps } from '../verification/case-steps';
import { step } from '../verification/flow';
import { VerificationCase } from '../verification/verification-case.entity';
import { VerificationService } from '../verification/verification.service';
import { DocumentReview, type ReleaseKind } from './document-review.entity';
import { claimedReviews, claimNextReview, liveClaimsOf, reviewsWaiting, touchLiveClaim } from './review-queue.queries';

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;

/**
 * The reviewers' queue: the cases waiting, "Next case" claimed atomically, a claim kept alive
 * by activity and lapsing without it, and a supervisor releasing or reassigning a claim.
 * The decisions themselves: ReviewDecisionsService.
 */
@Injectable()
export class ReviewQueueService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly verification: VerificationService,
    private readonly audit: AuditService,
  ) {}

  /** How long a claim lasts without activity, in whole minutes, for the queue page. */
  get claimMinutes(): number {
    return Math.max(1, Math.round(this.config.reviewClaimSeconds / 60));
  }

  /** Cases waiting for a reviewer (unclaimed, or their claim lapsed), oldest first. */
  async queue(): Promise<{ caseId: string; submittedAt: Date; submissions: number; claimedBy: string | null }[]> {
    return reviewsWaiting(this.em, this.config.reviewClaimSeconds);
  }

  /**
   * "Next case": the reviewer's own live claim, or the oldest free case, claimed atomically
   * (FOR UPDATE SKIP LOCKED: two reviewers never get the same case). Undefined: queue empty.
   */
  async claimNext(actor: Actor & { actorId: string }): Promise<string | undefined> {
    const caseId = await this.em.fork().transactional(async (em) => {
      // One's own live claim keeps its start (the handle time runs from the first claim).
      const id = await claimNextReview(em, actor.actorId, this.config.reviewClaimSeconds);
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
    return touchLiveClaim(this.em, caseId, reviewerId, this.config.reviewClaimSeconds);
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
    return liveClaimsOf(this.em, reviewerId, this.config.reviewClaimSeconds);
  }

  // ---- Supervisors --------------------------------------------------------------------------

  /** Every claimed, undecided case (or only `onlyCase`), oldest claim first; `lapsed` when it is back in the queue for lack of activity. */
  async claimsInProgress(onlyCase?: string): Promise<{ caseId: string; reviewerId: string; submittedAt: Date; claimedAt: Date; lastActivityAt: Date; lapsed: boolean }[]> {
    return claimedReviews(this.em, this.config.reviewClaimSeconds, onlyCase);
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
}
