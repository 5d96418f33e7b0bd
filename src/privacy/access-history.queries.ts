import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

/**
 * Staff actions on a person's case that show their personal data, images or call recording (or
 * take the case to work on it). Each is audited with the case's id (recording.viewed too).
 */
export const STAFF_CASE_ACTIONS = ['documents.details_viewed', 'documents.image_viewed', 'documents.case_claimed', 'video.details_viewed', 'recording.viewed'] as const;
/** The person's own events the history shows: their sign-ins, and what organizations received. */
export const OWN_ACTIONS = ['sign_in.completed', 'organization.claims_released'] as const;

const list = (actions: readonly string[]) => actions.map((a) => `'${a}'`).join(', ');

interface AccessRow {
  id: string;
  at: Date | string;
  action: string;
  ip: string | null;
  subject: string | null;
  details: Record<string, unknown> | null;
  organization: string | null;
  total: string | number;
}

export interface AccessEvent {
  id: string;
  at: Date;
  action: string;
  ip: string | null;
  subject: string | null;
  details: Record<string, unknown>;
  /** For a sharing: the organization's name now (its client id is `subject`). */
  organization: string | null;
}

/**
 * One page of a person's access history, newest first, and how many events there are in all:
 * staff views of their case (by the case's index), staff views of their support requests (by
 * the subject index), and their own sign-ins and sharings (by the actor index). Each part is
 * an index scan; never the staff member's id (actor_id is not read for staff events).
 */
export async function accessHistoryPage(em: EntityManager, accountId: string, limit: number, offset: number): Promise<{ events: AccessEvent[]; total: number }> {
  const rows = await sql<AccessRow>(em,
    `with mine as (
       select e.id, e.at, e.action, e.ip, e.subject, e.details from "audit_event" e
        where e.case_id = (select c.id from "verification_case" c where c.account_id = ?)
          and e.action in (${list(STAFF_CASE_ACTIONS)})
       union all
       select e.id, e.at, e.action, e.ip, e.subject, e.details from "audit_event" e
        where e.subject in (select r.id::text from "support_request" r where r.account_id = ?)
          and e.action = 'support.request_viewed'
       union all
       select e.id, e.at, e.action, e.ip, e.subject, e.details from "audit_event" e
        where e.actor_id = ? and e.action in (${list(OWN_ACTIONS)})
     )
     select m.id, m.at, m.action, m.subject, m.details, o.name as organization,
            case when m.action = 'sign_in.completed' then m.ip end as ip,
            count(*) over () as total
       from mine m
       left join "organization" o on m.action = 'organization.claims_released' and o.client_id = m.subject
      order by m.id desc
      limit ? offset ?`,
    [accountId, accountId, accountId, limit, offset],
  );
  return {
    total: rows.length ? Number(rows[0].total) : 0,
    events: rows.map((r) => ({
      id: String(r.id),
      at: new Date(r.at),
      action: r.action,
      ip: r.ip,
      subject: r.subject,
      details: r.details ?? {},
      organization: r.organization,
    })),
  };
}

/** The time zone the person gave when booking their last video call, if they did. */
export async function lastTimeZoneOf(em: EntityManager, accountId: string): Promise<string | undefined> {
  const [row] = await sql<{ time_zone: string }>(em, `select time_zone from "appointment" where account_id = ? order by starts_at desc limit 1`, [accountId]);
  return row?.time_zone;
}
