import { ForbiddenException, Injectable } from '@nestjs/common';
import type { AuditEntry } from '../audit/audit.service';
import { DocumentsService } from '../documents/documents.service';
import { IdentityService } from '../identity/identity.service';
import { JobRunner } from '../jobs/job-runner';
import { SessionsService } from '../identity/sessions.service';
import { waitPhrase } from '../scheduling/estimate';
import { QueueService } from '../scheduling/queue.service';
import { CallsService } from '../video/calls.service';
import { StaffService } from './staff.service';

/** The waiting chart: the last 8 hours, a sample every 15 minutes (and one now). */
export const HISTORY_HOURS = 8;
export const SAMPLE_MINUTES = 15;
/** The outcomes chart: 14 days, today included. Per-agent figures: today, and 7 days with today. */
export const OUTCOME_DAYS = 14;
export const PERIOD_DAYS = 7;
const DAY_MS = 86_400_000;

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;

export interface Figures {
  today: number;
  todaySeconds: number | null;
  period: number;
  periodSeconds: number | null;
}
export interface AgentFigures {
  agentId: string;
  email: string;
  reviews: Figures;
  calls: Figures;
}

const NONE: Figures = { today: 0, todaySeconds: null, period: 0, periodSeconds: null };
const median = (values: number[]) => {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
};
const startOfUtcDay = (at: Date) => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
const isoDay = (at: Date) => at.toISOString().slice(0, 10);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The supervisor's view and actions: the live counts, per-agent figures, the two charts'
 * numbers (derived from the times the queues already store: no sampling job), and releasing
 * or reassigning claimed work. Every method checks the supervisor role itself, whatever the
 * route in front of it does. Reads cost a fixed number of queries, whatever the number of agents.
 */
/** An agent's email, or the start of their id if the account is gone. */
const emailOf = (emails: Map<string, string>, accountId: string) => emails.get(accountId) ?? accountId.slice(0, 8);

@Injectable()
export class SupervisorService {
  constructor(
    private readonly staff: StaffService,
    private readonly documents: DocumentsService,
    private readonly queue: QueueService,
    private readonly calls: CallsService,
    private readonly identity: IdentityService,
    private readonly sessions: SessionsService,
    private readonly jobs: JobRunner,
  ) {}

  /** How long a review claim lasts without activity (shown on the release page). */
  get claimMinutes(): number {
    return this.documents.claimMinutes;
  }

  private async authorize(actorId: string | undefined): Promise<void> {
    if (!actorId || !(await this.staff.rolesOf(actorId)).includes('supervisor')) throw new ForbiddenException('errors.staffRole');
  }

