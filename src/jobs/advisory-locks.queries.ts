import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

/**
 * PostgreSQL advisory locks held by a transaction (ids from `LOCKS` and `JOBS` in jobs.ts):
 * released when the transaction of `em` ends, so pass the transaction's EntityManager.
 */

/** Waits for the lock, then holds it until the transaction ends. */
export async function holdAdvisoryLock(em: EntityManager, lockId: number): Promise<void> {
  await sql(em, 'select pg_advisory_xact_lock(?)', [lockId]);
}

/** Takes the lock if no other transaction holds it (true), without waiting (false). */
export async function tryAdvisoryLock(em: EntityManager, lockId: number): Promise<boolean> {
  const [{ got }] = await sql<{ got: boolean }>(em, 'select pg_try_advisory_xact_lock(?) as got', [lockId]);
  return got;
}
