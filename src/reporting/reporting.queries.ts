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
  agent_id: string;
  today: number;
  today_seconds: number | null;
  period: number;
  period_seconds: number | null;
}

/**
 * Where one kind of finished work is recorded: its table, the staff member's column, and the
 * columns of its start and its end (the table and columns are constants of this file, never input).
 */
interface FinishedWork {
  table: 'video_call' | 'document_decision';
  agent: 'agent_id' | 'reviewer_id';
  start: 'started_at' | 'claimed_at';
  end: 'ended_at' | 'decided_at';
  /** Which rows count as finished, besides having ended. */
  finished: string;
}

/** Per staff member, work finished since `since` (and since `today` within that): how many, and the mean start → end time in seconds. */
async function finishedWorkByAgent(em: EntityManager, work: FinishedWork, today: Date, since: Date): Promise<AgentRow[]> {
  const { table, agent, start, end, finished } = work;
  const rows = await sql<FiguresRow>(em,
    `select ${agent} as agent_id,
            count(*) filter (where ${end} >= ?)::int as today,
            avg(extract(epoch from ${end} - ${start})) filter (where ${end} >= ?)::float8 as today_seconds,
            count(*)::int as period,
            avg(extract(epoch from ${end} - ${start}))::float8 as period_seconds
       from ${table} where ${end} >= ? and ${finished} group by ${agent}`,
    [today, today, since],
  );
  const seconds = (v: number | null) => (v === null ? null : Number(v));
  return rows.map((r) => ({ agentId: r.agent_id, today: r.today, todaySeconds: seconds(r.today_seconds), period: r.period, periodSeconds: seconds(r.period_seconds) }));
}

/** Calls with an outcome per Trusted Referee since `since` (and since `today` within that): how many, and the mean start → outcome time in seconds. */
export function callsByAgent(em: EntityManager, today: Date, since: Date): Promise<AgentRow[]> {
  return finishedWorkByAgent(em, { table: 'video_call', agent: 'agent_id', start: 'started_at', end: 'ended_at', finished: 'outcome is not null' }, today, since);
}

/** Decisions per reviewer since `since` (and since `today` within that): how many, and the mean claim → decision time in seconds. */
export function decisionsByReviewer(em: EntityManager, today: Date, since: Date): Promise<AgentRow[]> {
  return finishedWorkByAgent(em, { table: 'document_decision', agent: 'reviewer_id', start: 'claimed_at', end: 'decided_at', finished: 'true' }, today, since);
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
