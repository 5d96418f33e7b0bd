import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext } from '@mikro-orm/core';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { DocumentFile } from '../documents/document-file.entity';
import { DocumentFilesService } from '../documents/document-files.service';
import { DOCUMENT_STORE, openFile, sealFile, type DocumentStore } from '../documents/store';
import { languageOr } from '../i18n/languages';
import { Messages, phrase } from '../i18n/messages';
import { Account } from '../identity/account.entity';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { MfaMethod } from '../mfa/mfa-method.entity';
import { BackupCode } from '../mfa/backup-code.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { GrantsService } from '../oidc/grants.service';
import { Appointment } from '../scheduling/appointment.entity';
import { SupportService } from '../support/support.service';
import { VerificationCase } from '../verification/verification-case.entity';
import { VerificationService } from '../verification/verification.service';
import { Recording } from '../video/recording.entity';
import { LOGGER } from '../web/tokens';
import { AccessHistoryService } from './access-history.service';
import { DataExport } from './data-export.entity';
import { caseHistoryOf, claimStaleBuild, markUsed } from './data-export.queries';

/** The download link works this long after the ZIP is ready (then the file is deleted). */
export const EXPORT_LIFETIME_MS = 24 * 3_600_000;
/** A build writes its heartbeat at least this often; one silent for longer is taken up again (its instance stopped). */
export const EXPORT_STALE_MS = 2 * 60_000;

const keyContext = (exportId: string) => `data_export:${exportId}`;
const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/heic': 'heic', 'application/pdf': 'pdf' };

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;

/** What the download page shows of an export. */
export type DownloadOutcome = { file: Buffer } | 'used' | 'expired' | 'building' | 'missing';

/**
 * "Download my data": a ZIP of everything Referee holds about a person (referee-data.json and
 * their document images, decrypted), built in the background right after the request on the
 * instance that took it, kept encrypted in the document store, downloadable once for 24 hours.
 */
@Injectable()
export class DataExportService {
  /** Builds running on this instance (tests and shutdown wait for them). */
  private readonly running = new Set<Promise<void>>();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    @Inject(DOCUMENT_STORE) private readonly store: DocumentStore,
    private readonly cipher: PiiCipher,
    private readonly files: DocumentFilesService,
    private readonly verification: VerificationService,
    private readonly support: SupportService,
    private readonly grants: GrantsService,
    private readonly history: AccessHistoryService,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly jobs: JobRunner,
    private readonly messages: Messages,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Resolves when every build started on this instance has finished. */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** The person's newest export, if any (the page shows its state). */
  latest(accountId: string): Promise<DataExport | null> {
    return this.em.fork().findOne(DataExport, { account: accountId }, { orderBy: { requestedAt: 'desc' } });
  }

