import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

/** The readiness probe's round trip: the database answers. */
export async function pingDatabase(em: EntityManager): Promise<void> {
  await sql(em, 'select 1');
}
