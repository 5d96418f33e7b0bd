import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';
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

/** Per-agent figures as the database gives them (averages as float8, null without any). */
interface FiguresRow {
  today: number;
  today_seconds: number | null;
  period: number;
  period_seconds: number | null;
}
const agentRow = (agentId: string, r: FiguresRow): AgentRow => ({ agentId, today: r.today, todaySeconds: r.today_seconds === null ? null : Number(r.today_seconds), period: r.period, periodSeconds: r.period_seconds === null ? null : Number(r.period_seconds) });

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
    const [waits, agents, handleTimes] = await Promise.all([
      sql<{ s: number }>(this.em,
        `select extract(epoch from now() - joined_at)::float as s from queue_entry where status = 'waiting' and last_seen_at > ? order by joined_at`,
        [staleBefore()],
      ),
      sql<{ status: string; n: number }>(this.em, `select status, count(*)::int as n from agent_status group by status`),
      this.queue.recentHandleTimes(),
    ]);
    const waitingSeconds = waits.map((w) => Math.round(Number(w.s)));
    const byStatus: Record<string, number> = Object.fromEntries(agents.map((a) => [a.status, a.n]));
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
      sql<{ day: string; outcome: string; n: number }>(this.em,
        `select to_char(ended_at at time zone 'UTC', 'YYYY-MM-DD') as day, outcome, count(*)::int as n
           from video_call where ended_at >= ? and outcome is not null group by 1, 2`,
        [since],
      ),
      sql<{ day: string; n: number }>(this.em,
        `select to_char(starts_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
           from appointment where status = 'no_show' and starts_at >= ? group by 1`,
        [since],
      ),
    ]);
    const days = new Map<string, Record<string, number>>();
    const add = (day: string, key: string, n: number) => days.set(day, { ...days.get(day), [key]: n });
    for (const c of calls) add(c.day, c.outcome, c.n);
    for (const a of noShows) add(a.day, 'no_show', a.n);
    return days;
  }

  /** Calls with an outcome per Trusted Referee since `since` (and since `today` within that): how many, and the mean start → outcome time in seconds. */
  async callsByAgent(today: Date, since: Date): Promise<AgentRow[]> {
    const rows = await sql<FiguresRow & { agent_id: string }>(this.em,
      `select agent_id,
              count(*) filter (where ended_at >= ?)::int as today,
              avg(extract(epoch from ended_at - started_at)) filter (where ended_at >= ?)::float8 as today_seconds,
              count(*)::int as period,
              avg(extract(epoch from ended_at - started_at))::float8 as period_seconds
         from video_call where ended_at >= ? and outcome is not null group by agent_id`,
      [today, today, since],
    );
    return rows.map((r) => agentRow(r.agent_id, r));
  }

  /** Decisions per reviewer since `since` (and since `today` within that): how many, and the mean claim → decision time in seconds. */
  async decisionsByReviewer(today: Date, since: Date): Promise<AgentRow[]> {
    const rows = await sql<FiguresRow & { reviewer_id: string }>(this.em,
      `select reviewer_id,
              count(*) filter (where decided_at >= ?)::int as today,
              avg(extract(epoch from decided_at - claimed_at)) filter (where decided_at >= ?)::float8 as today_seconds,
              count(*)::int as period,
              avg(extract(epoch from decided_at - claimed_at))::float8 as period_seconds
         from document_decision where decided_at >= ? group by reviewer_id`,
      [today, today, since],
    );
    return rows.map((r) => agentRow(r.reviewer_id, r));
  }

  /**
   * How many submissions were waiting for a reviewer (sent, not yet claimed) at each instant
   * from `from` to `to`, every `stepMinutes`, and at `to`: derived from the submissions'
   * times, the decided ones kept in document_decision and the open ones in document_review.
   */
  async waitingForReview(from: Date, to: Date, stepMinutes: number): Promise<WaitingSample[]> {
    const rows = await sql<{ at: Date | string; n: number }>(this.em,
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

  /**
   * How many applicants were waiting for a call at each instant from `from` to `to`, every
   * `stepMinutes`, and at `to`, from the queue entries' own times: a place counts from joining
   * until it was claimed, left (Save & Exit or an appointment booked: its page's last poll), or
   * went stale (60 minutes unseen), as the live count does.
   */
  async waitingForCall(from: Date, to: Date, stepMinutes: number): Promise<WaitingSample[]> {
    const rows = await sql<{ at: Date | string; n: number }>(this.em,
      `with samples as (
         select generate_series(?::timestamptz, ?::timestamptz, make_interval(mins => ?)) as at union select ?::timestamptz
       ), spans as (
         select joined_at as s,
                coalesce(claimed_at, case when status = 'left' then last_seen_at else last_seen_at + make_interval(mins => ?) end) as e
           from queue_entry
          where joined_at <= ? and coalesce(claimed_at, last_seen_at + make_interval(mins => ?)) > ?
            -- nobody waits a day with the page open: older places need not be read
            and (status = 'waiting' or joined_at > ?::timestamptz - interval '1 day')
       )
       select samples.at, count(spans.s)::int as n
         from samples left join spans on spans.s <= samples.at and spans.e > samples.at
        group by samples.at order by samples.at`,
      [from, to, stepMinutes, to, QUEUE_TIMEOUT_MINUTES, to, QUEUE_TIMEOUT_MINUTES, from, from],
    );
    return rows.map((r) => ({ at: new Date(r.at), n: r.n }));
  }
}
