import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRun } from '../database/sql';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Pool } from 'pg';
import type { ClientCache } from './client-cache';
import type { OrganizationsService } from './organizations.service';

/** The provider's ids of codes and tokens are the bearer values: only their SHA-256 is stored. */
export const storedId = (id: string) => createHash('sha256').update(id).digest('base64url');

type Row = { payload: AdapterPayload; consumed: string | null };

/**
 * oidc-provider's storage interface on PostgreSQL: one table (oidc_payload, see its entity)
 * for every model, so any instance can continue what another began. Organizations (the
 * Client model) come from the organization table. Plain SQL on the pg pool MikroORM holds
 * (no second set of connections): nothing is hydrated or tracked on this hot path, which a
 * flow (authorize, token, userinfo) crosses about fifteen times.
 */
export function postgresAdapter(em: EntityManager, organizations: OrganizationsService, clients: ClientCache) {
  let pool: Promise<Pool> | undefined;
  // Named: each connection prepares a statement once, PostgreSQL then skips parsing and planning it.
  const query = async <T>(name: string, text: string, params: unknown[]) =>
    (await (pool ??= em.getConnection().getNativeClient())).query<T & object>({ name: `oidc-${name}`, text, values: params });
  const sql = async <T = Record<string, unknown>>(name: string, text: string, params: unknown[]) => (await query<T>(name, text, params)).rows as T[];
  const run = async (name: string, text: string, params: unknown[]) => ({ affectedRows: (await query(name, text, params)).rowCount ?? 0 });

  return class PostgresAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const { jti: _jti, ...stored } = payload;
      const grantId = this.model === 'Grant' ? id : (payload.grantId ?? null);
      await run(
        'upsert',
        `insert into oidc_payload (model, id, payload, grant_id, account_id, uid, user_code, expires_at)
         values ($1, $2, $3::jsonb, $4, $5, $6, $7, $8)
         on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
           account_id = excluded.account_id, uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
        [
          this.model,
          storedId(id),
          JSON.stringify(stored),
          grantId,
          payload.accountId ?? null,
          payload.uid ?? null,
          payload.userCode ?? null,
          expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        ],
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return clients.get(id, (clientId) => organizations.clientMetadata(clientId));
      return this.one('id', storedId(id), id);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.one('uid', uid);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.one('user_code', userCode);
    }

    /**
     * Marks a code or refresh token used, atomically: of two concurrent redemptions only the
     * first succeeds; the second is a replay, so the whole grant (and every token from it) goes.
     */
    async consume(id: string): Promise<void> {
      const { affectedRows } = await run(
        'consume',
        'update oidc_payload set consumed_at = $1 where model = $2 and id = $3 and consumed_at is null',
        [new Date(), this.model, storedId(id)],
      );
      if (affectedRows === 1) return;
      const [row] = await sql<{ grant_id: string | null }>('grant-of', 'select grant_id from oidc_payload where model = $1 and id = $2', [this.model, storedId(id)]);
      if (row?.grant_id) await run('delete-grant', 'delete from oidc_payload where grant_id = $1', [row.grant_id]);
      throw new errors.InvalidGrant('grant request is invalid (already used)');
    }

    async destroy(id: string): Promise<void> {
      await run('destroy', 'delete from oidc_payload where model = $1 and id = $2', [this.model, storedId(id)]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await run('revoke', 'delete from oidc_payload where model = $1 and grant_id = $2', [this.model, grantId]);
    }

    private async one(column: 'id' | 'uid' | 'user_code', value: string, jti?: string): Promise<AdapterPayload | undefined> {
      const [row] = await sql<Row>(
        `find-by-${column}`,
        `select payload, extract(epoch from consumed_at)::bigint as consumed from oidc_payload
         where model = $1 and ${column} = $2 and (expires_at is null or expires_at > $3)`,
        [this.model, value, new Date()],
      );
      if (!row) return undefined;
      const payload: AdapterPayload = { ...row.payload };
      if (jti) payload.jti = jti;
      if (row.consumed !== null) payload.consumed = Number(row.consumed);
      return payload;
    }
  };
}

/** Deletes rows past their expiry, a batch at a time; returns how many went. */
export async function deleteExpiredPayloads(em: EntityManager, batch = 5000): Promise<number> {
  return sqlRun(em, `delete from oidc_payload where ctid in (select ctid from oidc_payload where expires_at < ? limit ?)`, [new Date(), batch]);
}
