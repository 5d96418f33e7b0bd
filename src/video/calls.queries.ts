import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';

/**
 * Holds the agent's status row (created Available if they have none) until the transaction
 * of `em` ends: one claim of work at a time per agent (a double click waits for the first).
 */
export async function holdAgentStatus(em: EntityManager, agentId: string): Promise<void> {
  await sqlRun(em, `insert into agent_status (account_id, status, updated_at) values (?, 'available', now()) on conflict (account_id) do nothing`, [agentId]);
  await sql(em, 'select 1 from agent_status where account_id = ? for update', [agentId]);
}

/** Calls in progress (or only `onlyCall`), oldest first, at most 200. */
export async function callsInProgress(em: EntityManager, onlyCall?: string): Promise<{ callId: string; caseId: string; agentId: string; startedAt: Date }[]> {
  const rows = await sql<{ id: string; verification_case_id: string; agent_id: string; started_at: Date | string }>(em,
    `select id, verification_case_id, agent_id, started_at from video_call where status = 'active' ${onlyCall ? 'and id = ?' : ''} order by started_at limit 200`,
    onlyCall ? [onlyCall] : [],
  );
  return rows.map((r) => ({ callId: r.id, caseId: r.verification_case_id, agentId: r.agent_id, startedAt: new Date(r.started_at) }));
}
