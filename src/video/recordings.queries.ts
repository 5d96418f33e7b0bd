import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

/**
 * Calls the applicant agreed to record that ended between `since` and `endedBefore` and have
 * no recording (received or deleted) and no JaaS download under way: the supervisor's flag.
 */
export async function missingRecordings(em: EntityManager, endedBefore: Date, since: Date): Promise<{ callId: string; endedAt: Date; recordingStarted: boolean }[]> {
  const rows = await sql<{ id: string; ended_at: Date | string; recording_started_at: Date | string | null }>(
    em,
    `select c.id, c.ended_at, c.recording_started_at from video_call c
      where c.recording_consent_at is not null and c.ended_at < ? and c.ended_at >= ?
        and not exists (select 1 from recording r where r.call_id = c.id)
        and not exists (select 1 from recording_download d where d.call_id = c.id and d.finished_at is null)
      order by c.ended_at desc limit 50`,
    [endedBefore, since],
  );
  return rows.map((r) => ({ callId: r.id, endedAt: new Date(r.ended_at), recordingStarted: !!r.recording_started_at }));
}

/** A referee's calls with recording consent that ended in the last `days` days and whose case's outcome is not final (verified or failed). */
export async function watchableCallsOf(em: EntityManager, agentId: string, since: Date): Promise<{ callId: string; endedAt: Date }[]> {
  const rows = await sql<{ id: string; ended_at: Date | string }>(
    em,
    `select c.id, c.ended_at from video_call c join verification_case v on v.id = c.verification_case_id
      where c.agent_id = ? and c.recording_consent_at is not null and c.ended_at >= ? and v.status not in ('verified', 'failed')
      order by c.ended_at desc limit 20`,
    [agentId, since],
  );
  return rows.map((r) => ({ callId: r.id, endedAt: new Date(r.ended_at) }));
}

/** Recordings received since `since` and not deleted, newest first, with their call: the supervisor's way to a call's record. */
export async function recentRecordings(em: EntityManager, since: Date): Promise<{ callId: string; receivedAt: Date; durationSeconds?: number }[]> {
  const rows = await sql<{ call_id: string; received_at: Date | string; duration_seconds: number | null }>(
    em,
    `select r.call_id, r.received_at, r.duration_seconds from recording r
      where r.deleted_at is null and r.received_at >= ? order by r.received_at desc limit 50`,
    [since],
  );
  return rows.map((r) => ({ callId: r.call_id, receivedAt: new Date(r.received_at), durationSeconds: r.duration_seconds ?? undefined }));
}
