import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { LOGGER } from '../web/tokens';
import { DocumentFile } from './document-file.entity';
import { DataExport } from '../privacy/data-export.entity';
import { DocumentFilesService } from './document-files.service';
import { checkFile, type Checked } from './images';
import { DOCUMENT_STORE, type DocumentStore } from './store';

/**
 * The documents' scheduled jobs, each on one instance at a time: images deleted after the
 * retention period, stored objects no row names (what a crash leaves) swept, and the PDFs
 * earlier versions stored converted to images.
 */
@Injectable()
export class DocumentRetentionService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(DOCUMENT_STORE) private readonly store: DocumentStore,
    private readonly em: EntityManager,
    private readonly files: DocumentFilesService,
    private readonly jobs: JobRunner,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  // ---- PDFs kept as sent by earlier versions ---------------------------------------------------

  /**
   * Earlier versions stored a paper document's PDF as it came. Each such file is now taken
   * through the upload's checks: rendered to an image that replaces it under the same row
   * (same id, a new key and storage object), or, when it cannot be rendered, deleted (that
   * side then shows as missing, as if never sent). One instance at a time; rendering happens
   * outside any transaction, and the swap is made only if the row still names the same file
   * (DocumentFilesService.replace).
   */
  @Cron(JOBS['stored-pdf-conversion'].schedule, { name: 'stored-pdf-conversion' })
  async convertStoredPdfs(): Promise<{ converted: number; removed: number }> {
    const outcome = await this.jobs.runExclusive('stored-pdf-conversion', () => this.convertStoredPdfBatch());
    return outcome ?? { converted: 0, removed: 0 };
  }

  private async convertStoredPdfBatch(): Promise<{ converted: number; removed: number }> {
    const outcome = { converted: 0, removed: 0 };
    const files = await this.em.fork().find(DocumentFile, { mime: 'application/pdf' }, { limit: 100, orderBy: { createdAt: 'asc' } });
    for (const file of files) {
      let checked: Checked;
      try {
        checked = await checkFile(await this.files.contents(file), true);
      } catch (error) {
        this.logger.warn({ err: error, fileId: file.id }, 'a stored PDF could not be read for conversion');
        continue;
      }
      if (await this.files.replace(file, checked)) outcome[checked.ok ? 'converted' : 'removed']++;
    }
    return outcome;
  }

  // ---- Retention ---------------------------------------------------------------------------

  /**
   * Deletes the images of cases whose final decision (verified or failed) is older than
   * DOCUMENT_RETENTION_DAYS, on one instance at a time.
   */
  @Cron(JOBS['document-retention'].schedule, { name: 'document-retention' })
  async deleteExpired(now = new Date()): Promise<number> {
    const deleted = await this.jobs.runExclusive('document-retention', async () => {
      const keys = await this.em.fork().transactional(async (tx) => {
        const cutoff = new Date(now.getTime() - this.config.retention.documentDays * 86_400_000);
        const files = await tx.find(DocumentFile, { verificationCase: { status: { $in: ['verified', 'failed'] }, updatedAt: { $lt: cutoff } } }, { limit: 1000 });
        files.forEach((f) => tx.remove(f));
        return files.map((f) => f.storageKey);
      });
      // After the rows are gone (a failed commit leaves both): the encrypted files themselves.
      // A crash in between leaves files without rows, which the orphan sweep removes.
      for (const key of keys) await this.store.delete(key);
      return keys.length;
    });
    return deleted ?? 0;
  }

  /**
   * Deletes stored files that no document_file row names and that are older than
   * ORPHAN_FILE_GRACE_MINUTES. They are what a crash leaves: an upload writes its file
   * before committing its row (so a row never lacks its file), and replacement and
   * retention delete the row before the file. The grace period spares an upload whose
   * file is written and whose row is about to commit. One instance at a time runs it.
   */
  @Cron(JOBS['orphan-file-sweep'].schedule, { name: 'orphan-file-sweep' })
  async sweepOrphans(now = new Date()): Promise<number> {
    const cutoff = now.getTime() - this.config.orphanFileGraceMinutes * 60_000;
    const deleted = await this.jobs.runExclusive('orphan-file-sweep', async () => {
      const em = this.em.fork();
      let count = 0;
      for await (const listed of this.store.list()) {
        const old = listed.filter((o) => o.modifiedAt.getTime() < cutoff).map((o) => o.name);
        for (let i = 0; i < old.length; i += 1000) {
          const names = old.slice(i, i + 1000);
          const rows = await em.find(DocumentFile, { storageKey: { $in: names } }, { fields: ['storageKey'] });
          // "Download my data" ZIPs live in the same store (their job deletes them).
          const exports = await em.find(DataExport, { storageKey: { $in: names } }, { fields: ['storageKey'] });
          const known = new Set([...rows.map((r) => r.storageKey), ...exports.map((r) => r.storageKey!)]);
          em.clear();
          for (const name of names.filter((n) => !known.has(n))) {
            await this.store.delete(name);
            count++;
          }
        }
      }
      return count;
    });
    return deleted ?? 0;
  }
}
