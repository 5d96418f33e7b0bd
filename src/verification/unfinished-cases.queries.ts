import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';

export interface IdleCase {
  caseId: string;
  accountId: string;
  email: string;
  language: string | null;
  /** The latest of: a change to the case, anything a person did on it (the applicant or staff, from the audit log), the applicant's own sign-ins and actions, and their last request in a session. */
  lastActivity: Date;
  warnedAt: Date | null;
}

type IdleCaseRow = { case_id: string; account_id: string; email: string; language: string | null; last_activity: Date | string; deletion_warned_at: Date | string | null };

/**
 * Cases neither verified nor failed that need the job now, longest idle first: idle since before
 * `warnFrom` and not warned since their last activity (a warning is due), or warned at least
 * by `warnedBefore` and idle since before `idleBefore` (a deletion is due). Cases warned and
 * waiting out their notice are left out, so they never fill a batch. With `caseId`, that one
 * case only (checked again, locked, just before it is deleted). Events with no actor are the
 * system's own (a job giving up a queue place): they are no activity.
 */
export async function idleCases(
  em: EntityManager,
  at: { warnFrom: Date; warnedBefore: Date; idleBefore: Date },
  options: { limit: number; caseId?: string },
): Promise<IdleCase[]> {
  const rows = await sql<IdleCaseRow>(
    em,
    `select * from (
       select c.id as case_id, c.account_id, a.email, a.language, c.deletion_warned_at,
              greatest(
                c.updated_at,
                (select max(e.at) from audit_event e where e.case_id = c.id and e.actor_id is not null),
                (select max(e.at) from audit_event e where e.actor_id = c.account_id),
                (select max(s.last_seen_at) from "session" s where s.account_id = c.account_id)
              ) as last_activity
       from verification_case c join account a on a.id = c.account_id
       where c.status not in ('verified', 'failed') and c.updated_at < ?${options.caseId ? ' and c.id = ?' : ''}
     ) idle
     where last_activity < ?
       and (deletion_warned_at is null or deletion_warned_at <= last_activity or (deletion_warned_at <= ? and last_activity < ?))
     order by last_activity
     limit ?`,
    [at.warnFrom, ...(options.caseId ? [options.caseId] : []), at.warnFrom, at.warnedBefore, at.idleBefore, options.limit],
  );
  return rows.map((r) => ({
    caseId: r.case_id,
    accountId: r.account_id,
    email: r.email,
    language: r.language,
    lastActivity: new Date(r.last_activity),
    warnedAt: r.deletion_warned_at ? new Date(r.deletion_warned_at) : null,
  }));
}

/** Records that the applicant was warned (a plain update: it is no activity, so updated_at stays). */
export async function markWarned(em: EntityManager, caseId: string, at: Date): Promise<void> {
  await sqlRun(em, 'update verification_case set deletion_warned_at = ? where id = ?', [at, caseId]);
}