  /** One export of this person (another's is none). */
  async find(accountId: string, id: string): Promise<DataExport | null> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return null;
    return this.em.fork().findOne(DataExport, { id, account: accountId });
  }

  /** A new request: one build at a time per person (a request while one builds shows that one). */
  async request(accountId: string, by: Actor): Promise<DataExport> {
    const current = await this.latest(accountId);
    if (current?.status === 'building') return current;
    const em = this.em.fork();
    const row = em.create(DataExport, { account: accountId });
    await em.flush();
    await this.audit.record({ action: 'privacy.export_requested', ...by, subject: row.id });
    this.start(row.id);
    return row;
  }

  /** Builds in the background on this instance; the job takes it up if the instance stops first. */
  private start(id: string): void {
    const build = RequestContext.create(this.em, () => this.build(id))
      .catch((error: unknown) => this.logger.error({ err: error, exportId: id }, 'building a data export failed'))
      .finally(() => this.running.delete(build));
    this.running.add(build);
  }

  private async progress(id: string, progress: number): Promise<void> {
    await this.em.fork().nativeUpdate(DataExport, { id, status: 'building' }, { progress, heartbeatAt: new Date() });
  }

  private async build(id: string): Promise<void> {
    const em = this.em.fork();
    const row = await em.findOne(DataExport, { id, status: 'building' }, { populate: ['account'] });
    if (!row) return;
    const account = row.account;
    const dir = join(this.config.dataDir, 'exports');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `${id}.${randomBytes(4).toString('hex')}.zip`);
    try {
      const data = await this.collect(account);
      await this.progress(id, 10);
      const images = await em.find(DocumentFile, { verificationCase: { account: account.id } }, { orderBy: { createdAt: 'asc' } });
      await this.writeZip(temp, data, images, (done) => this.progress(id, 10 + Math.floor((80 * done) / Math.max(images.length, 1))));
      // The store takes whole files: the ZIP is read back once to be sealed (images were streamed in one at a time).
      const zip = await readFile(temp);
      const fileKey = randomBytes(32);
      const storageKey = randomUUID();
      try {
        await this.store.put(storageKey, sealFile(fileKey, id, zip));
        const readyAt = new Date();
        const updated = await em.nativeUpdate(
          DataExport,
          { id, status: 'building' },
          { status: 'ready', progress: 100, storageKey, wrappedKey: this.cipher.encrypt(fileKey.toString('base64'), keyContext(id)), bytes: zip.length, readyAt, expiresAt: new Date(readyAt.getTime() + EXPORT_LIFETIME_MS) },
        );
        if (!updated) {
          await this.store.delete(storageKey); // another instance finished it meanwhile
          return;
        }
      } finally {
        fileKey.fill(0);
      }
      await this.audit.record({ action: 'privacy.export_ready', actorId: account.id, subject: id });
      await this.tell(account);
    } catch (error) {
      await em.nativeUpdate(DataExport, { id, status: 'building' }, { status: 'failed' });
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** The ZIP, streamed to a file: the JSON, then each image, decrypted one at a time. */
  private async writeZip(path: string, data: unknown, images: DocumentFile[], onImage: (done: number) => Promise<void>): Promise<void> {
    const out = createWriteStream(path, { mode: 0o600 });
    const written = new Promise<void>((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
    });
    let failed: Error | undefined;
    const zip = new Zip((error, chunk, final) => {
      if (error) failed = error;
      else out.write(chunk);
      if (final || error) out.end();
    });
    const json = new ZipDeflate('referee-data.json', { level: 6 });
    zip.add(json);
    json.push(Buffer.from(JSON.stringify(data, null, 2)), true);
    const names = new Set<string>();
    for (const [index, file] of images.entries()) {
      const base = `documents/${file.item.replace(/[^a-z0-9_-]/gi, '-')}-${file.side.replace(/[^a-z0-9_-]/gi, '-')}`;
      const name = `${names.has(base) ? `${base}-${index + 1}` : base}.${EXTENSIONS[file.mime] ?? 'bin'}`;
      names.add(base);
      const entry = new ZipPassThrough(name); // images are compressed already
      zip.add(entry);
      entry.push(await this.files.contents(file), true);
      await onImage(index + 1);
    }
    zip.end();
    await written;
    if (failed) throw failed;
  }

  /** Everything about the person, as referee-data.json holds it. */
  private async collect(account: Account) {
    const em = this.em.fork();
    const methods = await em.find(MfaMethod, { account: account.id }, { orderBy: { createdAt: 'asc' } });
    const backupCodesLeft = await em.count(BackupCode, { method: { account: account.id }, usedAt: null });
    const c = await em.findOne(VerificationCase, { account: account.id });
    const appointments = await em.find(Appointment, { account: account.id }, { orderBy: { startsAt: 'asc' } });
    const requests = await this.support.forAccount(account.id);
    const shownRequests = await Promise.all(requests.map((r) => this.support.findForAccount(r.id, account.id)));
    const organizations = await this.grants.connectedOrganizations(account.id);
    const accessHistory = await this.history.all(account.id);
    const received = accessHistory.filter((e) => e.kind === 'sharing');
    const recordings = await em.find(Recording, { call: { applicant: account.id } }, { populate: ['call'], orderBy: { receivedAt: 'asc' } });
    const retentionMs = this.config.retention.recordingDays * 86_400_000;
    return {
      exportedAt: new Date().toISOString(),
      account: { id: account.id, email: account.email, emailConfirmedAt: account.emailConfirmedAt ?? null, language: account.language ?? null, createdAt: account.createdAt },
      // Secrets (app secrets, passkey keys, backup codes) stay out: only what each method is.
      signInMethods: [
        { kind: 'password', note: 'stored only as a one-way hash' },
        ...methods.map((m) => ({ kind: m.kind, label: m.label, hint: m.displayHint ?? null, phoneChannel: m.phoneChannel ?? null, addedAt: m.createdAt, lastUsedAt: m.lastUsedAt ?? null })),
        ...(backupCodesLeft ? [{ kind: 'backup_codes_left', count: backupCodesLeft }] : []),
      ],
      personalDetails: c
        ? {
            firstName: c.firstName ?? null,
            middleName: c.middleName ?? null,
            lastName: c.lastName ?? null,
            email: c.email ?? null,
            phone: c.phone ?? null,
            dateOfBirth: this.verification.decryptDateOfBirth(c) ?? null,
            address: this.verification.decryptAddress(c) ?? null,
            identifierKind: c.identifierKind ?? null,
            identifier: this.verification.decryptIdentifier(c) ?? null,
            fcraConsentAt: c.fcraConsentAt ?? null,
          }
        : null,
      case: c ? { status: c.status, method: c.method ?? null, track: c.track ?? null, history: await caseHistoryOf(em, c.id) } : null,
      appointments: appointments.map((a) => ({ startsAt: a.startsAt, endsAt: a.endsAt, timeZone: a.timeZone, status: a.status, bookedAt: a.createdAt })),
      supportRequests: shownRequests
        .filter((s) => s !== null)
        .map((s) => ({
          reference: s.request.reference,
          category: s.request.category,
          status: s.request.status,
          createdAt: s.request.createdAt,
          messages: s.messages.map((m) => ({ from: m.author, at: m.createdAt, text: m.body })),
        })),
      organizations: organizations.map((o) => ({
        clientId: o.clientId,
        name: o.name,
        sharingSince: o.since,
        scopes: o.scopes,
        received: received.filter((r) => r.clientId === o.clientId).map((r) => ({ at: r.at, claims: r.claims })),
      })),
      // What each recording of their calls is, not the video: a recording can be hundreds of MB
      // (up to RECORDING_MAX_MB), and this ZIP is sealed whole in memory. Support can show it.
      recordings: recordings.map((r) => ({
        callStartedAt: r.call.startedAt,
        callEndedAt: r.call.endedAt ?? null,
        receivedAt: r.receivedAt,
        durationSeconds: r.durationSeconds ?? null,
        state: r.deletedAt ? 'deleted' : 'kept',
        deletedAt: r.deletedAt ?? null,
        // The recording-retention job's date: RECORDING_RETENTION_DAYS after the call ended (or started, if it never ended).
        deletionDue: r.deletedAt ? null : new Date((r.call.endedAt ?? r.call.startedAt).getTime() + retentionMs),
      })),
      recordingVideos: { note: this.messages.text(languageOr(account.language), 'privacy.download.recordings'), askSupport: `${this.config.baseUrl}/support` },
      accessHistory,
    };
  }

  private async tell(account: Account): Promise<void> {
    await RequestContext.create(this.em, () =>
      this.em.transactional(async () => {
        this.notifications.queueEmail({
          to: account.email,
          ...this.notifications.compose(languageOr(account.language), 'privacy.email.ready.subject', [
            phrase('privacy.email.ready.body', { hours: EXPORT_LIFETIME_MS / 3_600_000 }),
            phrase('privacy.email.ready.link', { url: `${this.config.baseUrl}/account/privacy/download` }),
          ]),
        });
      }),
    );
  }

  /**
   * The ZIP, once: the export is marked used in the same statement that checks it is ready
   * and unexpired, then the file is read, decrypted and deleted from the store.
   */
  async download(accountId: string, id: string, by: Actor, now = new Date()): Promise<DownloadOutcome> {
    const row = await this.find(accountId, id);
    if (!row) return 'missing';
    const won = await markUsed(this.em, id, accountId, now);
    if (!won) {
      if (row.status === 'building') return 'building';
      if (row.status === 'ready' && row.expiresAt && row.expiresAt > now) return 'used'; // the other click won
      return row.status === 'used' ? 'used' : row.status === 'failed' ? 'missing' : 'expired';
    }
    const key = Buffer.from(this.cipher.decrypt(won.wrappedKey, keyContext(id)), 'base64');
    try {
      const file = openFile(key, id, await this.store.get(won.storageKey));
      await this.audit.record({ action: 'privacy.export_downloaded', ...by, subject: id });
      await this.store.delete(won.storageKey);
      await this.em.fork().nativeUpdate(DataExport, { id }, { storageKey: null, wrappedKey: null });
      return { file };
    } finally {
      key.fill(0);
    }
  }

  // ---- jobs -------------------------------------------------------------------------------

  /** Builds a crashed (or stopped) instance left unfinished, one at a time, on one instance. */
  @Cron(JOBS['data-export-resume'].schedule, { name: 'data-export-resume' })
  async resumeStale(now = new Date()): Promise<number> {
    const done = await this.jobs.runExclusive('data-export-resume', async () => {
      let count = 0;
      for (let id = await claimStaleBuild(this.em.fork(), new Date(now.getTime() - EXPORT_STALE_MS), new Date()); id; id = await claimStaleBuild(this.em.fork(), new Date(now.getTime() - EXPORT_STALE_MS), new Date())) {
        await RequestContext.create(this.em, () => this.build(id));
        count++;
      }
      return count;
    });
    return done ?? 0;
  }

  /** Deletes the files of exports past their 24 hours (downloaded ones were deleted at once). */
  @Cron(JOBS['data-export-expiry'].schedule, { name: 'data-export-expiry' })
  async expire(now = new Date()): Promise<number> {
    const done = await this.jobs.runExclusive('data-export-expiry', async () => {
      const em = this.em.fork();
      const due = await em.find(DataExport, { expiresAt: { $lte: now }, storageKey: { $ne: null } }, { limit: 1000 });
      for (const row of due) {
        await this.store.delete(row.storageKey!);
        await em.nativeUpdate(DataExport, { id: row.id }, { storageKey: null, wrappedKey: null, ...(row.status === 'ready' ? { status: 'expired' as const } : {}) });
      }
      // Ready ones whose file is gone already (nothing to delete) still show as expired.
      await em.nativeUpdate(DataExport, { status: 'ready', expiresAt: { $lte: now } }, { status: 'expired' });
      return due.length;
    });
    return done ?? 0;
  }
}
