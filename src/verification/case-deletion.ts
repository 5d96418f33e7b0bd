import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { AuditService } from '../audit/audit.service';
import { DocumentFile } from '../documents/document-file.entity';
import type { DocumentStore } from '../documents/store';
import { VerificationCase } from './verification-case.entity';

/**
 * Deletes one verification case with everything hanging off it, and then its stored files.
 * The rows go in one transaction: the case, and through the foreign keys' cascades its
 * document rows and decisions, links, resume codes, queue place, appointments (and their
 * booked slots), calls and call preferences; the audit event (ids only) commits with them.
 * The encrypted files are deleted only after that commit (a failed commit leaves both); a
 * crash in between leaves files no row names, which the orphan-file sweep removes. The
 * account stays. `stillDue`, checked with the case locked, may call the deletion off (the
 * person came back meanwhile). Returns whether the case was deleted. (Account deletion removes
 * its cases with the account, in its own transaction: privacy/account-deletion.service.ts.)
 */
export async function deleteCase(
  em: EntityManager,
  deps: { store: DocumentStore; audit: AuditService; logger?: Logger },
  caseId: string,
  stillDue?: (tx: EntityManager) => Promise<boolean>,
): Promise<boolean> {
  const keys = await em.fork().transactional(async (tx) => {
    const c = await tx.findOne(VerificationCase, { id: caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE, fields: ['id', 'account'] });
    if (!c || (stillDue && !(await stillDue(tx)))) return undefined;
    const files = await tx.find(DocumentFile, { verificationCase: c.id }, { fields: ['storageKey'] });
    await tx.nativeDelete(VerificationCase, { id: c.id });
    await deps.audit.recordIn(tx, { action: 'verification.case_deleted', caseId: c.id, subject: c.account.id, details: { reason: 'unfinished', files: files.length } });
    return files.map((f) => f.storageKey);
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
