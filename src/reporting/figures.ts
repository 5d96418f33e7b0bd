/**
 * The supervisor page's figures as rows and charts: the periods they cover, their types, and
 * the shaping of what ReportingService reads (pure functions, no database).
 */

/** The waiting chart: the last 8 hours, a sample every 15 minutes (and one now). */
export const HISTORY_HOURS = 8;
export const SAMPLE_MINUTES = 15;
/** The outcomes chart: 14 days, today included. Per-agent figures: today, and 7 days with today. */
export const OUTCOME_DAYS = 14;
export const PERIOD_DAYS = 7;
export const DAY_MS = 86_400_000;

/** How many pieces of work an agent finished today and in the period, and their mean time in seconds. */
export interface Figures {
  today: number;
  todaySeconds: number | null;
  period: number;
  periodSeconds: number | null;
}
export type AgentRow = Figures & { agentId: string };
export interface AgentFigures {
  agentId: string;
  email: string;
  reviews: Figures;
  calls: Figures;
}
/** How many were waiting at one instant. */
export interface WaitingSample {
  at: Date;
  n: number;
}
/** Day (YYYY-MM-DD, UTC) → outcome or 'no_show' → count. */
export type OutcomesByDay = Map<string, Record<string, number>>;

const NONE: Figures = { today: 0, todaySeconds: null, period: 0, periodSeconds: null };

export const median = (values: number[]) => {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
};
export const startOfUtcDay = (at: Date) => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
export const isoDay = (at: Date) => at.toISOString().slice(0, 10);

/** An agent's email, or the start of their id if the account is gone. */
export const emailOf = (emails: Map<string, string>, accountId: string) => emails.get(accountId) ?? accountId.slice(0, 8);

/** One row per agent who decided a review or finished a call in the period, by email. */
export function perAgent(decisions: AgentRow[], handled: AgentRow[], emails: Map<string, string>): AgentFigures[] {
  const rows = new Map<string, AgentFigures>();
  const row = (agentId: string) => rows.get(agentId) ?? rows.set(agentId, { agentId, email: emailOf(emails, agentId), reviews: NONE, calls: NONE }).get(agentId)!;
  for (const { agentId, ...figures } of decisions) row(agentId).reviews = figures;
  for (const { agentId, ...figures } of handled) row(agentId).calls = figures;
  return [...rows.values()].sort((a, b) => a.email.localeCompare(b.email));
}

/** Samples by time, for the chart (x in ms) and its table; ticks on the whole hours (the page labels them). */
export function waitingChart(review: WaitingSample[], call: WaitingSample[], from: Date, to: Date) {
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
export function outcomesChart(byDay: OutcomesByDay, from: Date) {
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
