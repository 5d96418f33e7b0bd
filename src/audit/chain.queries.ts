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
