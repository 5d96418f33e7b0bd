import type { EntityManager } from '@mikro-orm/postgresql';
import type { CaseSteps } from '../verification/case-steps';
import { STATUS_TRANSITIONS } from '../verification/flow';
import type { CaseStatus, VerificationCase } from '../verification/verification-case.entity';

/**
 * Moves a case (locked by the caller) along the flow's status transitions, recording what
 * happened and the status change. Throws on a move the table does not allow.
 */
export async function moveCase(steps: CaseSteps, em: EntityManager, c: VerificationCase, to: CaseStatus, type: string, detail?: Record<string, unknown>): Promise<void> {
  const from = c.status;
  if (!STATUS_TRANSITIONS.some(([a, b]) => a === from && b === to)) throw new Error(`case status cannot move from ${from} to ${to}`);
  c.status = to;
  await steps.record(em, c, type, undefined, detail);
  await steps.record(em, c, 'verification.status_changed', undefined, { from, to });
}
