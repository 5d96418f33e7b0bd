import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';
import { storedId } from './adapter';

/** An authorization request still open at the provider (not expired), as its stored row says. */
interface OpenRequestRow {
  client_id: string | null;
}

/** The organization (client id) of the authorization request `uid`, while that request is still open. */
export async function clientOfOpenRequest(em: EntityManager, uid: string): Promise<string | undefined> {
  const [row] = await sql<OpenRequestRow>(em,
    `select payload->'params'->>'client_id' as client_id from oidc_payload
     where model = 'Interaction' and id = ? and expires_at > ?`,
    [storedId(uid), new Date()],
  );
  return row?.client_id ?? undefined;
}
