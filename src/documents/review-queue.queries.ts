import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';

/**
 * The reviewers' queue in document_review: cases waiting, claims taken atomically, kept alive
 * by activity and lapsing after `claimSeconds` without it (the rules: ReviewQueueService).
 */

/** Cases waiting for a reviewer (unclaimed, or their claim lapsed), oldest first, at most 200. */
export async function reviewsWaiting(em: EntityManager, claimSeconds: number): Promise<{ caseId: string; submittedAt: Date; submissions: number; claimedBy: string | null }[]> {
  const rows = await sql<{ case_id: string; submitted_at: Date | string; submissions: number; claimed_by: string | null }>(em,
    `select case_id, submitted_at, submissions, claimed_by from document_review
      where decided_at is null and (claimed_by is null or last_activity_at < now() - make_interval(secs => ?))
      order by submitted_at limit 200`,
    [claimSeconds],
  );
  return rows.map((r) => ({ caseId: r.case_id, submittedAt: new Date(r.submitted_at), submissions: r.submissions, claimedBy: r.claimed_by }));
}

/**
 * "Next case": the reviewer's own live claim, or the oldest free case, claimed in one
 * statement (FOR UPDATE SKIP LOCKED: two reviewers never get the same case). One's own live
 * claim keeps its start (the handle time runs from the first claim); taking back a case a
 * supervisor moved away clears that mark. SET reads the row as it was. The case, or undefined.
 */
export async function claimNextReview(em: EntityManager, reviewerId: string, claimSeconds: number): Promise<string | undefined> {
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
    [reviewerId, reviewerId, claimSeconds, reviewerId, reviewerId, reviewerId, claimSeconds, reviewerId],
  );
  return rows[0]?.case_id;
}

/** Touches the reviewer's live claim on the case (looking is activity): false when they hold none. */
export async function touchLiveClaim(em: EntityManager, caseId: string, reviewerId: string, claimSeconds: number): Promise<boolean> {
  const rows = await sql<{ case_id: string }>(em,
    `update document_review set last_activity_at = now()
      where case_id = ? and claimed_by = ? and decided_at is null and last_activity_at >= now() - make_interval(secs => ?)
      returning case_id`,
    [caseId, reviewerId, claimSeconds],
  );
  return rows.length > 0;
}

/** The cases this reviewer holds a live claim on, oldest claim first. */
export async function liveClaimsOf(em: EntityManager, reviewerId: string, claimSeconds: number): Promise<{ caseId: string; claimedAt: Date }[]> {
  const rows = await sql<{ case_id: string; claimed_at: Date | string }>(em,
    `select case_id, claimed_at from document_review
      where claimed_by = ? and decided_at is null and last_activity_at >= now() - make_interval(secs => ?)
      order by claimed_at`,
    [reviewerId, claimSeconds],
  );
  return rows.map((r) => ({ caseId: r.case_id, claimedAt: new Date(r.claimed_at) }));
}

/** A claimed, undecided review as claimedReviews reads it. */
interface ClaimRow {
  case_id: string;
  claimed_by: string;
  submitted_at: Date | string;
  claimed_at: Date | string;
  last_activity_at: Date | string;
  lapsed: boolean;
}

/** Every claimed, undecided case (or only `onlyCase`), oldest claim first, at most 200; `lapsed` when back in the queue for lack of activity. */
export async function claimedReviews(
  em: EntityManager,
  claimSeconds: number,
  onlyCase?: string,
): Promise<{ caseId: string; reviewerId: string; submittedAt: Date; claimedAt: Date; lastActivityAt: Date; lapsed: boolean }[]> {
  const rows = await sql<ClaimRow>(em,
    `select case_id, claimed_by, submitted_at, claimed_at, last_activity_at,
            last_activity_at < now() - make_interval(secs => ?) as lapsed
       from document_review where decided_at is null and claimed_by is not null ${onlyCase ? 'and case_id = ?' : ''}
      order by claimed_at limit 200`,
    onlyCase ? [claimSeconds, onlyCase] : [claimSeconds],
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
 * Documents sent again: the case's review back in the queue at `submittedAt`, unclaimed and
 * undecided, its submissions counted in the same statement. False when the case has no review row yet.
 */
export async function returnToQueue(em: EntityManager, caseId: string, submittedAt: Date): Promise<boolean> {
  const resent = await sqlRun(
    em,
    `update document_review set submitted_at = ?, submissions = submissions + 1, claimed_by = null, claimed_at = null,
            last_activity_at = null, decided_at = null, decided_by = null, released_from = null, release_kind = null
      where case_id = ?`,
    [submittedAt, caseId],
  );
  return resent > 0;
}