  /**
   * The page's figures. `live`: only what the 10-second refresh shows (counts, today's outcomes,
   * per-agent figures); otherwise also the charts and the claimed work.
   */
  async dashboard(actorId: string | undefined, options: { live: boolean }, now = new Date()) {
    await this.authorize(actorId);
    const today = startOfUtcDay(now);
    const periodStart = new Date(today.getTime() - (PERIOD_DAYS - 1) * DAY_MS);
    const daysStart = new Date(today.getTime() - (OUTCOME_DAYS - 1) * DAY_MS);
    const historyStart = new Date(Math.ceil((now.getTime() - HISTORY_HOURS * 3600_000) / (SAMPLE_MINUTES * 60_000)) * SAMPLE_MINUTES * 60_000);
    const [review, calls, outcomes, decisions, handled, waitingReview, waitingCall, reviewClaims, callClaims, jobRuns] = await Promise.all([
      this.documents.queue(),
      this.queue.snapshot(),
      this.calls.outcomesByDay(options.live ? today : daysStart),
      this.documents.decisionsByReviewer(today, periodStart),
      this.calls.callsByAgent(today, periodStart),
      options.live ? undefined : this.documents.waitingForReview(historyStart, now, SAMPLE_MINUTES),
      options.live ? undefined : this.queue.waitingForCall(historyStart, now, SAMPLE_MINUTES),
      options.live ? undefined : this.documents.claimsInProgress(),
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
      perAgent: this.perAgent(decisions, handled, emails),
      // Times and days go to the page as instants: it writes them in the reader's language.
      updatedAt: now,
    };
    if (options.live) return { ...live, charts: undefined, claims: undefined, jobs: undefined };
    return {
      ...live,
      charts: { waiting: this.waitingChart(waitingReview!, waitingCall!, historyStart, now), outcomes: this.outcomesChart(outcomes, daysStart) },
      claims: {
        reviews: reviewClaims!.map((c) => ({ ...c, email: emailOf(emails, c.reviewerId) })),
        calls: callClaims!.map((c) => ({ ...c, email: emailOf(emails, c.agentId) })),
      },
      jobs: jobRuns!,
    };
  }

  /** One row per agent who decided a review or finished a call in the period, by email. */
  private perAgent(decisions: (Figures & { agentId: string })[], handled: (Figures & { agentId: string })[], emails: Map<string, string>): AgentFigures[] {
    const rows = new Map<string, AgentFigures>();
    const row = (agentId: string) => rows.get(agentId) ?? rows.set(agentId, { agentId, email: emailOf(emails, agentId), reviews: NONE, calls: NONE }).get(agentId)!;
    for (const { agentId, ...figures } of decisions) row(agentId).reviews = figures;
    for (const { agentId, ...figures } of handled) row(agentId).calls = figures;
    return [...rows.values()].sort((a, b) => a.email.localeCompare(b.email));
  }

  /** Samples by time, for the chart (x in ms) and its table; ticks on the whole hours (the page labels them). */
  private waitingChart(review: { at: Date; n: number }[], call: { at: Date; n: number }[], from: Date, to: Date) {
    const calls = new Map(call.map((c) => [c.at.getTime(), c.n]));
    const rows = review.map((r) => ({ at: r.at.getTime(), review: r.n, call: calls.get(r.at.getTime()) ?? 0 }));
    const ticks: number[] = [];
    for (let t = Math.ceil(from.getTime() / 3600_000) * 3600_000; t <= to.getTime(); t += 3600_000) ticks.push(t);
    return {
      rows,
      domain: [from.getTime(), to.getTime()] as [number, number],
      ticks,
      review: rows.map((r) => ({ x: r.at, y: r.review })),
      call: rows.map((r) => ({ x: r.at, y: r.call })),
      from,
      to,
      now: rows.at(-1) ?? { review: 0, call: 0 },
    };
  }

  /** Fourteen days (UTC midnights), oldest first, each with its outcomes; and the same numbers by series, for the chart. */
  private outcomesChart(byDay: Map<string, Record<string, number>>, from: Date) {
    const days = Array.from({ length: OUTCOME_DAYS }, (_, i) => {
      const day = new Date(from.getTime() + i * DAY_MS);
      const o = byDay.get(isoDay(day)) ?? {};
      return { day: isoDay(day), date: day, verified: o.verified ?? 0, failed: o.failed ?? 0, needs_more_documents: o.needs_more_documents ?? 0, no_show: o.no_show ?? 0 };
    });
    const series = (key: 'verified' | 'failed' | 'needs_more_documents' | 'no_show') => days.map((d) => d[key]);
    return {
      days,
      values: { verified: series('verified'), failed: series('failed'), needs_more_documents: series('needs_more_documents'), no_show: series('no_show') },
      total: days.reduce((sum, d) => sum + d.verified + d.failed + d.needs_more_documents + d.no_show, 0),
    };
  }

  // ---- Claimed work ------------------------------------------------------------------------

  /** A claimed document review, with the reviewers signed in now it could go to; undefined when it is not claimed. */
  async reviewClaim(actorId: string | undefined, caseId: string) {
    await this.authorize(actorId);
    if (!UUID.test(caseId)) return undefined;
    const [claim] = await this.documents.claimsInProgress(caseId); // this one, however many others there are
    if (!claim) return undefined;
    const reviewers = await this.reviewersOnDuty(claim.reviewerId);
    const emails = await this.identity.emailsOf([claim.reviewerId]);
    return { ...claim, email: emailOf(emails, claim.reviewerId), reviewers: reviewers.map((r) => ({ value: r.accountId, label: r.email })) };
  }

  /** Reviewers (by role) signed in now, but `except`. */
  private async reviewersOnDuty(except: string): Promise<{ accountId: string; email: string }[]> {
    const reviewers = (await this.staff.list()).filter((m) => m.roles.includes('reviewer') && m.accountId !== except);
    const signedIn = await this.sessions.signedInAmong(reviewers.map((r) => r.accountId));
    return reviewers.filter((r) => signedIn.has(r.accountId)).map((r) => ({ accountId: r.accountId, email: r.email }));
  }

  /** Back to the queue, in its place. 'changed': `from` no longer holds it. */
  async releaseReview(actor: Actor, caseId: string, from: unknown): Promise<'released' | 'changed'> {
    await this.authorize(actor.actorId);
    if (typeof from !== 'string' || !UUID.test(from)) return 'changed';
    return (await this.documents.moveClaim(caseId, from, undefined, actor)) === 'released' ? 'released' : 'changed';
  }

  /** To another reviewer signed in now. 'not-on-duty': `to` is not one of them. */
  async reassignReview(actor: Actor, caseId: string, from: unknown, to: unknown): Promise<'reassigned' | 'changed' | 'not-on-duty'> {
    await this.authorize(actor.actorId);
    if (typeof from !== 'string' || !UUID.test(from)) return 'changed';
    if (typeof to !== 'string' || !(await this.reviewersOnDuty(from)).some((r) => r.accountId === to)) return 'not-on-duty';
    return (await this.documents.moveClaim(caseId, from, to, actor)) === 'reassigned' ? 'reassigned' : 'changed';
  }

  /** A call in progress; undefined when it is not (any more). */
  async callInProgress(actorId: string | undefined, callId: string) {
    await this.authorize(actorId);
    if (!UUID.test(callId)) return undefined;
    const [call] = await this.calls.inProgress(callId);
    if (!call) return undefined;
    const emails = await this.identity.emailsOf([call.agentId]);
    return { ...call, email: emailOf(emails, call.agentId) };
  }

  async releaseCall(actor: Actor, callId: string, agentId: unknown): Promise<'released' | 'changed'> {
    await this.authorize(actor.actorId);
    if (typeof agentId !== 'string') return 'changed';
    return this.calls.release(callId, agentId, actor);
  }
}
