import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import { ReviewQueueService } from '../documents/review-queue.service';
import { IdentityService } from '../identity/identity.service';
import { JobRunner } from '../jobs/job-runner';
import { estimateWait, waitPhrase, type WaitEstimate } from '../scheduling/estimate';
import { QUEUE_TIMEOUT_MINUTES, QueueService, staleBefore } from '../scheduling/queue.service';
import { CallsService } from '../video/calls.service';
import {
  DAY_MS, HISTORY_HOURS, OUTCOME_DAYS, PERIOD_DAYS, SAMPLE_MINUTES,
  emailOf, isoDay, median, outcomesChart, perAgent, startOfUtcDay, waitingChart,
  type AgentRow, type OutcomesByDay, type WaitingSample,
} from './figures';
import * as db from './reporting.queries';

/**
 * The supervisor page's figures, in one place: the live counts, per-agent figures and the two
 * charts' numbers, derived from the times the queues and calls already store (no sampling
 * job), in plain SQL. A fixed number of queries, whatever the number of agents. The caller
 * checks the supervisor role.
 */
@Injectable()
export class ReportingService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly reviews: ReviewQueueService,
    private readonly queue: QueueService,
    private readonly calls: CallsService,
    private readonly identity: IdentityService,
    private readonly jobs: JobRunner,
  ) {}

  /**
   * The page's figures. `live`: only what the 10-second refresh shows (counts, today's outcomes,
   * per-agent figures); otherwise also the charts and the claimed work.
   */
  async supervisorPage(options: { live: boolean }, now = new Date()) {
    const today = startOfUtcDay(now);
    const periodStart = new Date(today.getTime() - (PERIOD_DAYS - 1) * DAY_MS);
    const daysStart = new Date(today.getTime() - (OUTCOME_DAYS - 1) * DAY_MS);
    const historyStart = new Date(Math.ceil((now.getTime() - HISTORY_HOURS * 3600_000) / (SAMPLE_MINUTES * 60_000)) * SAMPLE_MINUTES * 60_000);
    const [review, calls, outcomes, decisions, handled, waitingReview, waitingCall, reviewClaims, callClaims, jobRuns] = await Promise.all([
      this.reviews.queue(),
      this.callQueue(),
      this.outcomesByDay(options.live ? today : daysStart),
      this.decisionsByReviewer(today, periodStart),
      this.callsByAgent(today, periodStart),
      options.live ? undefined : this.waitingForReview(historyStart, now, SAMPLE_MINUTES),
      options.live ? undefined : this.waitingForCall(historyStart, now, SAMPLE_MINUTES),
      options.live ? undefined : this.reviews.claimsInProgress(),
      options.live ? undefined : this.calls.inProgress(),
      options.live ? undefined : this.jobs.lastRuns(),
    ]);
    const emails = await this.identity.emailsOf([
      ...decisions.map((d) => d.agentId),
      ...handled.map((h) => h.agentId),
      ...(reviewClaims ?? []).map((c) => c.reviewerId),
      ...(callClaims ?? []).map((c) => c.agentId),
    ]);
    const reviewWaits = review.map((r) => Math.round((now.getTime() - r.submittedAt.getTime()) / 1000));
    const live = {
      review: { waiting: review.length, longestSeconds: reviewWaits.length ? Math.max(...reviewWaits) : undefined, medianSeconds: median(reviewWaits) },
      calls: {
        waiting: calls.waitingSeconds.length,
        longestSeconds: calls.waitingSeconds.length ? Math.max(...calls.waitingSeconds) : undefined,
        medianSeconds: median(calls.waitingSeconds),
        estimate: calls.estimate,
        // The words a new applicant reads (call.wait.*); with nobody on duty, the supervisor's own.
        estimateText: calls.estimate.kind === 'unknown' ? 'staff.supervisor.calls.estimateUnknown' : waitPhrase(calls.estimate),
      },
      agents: calls.agents,
      outcomes: outcomes.get(isoDay(now)) ?? {},
      perAgent: perAgent(decisions, handled, emails),
      // Times and days go to the page as instants: it writes them in the reader's language.
      updatedAt: now,
    };
    if (options.live) return { ...live, charts: undefined, claims: undefined, jobs: undefined };
    return {
      ...live,
      charts: { waiting: waitingChart(waitingReview!, waitingCall!, historyStart, now), outcomes: outcomesChart(outcomes, daysStart) },
      claims: {
        reviews: reviewClaims!.map((c) => ({ ...c, email: emailOf(emails, c.reviewerId) })),
        calls: callClaims!.map((c) => ({ ...c, email: emailOf(emails, c.agentId) })),
      },
      jobs: jobRuns!,
    };
  }

  /** The call queue now: who waits and for how long, agents by status, and the estimate a newcomer sees. */
  async callQueue(): Promise<{ waitingSeconds: number[]; agents: Record<string, number>; estimate: WaitEstimate }> {
    const [waitingSeconds, byStatus, handleTimes] = await Promise.all([
      db.callWaitSeconds(this.em, staleBefore()),
      db.agentsByStatus(this.em),
      this.queue.recentHandleTimes(),
    ]);
    // The same inputs as QueueService.estimate(), from the agents' counts just read (two queries fewer).
    const estimate = estimateWait({
      ahead: waitingSeconds.length,
      agentsOnDuty: (byStatus.available ?? 0) + (byStatus.on_call ?? 0),
      agentsAvailable: byStatus.available ?? 0,
      handleTimes,
      fallbackHandleSeconds: this.config.slotMinutes * 60,
    });
    return { waitingSeconds, agents: byStatus, estimate };
  }

  /**
   * Per UTC day since `since`: calls ended by outcome, and no-shows of appointments due that
   * day. Day (YYYY-MM-DD) → outcome or 'no_show' → count.
   */
  async outcomesByDay(since: Date): Promise<OutcomesByDay> {
    const [calls, noShows] = await Promise.all([
      db.callOutcomesByDay(this.em, since),
      db.noShowsByDay(this.em, since),
    ]);
    const days = new Map<string, Record<string, number>>();
    const add = (day: string, key: string, n: number) => days.set(day, { ...days.get(day), [key]: n });
    for (const c of calls) add(c.day, c.outcome, c.n);
    for (const a of noShows) add(a.day, 'no_show', a.n);
    return days;
  }

  /** Calls with an outcome per Trusted Referee since `since` (and since `today` within that): how many, and the mean start → outcome time in seconds. */
  async callsByAgent(today: Date, since: Date): Promise<AgentRow[]> {
    return db.callsByAgent(this.em, today, since);
  }

  /** Decisions per reviewer since `since` (and since `today` within that): how many, and the mean claim → decision time in seconds. */
  async decisionsByReviewer(today: Date, since: Date): Promise<AgentRow[]> {
    return db.decisionsByReviewer(this.em, today, since);
  }

  /**
   * How many submissions were waiting for a reviewer (sent, not yet claimed) at each instant
   * from `from` to `to`, every `stepMinutes`, and at `to`: derived from the submissions'
   * times, the decided ones kept in document_decision and the open ones in document_review.
   */
  async waitingForReview(from: Date, to: Date, stepMinutes: number): Promise<WaitingSample[]> {
    return db.waitingForReview(this.em, from, to, stepMinutes);
  }

  /**
   * How many applicants were waiting for a call at each instant from `from` to `to`, every
   * `stepMinutes`, and at `to`, from the queue entries' own times: a place counts from joining
   * until it was claimed, left (Save & Exit or an appointment booked: its page's last poll), or
   * went stale (60 minutes unseen), as the live count does.
   */
  async waitingForCall(from: Date, to: Date, stepMinutes: number): Promise<WaitingSample[]> {
    return db.waitingForCall(this.em, from, to, stepMinutes, QUEUE_TIMEOUT_MINUTES);
  }
}
