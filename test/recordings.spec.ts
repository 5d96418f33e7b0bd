import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Readable } from 'node:stream';
import { buffer as collect } from 'node:stream/consumers';
import { ConfigError, loadConfig } from '../src/config/config';
import { CHUNK, HEADER_BYTES, openRange, sealStream, sealedSize, storedRange } from '../src/video/recording-cipher';
import { RecordingsService } from '../src/video/recordings.service';
import { DataExportService } from '../src/privacy/data-export.service';
import { strFromU8, unzipSync } from 'fflate';
import { confirmIdentity, createAccount, grantRoles, signIn } from './harness/accounts';
import { freePort, startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { callInProgress, inContext, JITSI, newReferee } from './harness/calls';
import { csrfOf } from './harness/forms';
import { jaasEvent, jaasSignature, jaasWebhook, RECORDINGS, testVideo, uploadRecording } from './harness/recordings';

const SECRET = RECORDINGS.RECORDING_UPLOAD_SECRET;
const JAAS_SECRET = RECORDINGS.JAAS_WEBHOOK_SECRET;
const SCRIPT = join(__dirname, '..', 'deploy', 'jibri', 'finalize.sh');

let t: TestApp;
let base: string;
let work: string;
let video: Buffer;
let jaas: Server;
let jaasPort: number;
/** What the JaaS stand-in serves for a download link. */
let jaasServes: 'video' | 'too-large' | 'too-slow' = 'video';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'referee-recordings-'));
  video = await testVideo(6);
  jaasPort = await freePort();
  jaas = createServer((_req, res) => serveDownload(res));
  await new Promise<void>((resolve) => jaas.listen(jaasPort, '127.0.0.1', resolve));
  t = await startTestApp({
    ...JITSI,
    ...RECORDINGS,
    JAAS_DOWNLOAD_HOST: `127.0.0.1:${jaasPort}`,
    RECORDING_MAX_MB: '1',
    RECORDING_DOWNLOAD_TIMEOUT_SECONDS: '1',
  });
  base = await t.listen();
}, 60_000);

afterAll(async () => {
  await t?.close();
  jaas?.closeAllConnections();
  await new Promise((resolve) => jaas?.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

function serveDownload(res: ServerResponse) {
  if (jaasServes === 'video') {
    res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': video.length });
    res.end(video);
  } else if (jaasServes === 'too-large') {
    res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': 2 * 1024 * 1024 });
    res.end(Buffer.alloc(2 * 1024 * 1024));
  } else {
    // Headers and a first part, then nothing: the download's time limit must end it.
    res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': video.length });
    res.write(video.subarray(0, 1000));
  }
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { PATH: process.env.PATH!, ...env } }, (error, _stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }));
  });
}

