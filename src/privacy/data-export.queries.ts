import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

interface UsedRow {
  id: string;
  storage_key: string;
  wrapped_key: string;
}

/**
 * Marks a ready, unexpired export of this account used, in one statement: of two clicks at
 * once, one gets the file and the other nothing. The file's keys, when this call won.
 */
export async function markUsed(em: EntityManager, id: string, accountId: string, now: Date): Promise<{ storageKey: string; wrappedKey: string } | undefined> {
  const [row] = await sql<UsedRow>(em,
    `update "data_export" set status = 'used', used_at = ?::timestamptz
      where id = ? and account_id = ? and status = 'ready' and expires_at > ?::timestamptz and storage_key is not null
      returning id, storage_key, wrapped_key`,
    [now.toISOString(), id, accountId, now.toISOString()],
  );
  return row ? { storageKey: row.storage_key, wrappedKey: row.wrapped_key } : undefined;
}

/**
 * Takes over one build whose instance stopped writing its heartbeat before `staleBefore`:
 * the heartbeat is moved in the same statement, so one instance takes each.
 */
export async function claimStaleBuild(em: EntityManager, staleBefore: Date, now: Date): Promise<string | undefined> {
  const [row] = await sql<{ id: string }>(em,
    `update "data_export" set heartbeat_at = ?::timestamptz, progress = 0
      where id = (select id from "data_export" where status = 'building' and heartbeat_at < ?::timestamptz order by requested_at limit 1 for update skip locked)
      returning id`,
    [now.toISOString(), staleBefore.toISOString()],
  );
  return row?.id;
}

/** The verification events of a person's case (what they did, the statuses it went through), oldest first. */
export async function caseHistoryOf(em: EntityManager, caseId: string): Promise<{ at: Date; action: string; step: string | null; from?: string; to?: string }[]> {
  const rows = await sql<{ at: Date | string; action: string; subject: string | null; details: Record<string, unknown> | null }>(em,
    `select at, action, subject, details from "audit_event" where case_id = ? and action like 'verification.%' order by id`,
    [caseId],
  );
  return rows.map((r) => ({
    at: new Date(r.at),
    action: r.action,
    step: r.subject,
    ...(typeof r.details?.from === 'string' ? { from: r.details.from } : {}),
    ...(typeof r.details?.to === 'string' ? { to: r.details.to } : {}),
  }));
}
