import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { sameSecret } from '../crypto/tokens';
import { Readable, pipeline } from 'node:stream';
import type { Logger } from 'pino';
import { AuditService } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { RECORDING_STORE, type DocumentStore } from '../documents/store';
import { JobRunner, shortError } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { StaffService } from '../staff/staff.service';
import { LOGGER } from '../web/tokens';
import { openRange, storedRange } from './recording-cipher';
import { TooLargeError, recordingType, storeSealed, type RecordingMeter } from './recording-intake';
import { Recording, RecordingDownload, type RecordingSource } from './recording.entity';
import { missingRecordings, recentRecordings, watchableCallsOf } from './recordings.queries';
import { VideoCall } from './video-call.entity';

/** A signature's timestamp may differ from our clock by this much (replays of older ones are refused). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
/** A recording must arrive within this long after its call ended. */
export const ARRIVAL_HOURS = 24;
/** A consented call's recording not arrived this long after the call ended is flagged as missing. */
export const MISSING_AFTER_MINUTES = 30;
/** A JaaS download is tried this many times (with backoff) before it is given up. */
export const DOWNLOAD_ATTEMPTS = 8;
/** A stored recording no row names is deleted once it is this old (see sweepLeftovers). */
export const LEFTOVER_HOURS = 24;
/** A JaaS webhook's body is small JSON. */
export const WEBHOOK_MAX_BYTES = 256 * 1024;

const keyContext = (id: string) => `recording:${id}`;
const linkContext = (id: string) => `recording_download:${id}:link`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why a recording was refused: an HTTP status for the sender, and a reason for the audit log. */
export interface Refusal {
  ok: false;
  status: number;
  reason: 'signature' | 'unknown-room' | 'no-consent' | 'too-late' | 'type' | 'too-large' | 'incomplete' | 'not-configured' | 'bad-event' | 'host';
}
export type Stored = { ok: true; id: string; duplicate: boolean; durationSeconds?: number };

/** What a call shows of its recording: expected, received (with duration), missing, or deleted on a date. */
export interface RecordingState {
  state: 'expected' | 'received' | 'missing' | 'deleted';
  recordings: { id: string; durationSeconds?: number; duration?: string; receivedAt: Date; deletedAt?: Date }[];
}

/** A range of a recording to send: the status, headers and decrypted bytes. */
export interface RecordingResponse {
  status: 200 | 206 | 416;
  headers: Record<string, string>;
  body?: Readable;
}

const refuse = (status: number, reason: Refusal['reason']): Refusal => ({ ok: false, status, reason });

/**
 * Call recordings, from their arrival to their deletion: Jibri's finalize script posts the file
 * signed with RECORDING_UPLOAD_SECRET; JaaS's webhook announces a link that the
 * `recording-downloads` job fetches. Either way the file streams through the checks (hash, size,
 * type, duration) into the recording store, encrypted in chunks under its own key, and is
 * committed as a row only once everything is checked. Supervisors, and the referee of the call
 * until its outcome is final, watch it through a decrypting, seekable route; each viewing is audited.
 * The `recording-retention` job deletes the files RECORDING_RETENTION_DAYS after their call.
 */
