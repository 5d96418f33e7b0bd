import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';

/**
 * The one way to run a plain SQL statement (see docs/architecture.md, "Data"), called only from
 * a module's query layer (`src/<module>/<topic>.queries.ts`). It runs on the
 * given EntityManager: inside `em.transactional(tx => …)`, in that transaction (pass `tx`, or
 * the injected EntityManager, which resolves to it); outside one, as a statement of its own.
 * To run a statement on its own even while a transaction is open (an audit event that must
 * stand if the caller's work fails), pass `em.fork()`: a fork leaves the transaction behind.
 * Parameters are `?` placeholders. `Row` is the shape of one row, as PostgreSQL names its
 * columns (snake_case); declare it next to the query and map it to the caller's names once.
 * Timestamps come back as strings (MikroORM's type parsers): type them `Date | string` and
 * read them with `new Date()`.
 */
export async function sql<Row extends object>(em: EntityManager, text: string, params: readonly unknown[] = []): Promise<Row[]> {
  return em.execute<Row[]>(text, params as unknown[], 'all');
}

/** Runs a statement for its effect (same transaction rules as `sql`); returns how many rows it changed. */
export async function sqlRun(em: EntityManager, text: string, params: readonly unknown[] = []): Promise<number> {
  const { affectedRows } = await em.execute<{ affectedRows: number }>(text, params as unknown[], 'run');
  return affectedRows;
}

/**
 * The pg pool MikroORM holds, for the library that runs its own statements on it (the rate
 * limiter): no second set of connections. Everything else runs SQL through `sql`/`sqlRun`.
 */
export async function connectionPool(em: EntityManager): Promise<Pool> {
  return em.getConnection().getNativeClient();
}
