import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';
import { Organization } from './organization.entity';

export interface ConnectedOrganization {
  clientId: string;
  name: string;
  since: Date;
  scopes: string[];
}

/**
 * Consents (the provider's Grant rows) seen from the person's side: which organizations they
 * share with, and stopping that.
 */
@Injectable()
export class GrantsService {
  constructor(private readonly em: EntityManager) {}

  /** The newest live grant of this account to this organization (consent is remembered across sign-ins). */
  async latestGrantId(accountId: string, clientId: string): Promise<string | undefined> {
    const [row] = await sql<{ grant_id: string }>(this.em,
      `select grant_id from oidc_payload
       where model = 'Grant' and account_id = ? and payload->>'clientId' = ? and (expires_at is null or expires_at > ?)
       order by (payload->>'iat')::bigint desc limit 1`,
      [accountId, clientId, new Date()],
    );
    return row?.grant_id;
  }

  async connectedOrganizations(accountId: string): Promise<ConnectedOrganization[]> {
    const rows = await sql<{ client_id: string; since: number; scope: string }>(this.em,
      `select payload->>'clientId' as client_id, min((payload->>'iat')::bigint) as since,
              string_agg(coalesce(payload->'openid'->>'scope', ''), ' ') as scope
       from oidc_payload
       where model = 'Grant' and account_id = ? and (expires_at is null or expires_at > ?)
       group by payload->>'clientId'`,
      [accountId, new Date()],
    );
    if (!rows.length) return [];
    const organizations = await this.em.find(Organization, { clientId: rows.map((row) => row.client_id) });
    return rows
      .map((row) => ({ row, org: organizations.find((o) => o.clientId === row.client_id) }))
      .filter((x): x is { row: (typeof rows)[number]; org: Organization } => !!x.org)
      .map(({ row, org }) => ({
        clientId: org.clientId,
        name: org.name,
        since: new Date(Number(row.since) * 1000),
        scopes: [...new Set(row.scope.split(' ').filter((s) => s && s !== 'openid'))],
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The name of the organization the "stopped sharing" banner is about, looked up from its
   * client id; none when there is no such organization or this person still shares with it.
   * The banner never shows text taken from the address.
   */
  async stoppedSharingWith(accountId: string, clientId: unknown, connected?: ConnectedOrganization[]): Promise<string | undefined> {
    if (typeof clientId !== 'string' || !clientId || clientId.length > 200) return undefined;
    const organization = await this.em.findOne(Organization, { clientId });
    if (!organization) return undefined;
    const still = (connected ?? (await this.connectedOrganizations(accountId))).some((o) => o.clientId === clientId);
    return still ? undefined : organization.name;
  }

  /** Stops sharing: the grants go, and with them every code and token issued from them. */
  async revoke(accountId: string, clientId: string): Promise<boolean> {
    const deleted = await sqlRun(this.em,
      `delete from oidc_payload where grant_id in (
         select grant_id from oidc_payload where model = 'Grant' and account_id = ? and payload->>'clientId' = ?)`,
      [accountId, clientId],
    );
    return deleted > 0;
  }
}
