import { Inject, Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { PiiCipher } from '../crypto/pii-cipher';
import { phrase, type Text } from '../i18n/messages';
import { CaseSteps } from '../verification/case-steps';
import { VerificationCase } from '../verification/verification-case.entity';
import { RateLimits } from '../web/rate-limits';
import { LOGGER } from '../web/tokens';
import { DocumentFile } from './document-file.entity';
import { FILES_PER_CASE, checkFile, type Checked } from './images';
import type { Item } from './sides';
import { DOCUMENT_STORE, openFile, sealFile, type DocumentStore } from './store';
import type { Upload, UploadedFile } from './multipart';
import { SubmissionService, type ItemState } from './submission.service';

const keyContext = (fileId: string) => `document_file:${fileId}`;

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;

/** What a stored file's row says of the checked image it holds. */
function imageFields(checked: Extract<Checked, { ok: true }>) {
  return {
    sha256: createHash('sha256').update(checked.data).digest('hex'),
    mime: checked.mime,
    bytes: checked.data.length,
    width: checked.width,
    height: checked.height,
    hints: checked.hints,
  };
}

/**
 * The documents' files: an upload checked (the image pipeline) and stored encrypted under a
 * key of its own, read back checked against its hash, replaced in place, and who may read which.
 */
@Injectable()
export class DocumentFilesService {
  constructor(
    @Inject(DOCUMENT_STORE) private readonly store: DocumentStore,
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly submission: SubmissionService,
    private readonly cipher: PiiCipher,
    private readonly audit: AuditService,
    private readonly rateLimits: RateLimits,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Checks and stores one file for one side of one document. Nothing is stored unless every
   * check passes; a file for a side that already has one replaces it.
   */
  async upload(accountId: string, itemKey: string, side: string, bytes: Buffer, via: 'upload' | 'phone'): Promise<Checked> {
    return this.uploadToCase(await this.steps.open(accountId), itemKey, side, bytes, via);
  }

  async uploadToCase(c: VerificationCase, itemKey: string, side: string, bytes: Buffer, via: 'upload' | 'phone'): Promise<Checked> {
    const item = (await this.submission.state(c)).find((i) => i.key === itemKey);
    if (!item || !item.sides.some((s) => s.key === side)) return { ok: false, status: 404, message: 'documents.errors.notYours' };
    if (!item.editable) return { ok: false, status: 409, message: 'documents.errors.cannotChange' };
    const count = await this.em.fork().count(DocumentFile, { verificationCase: c.id });
    if (count >= FILES_PER_CASE) return { ok: false, status: 429, message: phrase('documents.errors.tooManyFiles', { count: FILES_PER_CASE }) };
    await this.rateLimits.consume('documents-upload:case', c.id);
    const checked = await checkFile(bytes, item.allowPdf);
    if (!checked.ok) {
      if (checked.fault) this.logger.warn({ fault: checked.fault }, 'the PDF renderer failed; the upload was refused');
      else if (checked.limit) this.logger.info({ limit: checked.limit }, 'a PDF was refused at its rendering limit');
      return checked;
    }
    await this.put(c.id, item, side, checked, via);
    return checked;
  }

  /**
   * A document's form as posted (from the upload page or the phone): one file for each side the
   * person picked (Take Photo and Choose Image), or the one side of a one-side upload, each
   * checked and stored as `uploadToCase` does. `unknown` when the form names no document (or
   * side) of the case; otherwise what was refused, by the page's field names (`file-<n>-<side>`,
   * catalog keys), and the status of the first refusal.
   */
  async receiveDocument(c: VerificationCase, itemKey: string, upload: Upload, via: 'upload' | 'phone', onlySide?: string): Promise<'unknown' | { refused: Record<string, Text>; status: number }> {
    const items = await this.submission.state(c);
    const index = items.findIndex((i) => i.key === itemKey);
    if (index < 0 || (onlySide && !items[index].sides.some((s) => s.key === onlySide))) return 'unknown';
    const fieldOf = (side: string) => `file-${index}-${side}`;
    const firstField = fieldOf(onlySide ?? items[index].sides[0].key);
    if (!upload.ok) return { refused: { [firstField]: upload.message }, status: upload.status };
    const sides = sidesSent(items[index], upload.files, onlySide);
    if (!sides.length) return { refused: { [firstField]: 'documents.errors.noFile' }, status: 400 };
    const refused: Record<string, Text> = {};
    let status = 303;
    for (const { side, data } of sides) {
      const stored = await this.uploadToCase(c, itemKey, side, data, via);
      if (stored.ok) continue;
      refused[fieldOf(side)] = stored.message;
      if (status === 303) status = stored.status;
    }
    return { refused, status };
  }

  private async put(caseId: string, item: Item, side: string, checked: Extract<Checked, { ok: true }>, via: 'upload' | 'phone'): Promise<void> {
    const id = randomUUID();
    const storageKey = randomUUID();
    const fileKey = randomBytes(32);
    try {
      await this.store.put(storageKey, sealFile(fileKey, id, checked.data));
      const wrappedKey = this.cipher.encrypt(fileKey.toString('base64'), keyContext(id));
      const replaced: string[] = [];
      // A photo (not a rendered PDF) that failed a quality check waits for "Use this photo anyway".
      const held = checked.hints.length > 0 && !checked.fromPdf;
      try {
        await this.em.fork().transactional(async (em) => {
          await em.findOneOrFail(VerificationCase, { id: caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
          const old = await em.find(DocumentFile, { verificationCase: caseId, item: item.key, side });
          replaced.push(...old.map((f) => f.storageKey));
          old.forEach((f) => em.remove(f));
          em.create(DocumentFile, {
            id,
            verificationCase: caseId,
            item: item.key,
            documentType: item.doc.key,
            side,
            storageKey,
            wrappedKey,
            ...imageFields(checked),
            held,
            via,
          });
        });
      } catch (error) {
        await this.store.delete(storageKey).catch(() => undefined);
        throw error;
      }
      await Promise.all(replaced.map((key) => this.store.delete(key).catch(() => undefined)));
    } finally {
      fileKey.fill(0);
    }
  }

  /**
   * "Use this photo anyway" (keep: true) makes a held photo count as sent; "Take another photo"
   * (keep: false) deletes it. Only a held photo of a document the case may still change;
   * false when there is none (already decided, replaced or deleted).
   */
  async decideHeld(c: VerificationCase, fileId: string, keep: boolean): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/.test(fileId)) return false;
    const editable = new Set((await this.submission.state(c)).filter((i) => i.editable).map((i) => i.key));
    const storageKey = await this.em.fork().transactional(async (em) => {
      const row = await em.findOne(DocumentFile, { id: fileId, verificationCase: c.id, held: true }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row || !editable.has(row.item)) return undefined;
      if (keep) row.held = false;
      else em.remove(row);
      return row.storageKey;
    });
    if (storageKey && !keep) await this.store.delete(storageKey).catch(() => undefined);
    return !!storageKey;
  }

  /** The decrypted bytes of a file, checked against its recorded SHA-256. */
  async contents(file: DocumentFile): Promise<Buffer> {
    const key = Buffer.from(this.cipher.decrypt(file.wrappedKey, keyContext(file.id)), 'base64');
    try {
      const data = openFile(key, file.id, await this.store.get(file.storageKey));
      if (createHash('sha256').update(data).digest('hex') !== file.sha256) throw new Error('document file does not match its hash');
      return data;
    } finally {
      key.fill(0);
    }
  }

  /** One of the applicant's own files (undefined for anyone else's: the caller answers 404). */
  async ownFile(accountId: string, fileId: string): Promise<DocumentFile | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(fileId)) return undefined;
    const c = await this.steps.find(accountId);
    if (!c) return undefined;
    return (await this.em.fork().findOne(DocumentFile, { id: fileId, verificationCase: c.id })) ?? undefined;
  }

  /** A file of a case, for its reviewer. */
  async fileOfCase(caseId: string, fileId: string): Promise<DocumentFile | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(fileId)) return undefined;
    return (await this.em.fork().findOne(DocumentFile, { id: fileId, verificationCase: caseId })) ?? undefined;
  }

  /** A view of an applicant's details or of one of their images, written to the audit log. */
  async auditView(actor: Actor, caseId: string, action: 'documents.details_viewed' | 'documents.image_viewed', subject?: string, details?: Record<string, unknown>): Promise<void> {
    await this.audit.record({ ...actor, action, caseId, subject, details });
  }

  /**
   * Puts the checked image in place of a file's contents (same row and id, a new key and
   * storage object), or deletes the row when it did not pass. Only if the row still names
   * the same stored object; false when it does not (nothing changed). The replaced bytes
   * are deleted after the commit (a crash in between leaves them to the orphan sweep).
   */
  async replace(file: DocumentFile, checked: Checked): Promise<boolean> {
    const storageKey = randomUUID();
    const fileKey = randomBytes(32);
    try {
      if (checked.ok) await this.store.put(storageKey, sealFile(fileKey, file.id, checked.data));
      const swapped = await this.em.fork().transactional(async (em) => {
        const row = await em.findOne(DocumentFile, { id: file.id, storageKey: file.storageKey }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!row) return false;
        if (!checked.ok) {
          em.remove(row);
          return true;
        }
        Object.assign(row, {
          storageKey,
          wrappedKey: this.cipher.encrypt(fileKey.toString('base64'), keyContext(file.id)),
          ...imageFields(checked),
        });
        return true;
      });
      if (!swapped) {
        if (checked.ok) await this.store.delete(storageKey).catch(() => undefined);
        return false;
      }
      await this.store.delete(file.storageKey).catch(() => undefined);
      return true;
    } finally {
      fileKey.fill(0);
    }
  }
}

/**
 * The files of a document's form, by side: fields named by the side (Take Photo and Choose
 * Image share it; the last one picked wins), or the one field `file` of a one-side upload.
 */
function sidesSent(item: ItemState, files: UploadedFile[], onlySide?: string): { side: string; data: Buffer }[] {
  const bySide = new Map<string, Buffer>();
  for (const f of files) {
    const side = onlySide ? (f.field === 'file' ? onlySide : undefined) : item.sides.find((s) => s.key === f.field)?.key;
    if (side) bySide.set(side, f.data);
  }
  return [...bySide].map(([side, data]) => ({ side, data }));
}
