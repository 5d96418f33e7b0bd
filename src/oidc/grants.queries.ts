import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';

/** Consents: the provider's Grant rows in oidc_payload (the adapter writes them), read from the person's side. */

/** The newest grant of this account to this organization that has not expired at `now`. */
export async function latestGrantId(em: EntityManager, accountId: string, clientId: string, now: Date): Promise<string | undefined> {
  const [row] = await sql<{ grant_id: string }>(em,
    `select grant_id from oidc_payload
     where model = 'Grant' and account_id = ? and payload->>'clientId' = ? and (expires_at is null or expires_at > ?)
     order by (payload->>'iat')::bigint desc limit 1`,
    [accountId, clientId, now],
  );
  return row?.grant_id;
}

/** The account's live grants by organization: since when (the first grant's time) and every scope granted, space-separated. */
export async function grantsByOrganization(em: EntityManager, accountId: string, now: Date): Promise<{ clientId: string; since: Date; scope: string }[]> {
  const rows = await sql<{ client_id: string; since: number | string; scope: string }>(em,
    `select payload->>'clientId' as client_id, min((payload->>'iat')::bigint) as since,
            string_agg(coalesce(payload->'openid'->>'scope', ''), ' ') as scope
     from oidc_payload
     where model = 'Grant' and account_id = ? and (expires_at is null or expires_at > ?)
     group by payload->>'clientId'`,
    [accountId, now],
  );
  return rows.map((row) => ({ clientId: row.client_id, since: new Date(Number(row.since) * 1000), scope: row.scope }));
}

/** Deletes the account's grants to this organization, and every code and token issued from them; how many rows went. */
export async function deleteGrants(em: EntityManager, accountId: string, clientId: string): Promise<number> {
  return sqlRun(em,
    `delete from oidc_payload where grant_id in (
       select grant_id from oidc_payload where model = 'Grant' and account_id = ? and payload->>'clientId' = ?)`,
    [accountId, clientId],
  );
}
