import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

/**
 * audit_append (see its migration) locks the chain, reads the last hash and inserts the row
 * chained to it, in one round trip. Exported for the migration that appended older events.
 */
export const APPEND_SQL = 'select audit_append(?, ?, ?::timestamptz, ?, ?, ?, ?, ?, ?::jsonb, ?)';

/** audit_append's arguments, in its order (AuditService's appendParams builds them). */
export type AppendArgs = [
  lock: number,
  genesisHash: string,
  at: string,
  actorId: string | null,
  action: string,
  caseId: string | null,
  subject: string | null,
  ip: string | null,
  detailsJson: string | null,
  hashedRest: string,
];

/** Appends one event to the chain on `em`: in its transaction, or on its own with `em.fork()`. */
export async function appendToChain(em: EntityManager, args: AppendArgs): Promise<void> {
  await sql(em, APPEND_SQL, args);
}

/**
 * audit_cut (see its migration): deletes up to `limit` of the chain's oldest events, stopping at
 * the first one recorded at or after `before`, in the caller's transaction (with the chain's
 * lock held to its end). Returns the last deleted event's id and hash and how many went, or
 * undefined when none did.
 */
export async function cutChain(em: EntityManager, lock: number, before: Date, limit: number): Promise<{ lastId: string; lastHash: string; removed: number } | undefined> {
  const rows = await sql<{ last_id: string; last_hash: string; removed: number }>(em, 'select * from audit_cut(?, ?::timestamptz, ?)', [lock, before.toISOString(), limit]);
  return rows[0] ? { lastId: String(rows[0].last_id), lastHash: rows[0].last_hash, removed: Number(rows[0].removed) } : undefined;
}
