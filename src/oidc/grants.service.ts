import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { deleteGrants, grantsByOrganization, latestGrantId } from './grants.queries';
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
    return latestGrantId(this.em, accountId, clientId, new Date());
  }

  async connectedOrganizations(accountId: string): Promise<ConnectedOrganization[]> {
    const rows = await grantsByOrganization(this.em, accountId, new Date());
    if (!rows.length) return [];
    const organizations = await this.em.find(Organization, { clientId: rows.map((row) => row.clientId) });
    return rows
      .map((row) => ({ row, org: organizations.find((o) => o.clientId === row.clientId) }))
      .filter((x): x is { row: (typeof rows)[number]; org: Organization } => !!x.org)
      .map(({ row, org }) => ({
        clientId: org.clientId,
        name: org.name,
        since: row.since,
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
    return (await deleteGrants(this.em, accountId, clientId)) > 0;
  }
}
