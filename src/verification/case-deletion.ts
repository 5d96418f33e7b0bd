import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { AuditService } from '../audit/audit.service';
import { DocumentFile } from '../documents/document-file.entity';
import type { DocumentStore } from '../documents/store';
import { VerificationCase } from './verification-case.entity';

/** Why a case was deleted, as its audit event says. */
export type CaseDeletionReason = 'unfinished' | 'account_deleted';

/**
 * Deletes one verification case with everything hanging off it, and then its stored files.
 * The rows go in one transaction: the case, and through the foreign keys' cascades its
 * document rows and decisions, links, resume codes, queue place, appointments (and their
 * booked slots), calls and call preferences; the audit event (ids only) commits with them.
 * The encrypted files are deleted only after that commit (a failed commit leaves both); a
 * crash in between leaves files no row names, which the orphan-file sweep removes. The
 * account stays. `stillDue`, checked with the case locked, may call the deletion off (the
 * person came back meanwhile). Returns whether the case was deleted.
 */
export async function deleteCase(
  em: EntityManager,
  deps: { store: DocumentStore; audit: AuditService; logger?: Logger },
  caseId: string,
  reason: CaseDeletionReason,
  stillDue?: (tx: EntityManager) => Promise<boolean>,
): Promise<boolean> {
  const keys = await em.fork().transactional(async (tx) => {
    const c = await tx.findOne(VerificationCase, { id: caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE, fields: ['id', 'account'] });
    if (!c || (stillDue && !(await stillDue(tx)))) return undefined;
    return deleteCaseRows(tx, deps.audit, c.id, c.account.id, reason);
  });
  if (!keys) return false;
  for (const key of keys) {
    try {
      await deps.store.delete(key);
    } catch (error) {
      // The row is gone: the orphan-file sweep deletes what is left here.
      deps.logger?.warn({ err: error, caseId }, 'a deleted case’s file could not be deleted yet');
    }
  }
  return true;
}

/**
 * The rows half of deleteCase, in the caller's transaction (account deletion deletes cases
 * inside its own): deletes the case (its dependants cascade) and records it in the audit log.
 * Returns the storage keys of its files, for the caller to delete once it has committed.
 */
export async function deleteCaseRows(tx: EntityManager, audit: AuditService, caseId: string, accountId: string, reason: CaseDeletionReason): Promise<string[]> {
  const files = await tx.find(DocumentFile, { verificationCase: caseId }, { fields: ['storageKey'] });
  const keys = files.map((f) => f.storageKey);
  await tx.nativeDelete(VerificationCase, { id: caseId });
  await audit.recordIn(tx, { action: 'verification.case_deleted', caseId, subject: accountId, details: { reason, files: keys.length } });
  return keys;
}
