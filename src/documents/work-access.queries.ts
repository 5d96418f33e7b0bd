import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

/** What StaffAccess reads of a piece of work: its case, and whether a call is held now. */

/** The case of the call when `agentId` has it in progress, not released. */
export async function caseOfHeldCall(em: EntityManager, callId: string, agentId: string): Promise<string | undefined> {
  const rows = await sql<{ verification_case_id: string }>(em, `select verification_case_id from video_call where id = ? and agent_id = ? and status = 'active' and released_at is null`, [callId, agentId]);
  return rows[0]?.verification_case_id;
}

/** The case of a document review (its id is the case's), when there is one. */
export async function caseOfReview(em: EntityManager, caseId: string): Promise<string | undefined> {
  const rows = await sql<{ id: string }>(em, 'select case_id as id from document_review where case_id = ?', [caseId]);
  return rows[0]?.id;
}

/** The case of a video call. */
export async function caseOfCall(em: EntityManager, callId: string): Promise<string | undefined> {
  const rows = await sql<{ id: string }>(em, 'select verification_case_id as id from video_call where id = ?', [callId]);
  return rows[0]?.id;
}
