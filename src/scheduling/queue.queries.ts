import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

/**
 * The claim ("Next applicant"): the longest-waiting applicant whose page is still open,
 * skipping rows other agents hold. Parameters: the agent's id, the stale-page cut-off.
 * Exported for bench/queue.bench.js, which runs exactly this statement.
 */
export const CLAIM_SQL = `update queue_entry q set status = 'claimed', claimed_by = ?, claimed_at = now()
  from (select id from queue_entry
         where status = 'waiting' and last_seen_at > ?
         order by joined_at, id
         limit 1
         for update skip locked) next
 where q.id = next.id
 returning q.id, q.verification_case_id, q.account_id`;

/** Claims the next applicant for `agentId` (CLAIM_SQL), in the transaction of `em`; undefined when nobody waits. */
export async function claimNextApplicant(
  em: EntityManager,
  agentId: string,
  staleBefore: Date,
): Promise<{ entryId: string; caseId: string; accountId: string } | undefined> {
  const [row] = await sql<{ id: string; verification_case_id: string; account_id: string }>(em, CLAIM_SQL, [agentId, staleBefore]);
  return row ? { entryId: row.id, caseId: row.verification_case_id, accountId: row.account_id } : undefined;
}

/** Handle times (claimed → finished, in seconds) of the last `limit` calls finished within `hours`, newest first. */
export async function recentHandleTimes(em: EntityManager, hours: number, limit: number): Promise<number[]> {
  const rows = await sql<{ seconds: number }>(em,
    `select extract(epoch from finished_at - claimed_at)::float8 as seconds from queue_entry
      where status = 'done' and finished_at > now() - make_interval(hours => ?) order by finished_at desc limit ?`,
    [hours, limit],
  );
  return rows.map((r) => Number(r.seconds));
}
