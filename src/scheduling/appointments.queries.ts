import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { sql, sqlRun } from '../database/sql';

/** A day off for the agent (a date, YYYY-MM-DD); a day already off stays as it is. */
export async function recordDayOff(em: EntityManager, agentId: string, date: string): Promise<void> {
  await sqlRun(em,
    'insert into agent_shift_exception (id, agent_id, date) values (?, ?, ?) on conflict (agent_id, date) do nothing',
    [randomUUID(), agentId, date],
  );
}

/**
 * Starts the agent's booked appointment due between `startsFrom` and `startsBy` (the earliest),
 * in the transaction of `em`, skipping one another claim holds. Undefined when none is due.
 */
export async function claimDueAppointment(
  em: EntityManager,
  agentId: string,
  startsBy: Date,
  startsFrom: Date,
): Promise<{ caseId: string; accountId: string } | undefined> {
  const rows = await sql<{ verification_case_id: string; account_id: string }>(em,
    `update appointment a set status = 'started'
       from (select id from appointment
              where agent_id = ? and status = 'booked' and starts_at <= ? and starts_at >= ?
              order by starts_at limit 1 for update skip locked) due
      where a.id = due.id
      returning a.verification_case_id, a.account_id`,
    [agentId, startsBy, startsFrom],
  );
  return rows[0] ? { caseId: rows[0].verification_case_id, accountId: rows[0].account_id } : undefined;
}
