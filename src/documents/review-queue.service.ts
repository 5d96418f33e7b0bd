import { Inject, Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { CaseSteps } from '../verification/case-steps';
import { step } from '../verification/flow';
import { VerificationCase } from '../verification/verification-case.entity';
import { VerificationService } from '../verification/verification.service';
import { DocumentReview, type ReleaseKind } from './document-review.entity';

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;

/** A claimed, undecided review as claimsInProgress reads it. */
interface ClaimRow {
  case_id: string;
  claimed_by: string;
  submitted_at: Date | string;
  claimed_at: Date | string;
  last_activity_at: Date | string;
  lapsed: boolean;
}

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
    const rows = await sql<{ case_id: string; submitted_at: Date | string; submissions: number; claimed_by: string | null }>(this.em,
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
      const rows = await sql<{ case_id: string }>(em,
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
      const id = rows[0]?.case_id;
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
    const rows = await sql<{ case_id: string }>(this.em,
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
    const rows = await sql<{ case_id: string; claimed_at: Date | string }>(this.em,
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
    const rows = await sql<ClaimRow>(this.em,
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
