import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';
import type { AgentRow, WaitingSample } from './figures';

/**
 * The supervisor page's figures in plain SQL, over the times the queues and calls already
 * store: a fixed number of statements, whatever the number of agents.
 */

/** How long each applicant still waiting for a call (seen after `seenAfter`) has waited, in seconds, longest first. */
export async function callWaitSeconds(em: EntityManager, seenAfter: Date): Promise<number[]> {
  const rows = await sql<{ s: number }>(em,
    `select extract(epoch from now() - joined_at)::float as s from queue_entry where status = 'waiting' and last_seen_at > ? order by joined_at`,
    [seenAfter],
  );
  return rows.map((w) => Math.round(Number(w.s)));
}

/** How many agents have each status. */
export async function agentsByStatus(em: EntityManager): Promise<Record<string, number>> {
  const rows = await sql<{ status: string; n: number }>(em, `select status, count(*)::int as n from agent_status group by status`);
  return Object.fromEntries(rows.map((a) => [a.status, a.n]));
}

/** Calls ended since `since`, by UTC day (YYYY-MM-DD) and outcome. */
export async function callOutcomesByDay(em: EntityManager, since: Date): Promise<{ day: string; outcome: string; n: number }[]> {
  return sql<{ day: string; outcome: string; n: number }>(em,
    `select to_char(ended_at at time zone 'UTC', 'YYYY-MM-DD') as day, outcome, count(*)::int as n
       from video_call where ended_at >= ? and outcome is not null group by 1, 2`,
    [since],
  );
}

/** No-shows of appointments due since `since`, by UTC day (YYYY-MM-DD). */
export async function noShowsByDay(em: EntityManager, since: Date): Promise<{ day: string; n: number }[]> {
  return sql<{ day: string; n: number }>(em,
    `select to_char(starts_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
       from appointment where status = 'no_show' and starts_at >= ? group by 1`,
    [since],
  );
}

/** Per-agent figures as the database gives them (averages as float8, null without any). */
interface FiguresRow {
  today: number;
  today_seconds: number | null;
  period: number;
  period_seconds: number | null;
}
const agentRow = (agentId: string, r: FiguresRow): AgentRow => ({ agentId, today: r.today, todaySeconds: r.today_seconds === null ? null : Number(r.today_seconds), period: r.period, periodSeconds: r.period_seconds === null ? null : Number(r.period_seconds) });

/** Calls with an outcome per Trusted Referee since `since` (and since `today` within that): how many, and the mean start → outcome time in seconds. */
export async function callsByAgent(em: EntityManager, today: Date, since: Date): Promise<AgentRow[]> {
  const rows = await sql<FiguresRow & { agent_id: string }>(em,
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
export async function decisionsByReviewer(em: EntityManager, today: Date, since: Date): Promise<AgentRow[]> {
  const rows = await sql<FiguresRow & { reviewer_id: string }>(em,
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
export async function waitingForReview(em: EntityManager, from: Date, to: Date, stepMinutes: number): Promise<WaitingSample[]> {
  const rows = await sql<{ at: Date | string; n: number }>(em,
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
 * went stale (`timeoutMinutes` unseen), as the live count does.
 */
export async function waitingForCall(em: EntityManager, from: Date, to: Date, stepMinutes: number, timeoutMinutes: number): Promise<WaitingSample[]> {
  const rows = await sql<{ at: Date | string; n: number }>(em,
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
    [from, to, stepMinutes, to, timeoutMinutes, to, timeoutMinutes, from, from],
  );
  return rows.map((r) => ({ at: new Date(r.at), n: r.n }));
}