@Injectable()
export class RecordingsService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(RECORDING_STORE) private readonly store: DocumentStore,
    private readonly em: EntityManager,
    private readonly cipher: PiiCipher,
    private readonly audit: AuditService,
    private readonly staff: StaffService,
    private readonly jobs: JobRunner,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  // ---- Arrival ------------------------------------------------------------------------------

  /**
   * Jibri's finalize script: headers X-Referee-Room, X-Referee-Timestamp (Unix seconds) and
   * X-Referee-Signature (hex HMAC-SHA256 under RECORDING_UPLOAD_SECRET of
   * "<timestamp>.<room>.<hex SHA-256 of the body>"). The timestamp is checked before the body
   * is read; the signature, which covers the body's hash, once it is stored: until then the
   * file is an object no row names, deleted if anything is refused.
   */
  async receiveJibri(headers: { room?: string; timestamp?: string; signature?: string }, body: Readable, ip?: string): Promise<Stored | Refusal> {
    const secret = this.config.recordings.uploadSecret;
    if (!secret) return this.refused(refuse(404, 'not-configured'), 'jibri', ip);
    const { room, timestamp, signature } = headers;
    if (!room || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(signature) || !/^[A-Za-z0-9._-]{1,200}$/.test(room)) {
      return this.refused(refuse(401, 'signature'), 'jibri', ip);
    }
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return this.refused(refuse(401, 'signature'), 'jibri', ip);
    // Before a byte is stored: a room with no recordable call is refused at once (rooms are random:
    // a sender who knows one is Jibri), so that only uploads for a real call are read whole before the signature decides.
    const before = await this.callFor(room);
    if (!before.ok) return this.refused(before, 'jibri', ip);
    const signed = (sha256: string) => sameSecret(createHmac('sha256', secret).update(`${timestamp}.${room}.${sha256}`).digest('hex'), signature);
    return this.ingest({ source: 'jibri', room, body, signed, ip });
  }

  /**
   * The JaaS webhook (X-Jaas-Signature: t=<seconds>,v1=<base64 HMAC-SHA256 of "<t>.<raw body>"
   * under the endpoint's secret>, as 8x8 documents it). RECORDING_UPLOADED with a link on
   * JAAS_DOWNLOAD_HOST for a call that may be recorded is queued for the download job; other
   * events are acknowledged and ignored. The same event twice is one download.
   */
  async receiveJaasEvent(signatureHeader: string | undefined, raw: Buffer, ip?: string): Promise<{ ok: true; queued: boolean } | Refusal> {
    const secret = this.config.recordings.jaasWebhookSecret;
    if (!secret) return this.refused(refuse(404, 'not-configured'), 'jaas', ip);
    if (!jaasSignatureValid(secret, signatureHeader, raw)) return this.refused(refuse(401, 'signature'), 'jaas', ip);
    let event: { eventType?: unknown; idempotencyKey?: unknown; fqn?: unknown; data?: { preAuthenticatedLink?: unknown } };
    try {
      event = JSON.parse(raw.toString('utf8'));
    } catch {
      return this.refused(refuse(400, 'bad-event'), 'jaas', ip);
    }
    if (event?.eventType !== 'RECORDING_UPLOADED') return { ok: true, queued: false };
    const key = event.idempotencyKey;
    const room = typeof event.fqn === 'string' ? event.fqn.split('/').pop() : undefined;
    const link = event.data?.preAuthenticatedLink;
    if (typeof key !== 'string' || !key || key.length > 200 || !room || typeof link !== 'string') return this.refused(refuse(400, 'bad-event'), 'jaas', ip);
    if (!this.allowedDownload(link)) return this.refused(refuse(400, 'host'), 'jaas', ip);
    const call = await this.callFor(room);
    if (!call.ok) return this.refused(call, 'jaas', ip);
    const id = randomUUID();
    try {
      await this.em.fork().insert(RecordingDownload, { id, eventKey: key, call: call.call.id, linkCipher: this.cipher.encrypt(link, linkContext(id)), nextAttemptAt: new Date(), createdAt: new Date() });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return { ok: true, queued: false };
      throw error;
    }
    await this.audit.record({ action: 'recording.download_queued', caseId: call.call.verificationCase.id, subject: call.call.id, ip, details: { source: 'jaas' } });
    return { ok: true, queued: true };
  }

  /** Only https links on JAAS_DOWNLOAD_HOST (http only on the loopback interface, for a local stand-in). */
  private allowedDownload(link: string): boolean {
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      return false;
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    return url.host === this.config.recordings.jaasDownloadHost && (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) && !url.username && !url.password;
  }

  /** The call a room names, if its recording may be taken now: consented, and not more than ARRIVAL_HOURS after it ended. */
  private async callFor(room: string, now = new Date()): Promise<{ ok: true; call: VideoCall } | Refusal> {
    const call = await this.em.fork().findOne(VideoCall, { room }, { populate: ['verificationCase'] });
    if (!call) return refuse(404, 'unknown-room');
    if (!call.recordingConsentAt) return { ...refuse(409, 'no-consent'), call } as Refusal;
    if (call.endedAt && now.getTime() - call.endedAt.getTime() > ARRIVAL_HOURS * 3600_000) return { ...refuse(409, 'too-late'), call } as Refusal;
    return { ok: true, call };
  }

  /**
   * Streams a file into the store through the meter and the chunked cipher, then checks it: the
   * signature (Jibri), the room's call, the type from its bytes; commits the row, or deletes the
   * object. The same file for the same call twice is one recording.
   */
  private async ingest(input: { source: RecordingSource; room: string; body: Readable; signed: (sha256: string) => boolean; ip?: string }): Promise<Stored | Refusal> {
    const id = randomUUID();
    const storageKey = randomUUID();
    const fileKey = randomBytes(32);
    try {
      let meter: RecordingMeter;
      try {
        meter = await storeSealed(this.store, storageKey, input.body, fileKey, id, this.config.recordings.maxBytes);
      } catch (error) {
        if (error instanceof TooLargeError) return this.refused(refuse(413, 'too-large'), input.source, input.ip);
        // The sender went away mid-file: refused as incomplete. Anything else (the store failing,
        // a full disk) is our fault: thrown, a 5xx, and the sender tries again.
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error).name === 'AbortError') {
          return this.refused(refuse(400, 'incomplete'), input.source, input.ip);
        }
        throw error;
      }
      const sha256 = meter.sha256;
      const refusal = await this.check(input, sha256, meter.head);
      if (!refusal.ok) {
        await this.store.delete(storageKey).catch(() => undefined);
        return this.refused(refusal, input.source, input.ip);
      }
      const call = refusal.call;
      const durationSeconds = await meter.duration;
      const stored = await this.commit({ id, call, storageKey, fileKey, sha256, bytes: meter.bytes, mime: refusal.mime, durationSeconds, source: input.source });
      if (stored.duplicate) await this.store.delete(storageKey).catch(() => undefined);
      else {
        await this.audit.record({
          action: 'recording.received',
          caseId: call.verificationCase.id,
          subject: call.id,
          ip: input.ip,
          details: { recordingId: stored.id, source: input.source, bytes: meter.bytes, durationSeconds, mime: refusal.mime },
        });
      }
      return { ok: true, id: stored.id, duplicate: stored.duplicate, durationSeconds: stored.durationSeconds };
    } catch (error) {
      await this.store.delete(storageKey).catch(() => undefined);
      throw error;
    } finally {
      fileKey.fill(0);
    }
  }

  private async check(input: { room: string; signed: (sha256: string) => boolean }, sha256: string, head: Buffer): Promise<{ ok: true; call: VideoCall; mime: string } | Refusal> {
    if (!input.signed(sha256)) return refuse(401, 'signature');
    const call = await this.callFor(input.room);
    if (!call.ok) return call;
    const mime = await recordingType(head);
    if (!mime) return { ...refuse(415, 'type'), call: call.call } as Refusal;
    return { ok: true, call: call.call, mime };
  }

  private async commit(r: { id: string; call: VideoCall; storageKey: string; fileKey: Buffer; sha256: string; bytes: number; mime: string; durationSeconds?: number; source: RecordingSource }): Promise<{ id: string; duplicate: boolean; durationSeconds?: number }> {
    const em = this.em.fork();
    const existing = await em.findOne(Recording, { call: r.call.id, sha256: r.sha256 });
    if (existing) return { id: existing.id, duplicate: true, durationSeconds: existing.durationSeconds };
    try {
      await em.insert(Recording, {
        id: r.id,
        call: r.call.id,
        storageKey: r.storageKey,
        wrappedKey: this.cipher.encrypt(r.fileKey.toString('base64'), keyContext(r.id)),
        sha256: r.sha256,
        bytes: r.bytes,
        mime: r.mime,
        durationSeconds: r.durationSeconds,
        source: r.source,
        receivedAt: new Date(),
      });
    } catch (error) {
      // The same file committed by a concurrent delivery (a retry that crossed the first).
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const other = await this.em.fork().findOneOrFail(Recording, { call: r.call.id, sha256: r.sha256 });
      return { id: other.id, duplicate: true, durationSeconds: other.durationSeconds };
    }
    return { id: r.id, duplicate: false, durationSeconds: r.durationSeconds };
  }

  /** Audits a refusal (with the call when one was found) and returns it without the call. */
  private async refused(refusal: Refusal, source: RecordingSource, ip?: string, found?: VideoCall): Promise<Refusal> {
    const call = found ?? (refusal as { call?: VideoCall }).call;
    await this.audit.record({
      action: 'recording.refused',
      caseId: call?.verificationCase.id,
      subject: call?.id,
      ip,
      details: { source, reason: refusal.reason },
    });
    return { ok: false, status: refusal.status, reason: refusal.reason };
  }

  // ---- JaaS downloads -------------------------------------------------------------------------

  /** Downloads the recordings JaaS announced that are due, on one instance at a time. */
  @Cron(JOBS['recording-downloads'].schedule, { name: 'recording-downloads' })
  async runDownloads(now = new Date()): Promise<{ stored: number; failed: number }> {
    const outcome = await this.jobs.runExclusive('recording-downloads', async () => {
      const counts = { stored: 0, failed: 0 };
      const due = await this.em.fork().find(RecordingDownload, { finishedAt: null, nextAttemptAt: { $lte: now } }, { populate: ['call'], orderBy: { nextAttemptAt: 'asc' }, limit: 10 });
      for (const download of due) counts[(await this.download(download, now)) ? 'stored' : 'failed']++;
      return counts;
    });
    return outcome ?? { stored: 0, failed: 0 };
  }

  /** One attempt: only from JAAS_DOWNLOAD_HOST, no redirects, within RECORDING_MAX_MB and RECORDING_DOWNLOAD_TIMEOUT_SECONDS. */
  private async download(d: RecordingDownload, now: Date): Promise<boolean> {
    const link = this.cipher.decrypt(d.linkCipher, linkContext(d.id));
    // A thrown error is kept as such (not by `instanceof Error`: an aborted fetch throws a DOMException).
    let result: Stored | Refusal | { failed: unknown };
    try {
      if (!this.allowedDownload(link)) throw new Error('the link is not on JAAS_DOWNLOAD_HOST');
      const response = await fetch(link, { redirect: 'error', signal: AbortSignal.timeout(this.config.recordings.downloadTimeoutSeconds * 1000) });
      if (!response.ok || !response.body) throw new Error(`the download answered ${response.status}`);
      const length = Number(response.headers.get('content-length') ?? NaN);
      if (length > this.config.recordings.maxBytes) {
        await response.body.cancel();
        throw new TooLargeError();
      }
      const room = d.call.room;
      result = await this.ingest({ source: 'jaas', room, body: Readable.fromWeb(response.body as never), signed: () => true });
    } catch (error) {
      result = { failed: error };
    }
    const em = this.em.fork();
    const row = await em.findOne(RecordingDownload, d.id);
    if (!row) return false; // its call went with the applicant's account meanwhile (a file stored for it was refused or failed its commit)
    if ('ok' in result && result.ok) {
      Object.assign(row, { finishedAt: new Date(), outcome: 'stored', attempts: row.attempts + 1, lastError: null });
      await em.flush();
      return true;
    }
    row.attempts += 1;
    // A file the checks refused is never retried; a failed transfer (too large, too slow, cut, an error) is.
    const refusal = 'reason' in result ? result : undefined;
    const final = !!refusal && !['too-large', 'incomplete'].includes(refusal.reason);
    row.lastError = refusal ? refusal.reason : shortError('failed' in result ? result.failed : 'unknown');
    if (final || row.attempts >= DOWNLOAD_ATTEMPTS) {
      row.finishedAt = new Date();
      row.outcome = final ? 'refused' : 'gave-up';
      await this.audit.record({ action: 'recording.download_failed', subject: d.call.id, details: { attempts: row.attempts, reason: row.lastError } });
    } else {
      row.nextAttemptAt = new Date(now.getTime() + Math.min(60, 2 ** row.attempts) * 60_000);
    }
    await em.flush();
    if (!refusal) this.logger.warn({ attempt: row.attempts, error: row.lastError }, 'a JaaS recording download failed');
    return false;
  }

  // ---- State on the call --------------------------------------------------------------------

  /** The recording's state for a call with consent (undefined without: nothing is recorded). */
  async stateOf(call: VideoCall, now = new Date()): Promise<RecordingState | undefined> {
    if (!call.recordingConsentAt) return undefined;
    const rows = await this.em.fork().find(Recording, { call: call.id }, { orderBy: { receivedAt: 'asc' } });
    const recordings = rows.map((r) => ({ id: r.id, durationSeconds: r.durationSeconds ?? undefined, duration: clock(r.durationSeconds), receivedAt: r.receivedAt, deletedAt: r.deletedAt ?? undefined }));
    if (rows.some((r) => !r.deletedAt)) return { state: 'received', recordings: recordings.filter((r) => !r.deletedAt) };
    if (rows.length) return { state: 'deleted', recordings };
    const missing = !!call.endedAt && now.getTime() - call.endedAt.getTime() > MISSING_AFTER_MINUTES * 60_000;
    return { state: missing ? 'missing' : 'expected', recordings };
  }

  /** Consented calls that ended more than MISSING_AFTER_MINUTES ago (within the last week) and whose recording never came. */
  async missing(now = new Date()) {
    return missingRecordings(this.em, new Date(now.getTime() - MISSING_AFTER_MINUTES * 60_000), new Date(now.getTime() - 7 * 86_400_000));
  }

  /** Recordings received in the last 7 days (for the supervisor's page), each with its length as a player shows it. */
  async recent(now = new Date()) {
    const rows = await recentRecordings(this.em, new Date(now.getTime() - 7 * 86_400_000));
    return rows.map((r) => ({ ...r, duration: clock(r.durationSeconds) }));
  }

  // ---- Watching -----------------------------------------------------------------------------

  /**
   * A recording the viewer may watch, and as whom: a supervisor, or the Trusted Referee who ran
   * the call while its case's outcome is not final (verified or failed). Undefined for everyone
   * else, and for a deleted recording: the route answers 404.
   */
  async viewable(viewerId: string, recordingId: string): Promise<{ recording: Recording; as: 'supervisor' | 'referee' } | undefined> {
    if (!UUID.test(recordingId)) return undefined;
    const recording = await this.em.fork().findOne(Recording, { id: recordingId, deletedAt: null }, { populate: ['call', 'call.verificationCase'] });
    if (!recording?.wrappedKey) return undefined;
    const as = await this.mayWatch(viewerId, recording.call);
    return as ? { recording, as } : undefined;
  }

  /** Whether `viewerId` may watch this call's recordings: a supervisor, or its referee while the case's outcome is not final. */
  private async mayWatch(viewerId: string, call: VideoCall): Promise<'supervisor' | 'referee' | undefined> {
    const roles = await this.staff.rolesOf(viewerId);
    if (roles.includes('supervisor')) return 'supervisor';
    if (roles.includes('referee') && call.agent.id === viewerId && !['verified', 'failed'].includes(call.verificationCase.status)) return 'referee';
    return undefined;
  }

  /** A call and its recording's state for a viewer who may watch it (the referee's own page); undefined otherwise. */
  async callForViewer(viewerId: string, callId: string): Promise<{ call: VideoCall; recording?: RecordingState } | undefined> {
    if (!UUID.test(callId)) return undefined;
    const call = await this.em.fork().findOne(VideoCall, { id: callId }, { populate: ['verificationCase'] });
    if (!call || !(await this.mayWatch(viewerId, call))) return undefined;
    return { call, recording: await this.stateOf(call) };
  }

  /** The referee's calls of the last 7 days whose recording they may still watch (the outcome not final). */
  watchableOf(agentId: string, now = new Date()) {
    return watchableCallsOf(this.em, agentId, new Date(now.getTime() - 7 * 86_400_000));
  }

  /**
   * The recording (or the range a `Range` header asks for) decrypted as it streams. A viewing
   * is audited when it starts from the first byte (a player's seeks are not new viewings; a
   * HEAD request, which sends nothing, is none).
   */
  async open(viewer: { actorId: string; ip?: string }, v: { recording: Recording; as: string }, range: string | undefined, head = false): Promise<RecordingResponse> {
    const r = v.recording;
    const size = Number(r.bytes);
    const base = { 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store', 'Content-Type': r.mime, 'X-Content-Type-Options': 'nosniff' };
    const wanted = parseRange(range, size);
    if (wanted === 'unsatisfiable') return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` } };
    const [start, end] = wanted ?? [0, size - 1];
    if (start === 0 && !head) {
      await this.audit.record({ action: 'recording.viewed', actorId: viewer.actorId, ip: viewer.ip, caseId: r.call.verificationCase.id, subject: r.call.id, details: { callId: r.call.id, recordingId: r.id, as: v.as } });
    }
    const headers: Record<string, string> = { ...base, 'Content-Length': String(Math.max(0, end - start + 1)) };
    if (wanted) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    if (head || size === 0) return { status: wanted ? 206 : 200, headers };
    const key = Buffer.from(this.cipher.decrypt(r.wrappedKey!, keyContext(r.id)), 'base64');
    try {
      const { from, to } = storedRange(size, start, end);
      const stored = await this.store.getRange(r.storageKey, from, to);
      const body = pipeline(stored, openRange(key, r.id, size, start, end), (error) => {
        if (error && error.name !== 'AbortError' && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') this.logger.error({ err: error, recordingId: r.id }, 'a recording could not be read');
      });
      return { status: wanted ? 206 : 200, headers, body };
    } finally {
      key.fill(0);
    }
  }

  // ---- Retention ----------------------------------------------------------------------------

  /**
   * Deletes the recordings of calls that ended (or, never ended, started) more than
   * RECORDING_RETENTION_DAYS ago, on one instance at a time: the row keeps the date, its key is
   * erased in the same step (the file cannot be read again even if deleting it fails), then the
   * file is deleted and the deletion audited.
   */
  @Cron(JOBS['recording-retention'].schedule, { name: 'recording-retention' })
  async deleteExpired(now = new Date()): Promise<number> {
    const done = await this.jobs.runExclusive('recording-retention', async () => {
      const cutoff = new Date(now.getTime() - this.config.retention.recordingDays * 86_400_000);
      const expired = await this.em.fork().transactional(async (tx) => {
        const rows = await tx.find(
          Recording,
          { deletedAt: null, call: { $or: [{ endedAt: { $lt: cutoff } }, { endedAt: null, startedAt: { $lt: cutoff } }] } },
          { populate: ['call'], limit: 500 },
        );
        for (const r of rows) Object.assign(r, { deletedAt: new Date(), wrappedKey: null });
        return rows.map((r) => ({ id: r.id, storageKey: r.storageKey, callId: r.call.id, caseId: r.call.verificationCase.id }));
      });
      for (const r of expired) {
        await this.store.delete(r.storageKey);
        await this.audit.record({ action: 'recording.deleted', caseId: r.caseId, subject: r.callId, details: { recordingId: r.id, retentionDays: this.config.retention.recordingDays } });
      }
      return { deleted: expired.length, leftovers: await this.sweepLeftovers(now) };
    });
    return done?.deleted ?? 0;
  }

  /**
   * Stored objects no recording row names, older than LEFTOVER_HOURS: what a crash between the
   * write and the commit leaves (an upload writes its file first, and a refused one is deleted
   * at once). The long grace spares an upload of hours that is still arriving.
   */
  private async sweepLeftovers(now: Date): Promise<number> {
    const cutoff = now.getTime() - LEFTOVER_HOURS * 3600_000;
    let count = 0;
    const em = this.em.fork();
    for await (const listed of this.store.list()) {
      const old = listed.filter((o) => o.modifiedAt.getTime() < cutoff).map((o) => o.name);
      if (!old.length) continue;
      const known = new Set((await em.find(Recording, { storageKey: { $in: old }, deletedAt: null }, { fields: ['storageKey'] })).map((r) => r.storageKey));
      em.clear();
      for (const name of old.filter((n) => !known.has(n))) {
        await this.store.delete(name);
        count++;
      }
    }
    return count;
  }
}

/** A single `bytes=` range of a file of `size` bytes: undefined for none (or one we do not serve: the whole file then). */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (!match[1] && !match[2])) return undefined;
  let start: number;
  let end: number;
  if (!match[1]) {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}

/** A duration as a player shows it: m:ss, or h:mm:ss from an hour. */
export function clock(seconds: number | null | undefined): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return undefined;
  const total = Math.round(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}


/** X-Jaas-Signature as 8x8 documents it: "t=<seconds>,v1=<base64 HMAC-SHA256 of '<t>.<body>'>" (only v1; the timestamp within SIGNATURE_TOLERANCE_SECONDS). */
export function jaasSignatureValid(secret: string, header: string | undefined, raw: Buffer, now = Date.now()): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k]) => k === 'v1').map((p) => p.slice(1).join('='));
  if (!t || !/^\d{1,12}$/.test(t) || !signatures.length) return false;
  if (Math.abs(now / 1000 - Number(t)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(raw).digest('base64');
  return signatures.some((s) => sameSecret(s, expected));
}