/** Jibri's recording folder for a room, and the finalize script run on it against the running Referee. */
async function finalize(room: string, file: Buffer = video, env: Record<string, string> = {}) {
  const dir = join(work, `recording-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'recording.mp4'), file);
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ meeting_url: `https://jitsi.test/${room}`, participants: [] }));
  const result = await run('sh', [SCRIPT, dir], { REFEREE_URL: base, RECORDING_UPLOAD_SECRET: SECRET, REFEREE_UPLOAD_ATTEMPTS: '1', ...env });
  return { ...result, dir };
}

/** A direct POST as the script makes it, signed with `secret` at `timestamp`. */
const upload = (room: string, body: Buffer, options: { secret?: string; timestamp?: number; sign?: boolean } = {}) => uploadRecording(t, room, body, options);

async function supervisor() {
  const email = `supervisor.${Date.now()}.${Math.random().toString(36).slice(2)}@referee.example`;
  const person = await createAccount(t, email);
  await grantRoles(t, email, ['supervisor']);
  return signIn(t, person);
}

async function refusals(reason: string): Promise<number> {
  const { rows } = await t.db.sql.query(`select count(*)::int as n from audit_event where action = 'recording.refused' and details->>'reason' = $1`, [reason]);
  return rows[0].n;
}

/** Every stored recording object (the local store: DATA_DIR/documents/recordings/<2 hex>/<key>). */
function storedObjects(): string[] {
  const dir = join(t.config.documents.dir, 'recordings');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((prefix) => readdirSync(join(dir, prefix)).map((name) => join(dir, prefix, name)));
}

const binary = (res: request.Response, callback: (error: Error | null, body: Buffer) => void) => {
  const parts: Buffer[] = [];
  res.on('data', (d: Buffer) => parts.push(d));
  res.on('end', () => callback(null, Buffer.concat(parts)));
};

describe('a Jibri recording, sent by the finalize script', () => {
  it('is stored encrypted, plays with ranges for a supervisor and the referee, is audited, and arrives once however often it is sent', async () => {
    const call = await callInProgress(t);
    const sent = await finalize(call.room);
    expect(sent.stderr).toContain('stored by Referee (201)');
    expect(sent.code).toBe(0);
    expect(existsSync(sent.dir)).toBe(false); // no face video left on the Jibri host

    const { rows } = await t.db.sql.query('select * from recording where call_id = $1', [call.callId]);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row).toMatchObject({ source: 'jibri', mime: 'video/mp4', sha256: createHash('sha256').update(video).digest('hex') });
    expect(Number(row.bytes)).toBe(video.length);
    expect(row.duration_seconds).toBeCloseTo(6, 0);

    // On disk: only ciphertext, of the size the chunked format gives.
    const [object] = storedObjects().filter((p) => p.endsWith(row.storage_key));
    const stored = readFileSync(object);
    expect(stored.length).toBe(sealedSize(video.length));
    expect(stored.includes(Buffer.from('ftyp'))).toBe(false);
    expect(stored.includes(video.subarray(100_000, 100_032))).toBe(false);
    expect(statSync(object).mode & 0o777).toBe(0o600);

    // A supervisor plays it: the whole file, then a seek into the middle (206, spanning chunks).
    const sup = await supervisor();
    const path = `/recordings/${row.id}/video`;
    const whole = await sup.get(path).buffer(true).parse(binary);
    expect(whole.status).toBe(200);
    expect(whole.headers['cache-control']).toBe('no-store');
    expect(whole.headers['content-type']).toBe('video/mp4');
    expect(Buffer.compare(whole.body, video)).toBe(0);
    const middle = Math.floor(video.length / 2);
    const seek = await sup.get(path).set('Range', `bytes=${middle}-${middle + 150_000}`).buffer(true).parse(binary);
    expect(seek.status).toBe(206);
    expect(seek.headers['content-range']).toBe(`bytes ${middle}-${middle + 150_000}/${video.length}`);
    expect(Buffer.compare(seek.body, video.subarray(middle, middle + 150_001))).toBe(0);
    const tail = await sup.get(path).set('Range', 'bytes=-10').buffer(true).parse(binary);
    expect(tail.status).toBe(206);
    expect(Buffer.compare(tail.body, video.subarray(video.length - 10))).toBe(0);
    expect((await sup.get(path).set('Range', `bytes=${video.length}-`)).status).toBe(416);
    const head = await sup.head(path);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(video.length));

    // The referee who ran the call may watch while the outcome is not final; nobody else may.
    expect((await call.referee.browser!.get(path).set('Range', 'bytes=0-99')).status).toBe(206);
    expect((await (await newReferee(t, 'other')).browser!.get(path)).status).toBe(404);
    expect((await call.applicant.browser.get(path)).status).toBe(404);
    expect((await t.browser().get(path)).status).toBe(404);

    // Each viewing from the start is audited with the viewer's role (a seek is not a new viewing).
    const { rows: viewed } = await t.db.sql.query(`select case_id, details from audit_event where action = 'recording.viewed' and subject = $1 order by id`, [call.callId]);
    expect(viewed.map((v) => v.details.as)).toEqual(['supervisor', 'referee']);
    expect(viewed[0]).toMatchObject({ case_id: call.caseId, details: { callId: call.callId, recordingId: row.id } });

    // Jibri sends it again (a retry whose answer was lost): one recording, 200.
    const again = await finalize(call.room);
    expect(again.stderr).toContain('stored by Referee (200)');
    expect((await t.db.sql.query('select id from recording where call_id = $1', [call.callId])).rows).toHaveLength(1);
    expect(storedObjects().filter((p) => !p.endsWith('.tmp'))).toHaveLength((await t.db.sql.query('select id from recording')).rows.length);

    // The supervisor's page leads to it; the call's record shows its state, duration and a player.
    expect((await sup.get('/supervisor')).text).toContain(`<a class="usa-link" href="/agent/calls/${call.callId}">Recording received on`);
    const record = await sup.get(`/agent/calls/${call.callId}`);
    expect(record.text).toContain(`<video controls preload="metadata" src="${path}"`);
    expect(record.text).toMatch(/Received.*0:06/s);

    // The referee ends the call with an outcome that is not final: their console closes, their
    // recording page stays (linked from their calls page); once the outcome is final, it is gone.
    const b = call.referee.browser!;
    const consolePage = await b.get(`/agent/calls/${call.callId}`);
    const ended = await b.post(`/agent/calls/${call.callId}/outcome`).type('form').send({ _csrf: csrfOf(consolePage.text), outcome: 'needs_more_documents', reason: 'The bill is older than 90 days' });
    expect(ended.status).toBe(303);
    expect((await b.get(`/agent/calls/${call.callId}`)).status).toBe(404);
    expect((await b.get('/agent/calls')).text).toContain(`href="/agent/calls/${call.callId}/recording"`);
    const own = await b.get(`/agent/calls/${call.callId}/recording`);
    expect(own.status).toBe(200);
    expect(own.text).toContain(`src="${path}"`);
    expect((await b.get(path).set('Range', 'bytes=0-9')).status).toBe(206);
    await t.db.sql.query(`update verification_case set status = 'failed' where id = $1`, [call.caseId]); // a later call decided it
    expect((await b.get(`/agent/calls/${call.callId}/recording`)).status).toBe(404);
    expect((await b.get(path)).status).toBe(404);
    expect((await sup.get(`/agent/calls/${call.callId}/recording`)).status).toBe(200);
  }, 60_000);

  it('refuses what is not signed, not fresh, not for a recordable call, or not a video; each refusal audited, nothing kept', async () => {
    const call = await callInProgress(t);
    const before = storedObjects().length;

    const wrong = await upload(call.room, video, { secret: 'another-secret-that-is-long-enough-to-pass' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('signature');
    expect((await upload(call.room, video, { sign: false })).status).toBe(401);
    expect((await upload(call.room, video, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401);
    expect(await refusals('signature')).toBeGreaterThanOrEqual(3);

    const unknown = await finalize('referee-no-such-room');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('refused by Referee (404)');
    expect(unknown.stderr).toContain('No call took place in this room.');
    expect(await refusals('unknown-room')).toBe(1);

    const unconsented = await callInProgress(t, false);
    const noConsent = await upload(unconsented.room, video);
    expect(noConsent.status).toBe(409);
    expect(noConsent.body.error).toBe('no-consent');
    const { rows: audited } = await t.db.sql.query(`select subject, case_id from audit_event where action = 'recording.refused' and details->>'reason' = 'no-consent'`);
    expect(audited).toEqual([{ subject: unconsented.callId, case_id: unconsented.caseId }]);

    // An HTML page named .mp4: the type comes from the bytes.
    const html = await finalize(call.room, Buffer.from('<!doctype html><html><body>not a video</body></html>'.repeat(50)));
    expect(html.stderr).toContain('refused by Referee (415)');
    expect(await refusals('type')).toBe(1);

    // More than 24 hours after the call ended.
    await t.db.sql.query(`update video_call set status = 'ended', ended_at = now() - interval '25 hours' where id = $1`, [call.callId]);
    expect((await upload(call.room, video)).status).toBe(409);
    expect(await refusals('too-late')).toBe(1);

    // Too large for RECORDING_MAX_MB (1 here).
    const other = await callInProgress(t);
    const big = await upload(other.room, Buffer.alloc(1024 * 1024 + 10));
    expect(big.status).toBe(413);

    expect(storedObjects()).toHaveLength(before);
    expect((await t.db.sql.query('select id from recording where call_id = any($1)', [[call.callId, unconsented.callId, other.callId]])).rows).toHaveLength(0);
  }, 60_000);
});

describe("the applicant's Privacy Rights Center", () => {
  it('lists each viewing of their call recording with the viewer\'s role and the time, never who it was', async () => {
    const call = await callInProgress(t);
    expect((await upload(call.room, video)).status).toBe(201);
    const { rows } = await t.db.sql.query('select id from recording where call_id = $1', [call.callId]);
    const email = `supervisor.watching.${Date.now()}@referee.example`;
    const person = await createAccount(t, email);
    await grantRoles(t, email, ['supervisor']);
    const sup = await signIn(t, person);
    expect((await sup.get(`/recordings/${rows[0].id}/video`).buffer(true).parse(binary)).status).toBe(200);
    const supervisorId = (await t.db.sql.query('select id from account where email = $1', [email])).rows[0].id;
    // The referee who ran the call watches it too: listed as the Trusted Referee.
    expect((await call.referee.browser!.get(`/recordings/${rows[0].id}/video`).buffer(true).parse(binary)).status).toBe(200);

    const page = await call.applicant.browser.get('/account/privacy/access');
    expect(page.status).toBe(200);
    const staff = [...page.text.matchAll(/<tr data-kind="staff">([\s\S]*?)<\/tr>/g)].map((m) => m[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
    // Newest first: the referee's viewing, then the supervisor's.
    expect(staff.filter((row) => row.includes('Watched the recording of your video call'))).toEqual([
      expect.stringMatching(/\d{4}.* Trusted Referee Watched the recording of your video call$/),
      expect.stringMatching(/\d{4}.* Supervisor Watched the recording of your video call$/),
    ]);
    expect(page.text).not.toContain(email);
    expect(page.text).not.toContain(supervisorId);
    expect(page.text).not.toContain(rows[0].id);
  }, 60_000);

  it('lists their recordings in the data download (date, duration, state), says the video is not in it, and how to watch it', async () => {
    const call = await callInProgress(t);
    expect((await upload(call.room, video)).status).toBe(201);
    await t.db.sql.query(`update video_call set status = 'ended', ended_at = now() - interval '1 hour' where id = $1`, [call.callId]);
    const b = call.applicant.browser;
    const confirmed = await confirmIdentity(b, call.applicant.person, '/account/privacy/download');
    expect(confirmed.headers.location).toBe('/account/privacy/download');
    const page = await b.get('/account/privacy/download');
    expect(page.text.replace(/<[^>]+>/g, '')).toContain('Your video call recordings are listed in the file (date, length, and whether we still keep them), but the videos themselves are not: they can be very large. To watch yours, ask our support team.');
    expect(page.text).toContain('<a class="usa-link" href="/support">ask our support team</a>');
    await b.post('/account/privacy/download').type('form').send({ _csrf: csrfOf(page.text) });
    await t.app.get(DataExportService).settled();
    const id = /href="\/account\/privacy\/download\/([0-9a-f-]{36})\/file"/.exec((await b.get('/account/privacy/download')).text)![1];
    const zip = unzipSync(new Uint8Array((await b.get(`/account/privacy/download/${id}/file`).buffer(true).parse(binary)).body as Buffer));

    const data = JSON.parse(strFromU8(zip['referee-data.json']));
    expect(data.recordings).toHaveLength(1);
    const [listed] = data.recordings;
    expect(listed).toMatchObject({ state: 'kept', deletedAt: null });
    expect(listed.durationSeconds).toBeCloseTo(6, 0);
    const endedAt = new Date(listed.callEndedAt).getTime();
    expect(Date.now() - endedAt).toBeGreaterThan(50 * 60_000);
    expect(new Date(listed.deletionDue).getTime()).toBe(endedAt + t.config.retention.recordingDays * 86_400_000);
    expect(data.recordingVideos).toEqual({ note: expect.stringContaining('To watch yours, ask our support team.'), askSupport: expect.stringMatching(/\/support$/) });
    // The video itself is not in the ZIP.
    expect(Object.keys(zip).filter((name) => name !== 'referee-data.json' && !name.startsWith('documents/'))).toEqual([]);
    expect(Object.values(zip).some((entry) => Buffer.from(entry).includes(video.subarray(1000, 1064)))).toBe(false);

    // Once deleted on time, it is listed as deleted, with the date.
    await t.db.sql.query(`update recording set deleted_at = now(), wrapped_key = null where call_id = $1`, [call.callId]);
    const again = await confirmIdentity(b, call.applicant.person, '/account/privacy/download');
    expect(again.headers.location).toBe('/account/privacy/download');
    await b.post('/account/privacy/download').type('form').send({ _csrf: csrfOf((await b.get('/account/privacy/download')).text) });
    await t.app.get(DataExportService).settled();
    const second = /href="\/account\/privacy\/download\/([0-9a-f-]{36})\/file"/.exec((await b.get('/account/privacy/download')).text)![1];
    const later = JSON.parse(strFromU8(unzipSync(new Uint8Array((await b.get(`/account/privacy/download/${second}/file`).buffer(true).parse(binary)).body as Buffer))['referee-data.json']));
    expect(later.recordings).toEqual([expect.objectContaining({ state: 'deleted', deletedAt: expect.any(String), deletionDue: null })]);
  }, 60_000);
});

describe('a JaaS recording, announced by its webhook and downloaded by the job', () => {
  const event = (room: string, key: string, link = `http://127.0.0.1:${jaasPort}/recordings/${key}.mp4?token=pre-authenticated`) => jaasEvent(room, key, link);
  const signed = jaasSignature;
  const webhook = (body: Buffer, signature?: string) => jaasWebhook(t, body, signature);
  const downloads = () => inContext(t, () => t.app.get(RecordingsService).runDownloads(new Date(Date.now() + 120 * 60_000 * (++clock))));
  let clock = 0;

  it('accepts a signed event only, downloads the file, and retries a download that was too large or too slow', async () => {
    const call = await callInProgress(t);
    const body = event(call.room, 'event-1');
    expect((await webhook(body)).status).toBe(401);
    expect((await webhook(body, signed(body, 'not-the-endpoint-secret'))).status).toBe(401);
    expect((await webhook(body, signed(body, JAAS_SECRET, Math.floor(Date.now() / 1000) - 600))).status).toBe(401);
    expect((await webhook(body, signed(body))).status).toBe(202);
    expect((await webhook(body, signed(body))).body).toEqual({ queued: false }); // the same event again
    const elsewhere = event(call.room, 'event-2', 'https://attacker.example/recording.mp4');
    expect((await webhook(elsewhere, signed(elsewhere))).status).toBe(400);
    const { rows: links } = await t.db.sql.query('select link_cipher from recording_download');
    expect(links.every((l) => !l.link_cipher.includes('pre-authenticated'))).toBe(true);

    // Too large (Content-Length over RECORDING_MAX_MB): abandoned, to be tried again later.
    jaasServes = 'too-large';
    expect(await downloads()).toEqual({ stored: 0, failed: 1 });
    // Too slow (the time limit, 1 s here, ends it): abandoned again.
    jaasServes = 'too-slow';
    expect(await downloads()).toEqual({ stored: 0, failed: 1 });
    const { rows: pending } = await t.db.sql.query('select attempts, finished_at, last_error from recording_download');
    expect(pending).toEqual([{ attempts: 2, finished_at: null, last_error: expect.any(String) }]);
    expect(storedObjects().filter((p) => p.endsWith('.tmp'))).toHaveLength(0);

    // Then JaaS serves it: two instances run the job at once, one downloads it, and it is done.
    jaasServes = 'video';
    const other = await startAnotherInstance(t);
    try {
      const later = new Date(Date.now() + 120 * 60_000 * ++clock);
      const both = await Promise.all([inContext(t, () => t.app.get(RecordingsService).runDownloads(later)), other.app.get(RecordingsService).runDownloads(later)]);
      expect(both[0].stored + both[1].stored).toBe(1);
    } finally {
      await other.close();
    }
    expect(await downloads()).toEqual({ stored: 0, failed: 0 });
    const { rows } = await t.db.sql.query('select source, bytes, duration_seconds from recording where call_id = $1', [call.callId]);
    expect(rows).toHaveLength(1);
    expect(rows[0].source).toBe('jaas');
    expect(Number(rows[0].bytes)).toBe(video.length);
  }, 60_000);
});

describe('retention', () => {
  it('deletes recordings RECORDING_RETENTION_DAYS after their call, once however many instances run the job', async () => {
    const call = await callInProgress(t);
    expect((await upload(call.room, video)).status).toBe(201);
    const { rows: live } = await t.db.sql.query('select id from recording where deleted_at is null');
    const sup = await supervisor();
    const { rows: mine } = await t.db.sql.query('select id from recording where call_id = $1', [call.callId]);

    // Not yet: the clock a day short of the period.
    const service = (app: { get: TestApp['app']['get'] }) => app.get(RecordingsService);
    expect(await inContext(t, () => service(t.app).deleteExpired(new Date(Date.now() + 89 * 86_400_000)))).toBe(0);

    // What a crash between writing a file and committing its row leaves: swept by the same job.
    const leftover = join(t.config.documents.dir, 'recordings', 'ab', 'ab0c1d2e-3f40-4152-8a63-748596a7b8c9');
    mkdirSync(join(leftover, '..'), { recursive: true });
    writeFileSync(leftover, Buffer.alloc(100));

    const other = await startAnotherInstance(t);
    try {
      const later = new Date(Date.now() + 91 * 86_400_000);
      const counts = await Promise.all([inContext(t, () => service(t.app).deleteExpired(later)), service(other.app).deleteExpired(later)]);
      expect(counts[0] + counts[1]).toBe(live.length);
    } finally {
      await other.close();
    }
    expect(storedObjects()).toHaveLength(0);
    const { rows: deleted } = await t.db.sql.query(`select count(*)::int as n from audit_event where action = 'recording.deleted'`);
    expect(deleted[0].n).toBe(live.length);
    const { rows: after } = await t.db.sql.query('select wrapped_key, deleted_at from recording where id = $1', [mine[0].id]);
    expect(after[0].wrapped_key).toBeNull();
    expect(after[0].deleted_at).not.toBeNull();
    expect((await sup.get(`/recordings/${mine[0].id}/video`)).status).toBe(404);
    expect((await sup.get(`/agent/calls/${call.callId}`)).text).toContain('Deleted on');
  }, 60_000);
});

describe('the supervisor page', () => {
  it('flags a consented call whose recording is still missing 30 minutes after it ended', async () => {
    const call = await callInProgress(t);
    await t.db.sql.query(`update video_call set status = 'ended', ended_at = now() - interval '31 minutes' where id = $1`, [call.callId]);
    const sup = await supervisor();
    const page = await sup.get('/supervisor');
    expect(page.text).toContain(`href="/agent/calls/${call.callId}"`);
    expect((await sup.get(`/agent/calls/${call.callId}`)).text).toContain('Missing');
  }, 60_000);
});

describe('the recording file format', () => {
  const id = 'a1b2c3d4-0000-4000-8000-000000000001';
  const key = Buffer.alloc(32, 7);
  const plain = Buffer.from(Array.from({ length: 3 * CHUNK + 1234 }, (_, i) => (i * 31) % 251));
  const seal = async () => collect(Readable.from([plain.subarray(0, 70_000), plain.subarray(70_000)]).pipe(sealStream(key, id)));
  const open = (sealed: Buffer, start: number, end: number, recordingId = id) => {
    const { from, to } = storedRange(plain.length, start, end);
    return collect(Readable.from([sealed.subarray(from, to + 1)]).pipe(openRange(key, recordingId, plain.length, start, end)));
  };
  const chunkAt = (i: number) => HEADER_BYTES + i * (CHUNK + 16);

  it('opens any range, and refuses chunks moved to another recording, reordered, altered or cut off', async () => {
    const sealed = await seal();
    expect(sealed.length).toBe(sealedSize(plain.length));
    expect(Buffer.compare(await open(sealed, 0, plain.length - 1), plain)).toBe(0);
    expect(Buffer.compare(await open(sealed, CHUNK - 5, 2 * CHUNK + 5), plain.subarray(CHUNK - 5, 2 * CHUNK + 6))).toBe(0);

    await expect(open(sealed, 0, 10, 'a1b2c3d4-0000-4000-8000-000000000002')).rejects.toThrow('did not decrypt');
    const swapped = Buffer.from(sealed);
    sealed.copy(swapped, chunkAt(0), chunkAt(1), chunkAt(2));
    sealed.copy(swapped, chunkAt(1), chunkAt(0), chunkAt(1));
    await expect(open(swapped, 0, 10)).rejects.toThrow('did not decrypt');
    const altered = Buffer.from(sealed);
    altered[chunkAt(2) + 100] ^= 1;
    await expect(open(altered, 2 * CHUNK, 2 * CHUNK + 10)).rejects.toThrow('did not decrypt');
    // Cut after the third chunk: that chunk now reads as the last one, which it was not sealed as.
    const cut = sealed.subarray(0, chunkAt(3));
    const shorter = 3 * CHUNK;
    const { from, to } = storedRange(shorter, 2 * CHUNK, shorter - 1);
    await expect(collect(Readable.from([cut.subarray(from, to + 1)]).pipe(openRange(key, id, shorter, 2 * CHUNK, shorter - 1)))).rejects.toThrow('did not decrypt');
  });
});

describe('the recording settings', () => {
  it('say clearly what is wrong', () => {
    const base = { NODE_ENV: 'test', DATA_DIR: join(work, 'config-data') }; // development keys it makes go there
    expect(() => loadConfig({ ...base, RECORDING_UPLOAD_SECRET: 'short' })).toThrow(new ConfigError('RECORDING_UPLOAD_SECRET', 'must be at least 32 characters'));
    expect(() => loadConfig({ ...base, JAAS_WEBHOOK_SECRET: 'a-webhook-secret-long-enough' })).toThrow(/JAAS_DOWNLOAD_HOST is required when JAAS_WEBHOOK_SECRET is set/);
    expect(() => loadConfig({ ...base, JAAS_WEBHOOK_SECRET: 'a-webhook-secret-long-enough', JAAS_DOWNLOAD_HOST: 'https://x' })).toThrow(/JAAS_DOWNLOAD_HOST must be a host name/);
    expect(() => loadConfig({ ...base, RECORDING_MAX_MB: '0' })).toThrow(/RECORDING_MAX_MB must be between 1 and 65536/);
    expect(loadConfig(base).recordings).toEqual({ maxBytes: 4096 * 1024 * 1024, downloadTimeoutSeconds: 1800 });
  });
});
