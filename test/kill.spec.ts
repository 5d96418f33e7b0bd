import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { AuditService } from '../src/audit/audit.service';
import { LOCKS } from '../src/jobs/jobs';
import { DocumentRetentionService } from '../src/documents/document-retention.service';
import { AppointmentsService } from '../src/scheduling/appointments.service';
import { createAccount, grantRoles, signIn } from './harness/accounts';
import { startTestApp, type TestApp } from './harness/app';
import { approvedApplicant, inContext, newReferee } from './harness/calls';
import { applicantAtDocuments, photo, submitDocuments, uploadAll, uploadFile } from './harness/documents';
import { csrfOf } from './harness/forms';
import { messagesTo } from './harness/outbox';
import { sameSessionOn, startRefereeProcess, type RefereeProcess } from './harness/process';
import type { Applicant } from './harness/verification';

/**
 * Referee killed outright (SIGKILL, a separate OS process) in the middle of an upload, a
 * review decision and a booking, then started again on the same database and document
 * folder: nothing is half-written, nothing stays locked, and the person can do it again.
 *
 * Each kill is timed on observable state, not on guesses: the test holds a lock on the
 * table the request's transaction writes next, waits until PostgreSQL shows that
 * transaction waiting for it (and, for uploads, the file already in the store), kills the
 * process, then lets go. The in-process test app shares the database, the secrets and the
 * folder: it sets people up and runs the jobs, as a second instance would.
 */
let t: TestApp;
let referee: RefereeProcess;
/** A second connection: holds the locks while `t.db.sql` looks at what is happening. */
let holder: Client;
const figures: string[] = [];

const CLAIM_SECONDS = 10;
beforeAll(async () => {
  t = await startTestApp({ REVIEW_CLAIM_SECONDS: String(CLAIM_SECONDS) });
  referee = await startRefereeProcess(t);
  figures.push(`first start ${referee.startMs} ms`);
  holder = new Client({ connectionString: t.db.url });
  await holder.connect();
}, 60_000);
afterAll(async () => {
  await holder?.end();
  await referee?.stop();
  await t?.close();
  process.stdout.write(`kill: ${figures.join('; ')}\n`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** The backend of another connection waiting for a lock, running a statement like `pattern`. */
async function blockedBackend(pattern: string): Promise<number | undefined> {
  const { rows } = await t.db.sql.query(
    `select pid from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and pid <> $1
        and wait_event_type = 'Lock' and query ilike $2`,
    [(holder as any).processID, pattern],
  );
  return rows[0]?.pid;
}

/** Tables a backend's open transaction has written to (it holds ROW EXCLUSIVE on them). */
async function writtenBy(pid: number): Promise<string[]> {
  const { rows } = await t.db.sql.query(
    `select distinct c.relname from pg_locks l join pg_class c on c.oid = l.relation
      where l.pid = $1 and l.mode = 'RowExclusiveLock' and l.granted and c.relkind = 'r' order by 1`,
    [pid],
  );
  return rows.map((r) => r.relname);
}

async function gone(pid: number): Promise<void> {
  await waitFor(`backend ${pid} to end`, async () => (await t.db.sql.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount === 0);
}

/** SIGKILL and start again; records both durations. */
async function killAndRestart(scenario: string, beforeRestart: () => Promise<void> = async () => undefined): Promise<void> {
  const killMs = await referee.kill();
  await beforeRestart();
  await referee.restart();
  figures.push(`${scenario}: exited ${killMs} ms after SIGKILL, ready again in ${referee.startMs} ms`);
}

/** The store's files (relative names, sorted), temp files included. */
function storedFiles(): string[] {
  const dir = t.config.documents.dir;
  const read = (d: string) => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  };
  return read(dir).flatMap((prefix) => read(join(dir, prefix)).map((name) => `${prefix}/${name}`)).sort();
}

/** The applicant, talking to the separate process. */
function onProcess<A extends Applicant>(a: A): A {
  const browser = sameSessionOn(a.browser, referee.base);
  return { ...a, browser, post: async (path: string, fields: Record<string, string> = {}) => browser.post(path).type('form').send({ _csrf: csrfOf((await browser.get('/account')).text), ...fields }) };
}

/** Subjects of the emails to a case's contact address or its account's, oldest first. */
async function emailsOf(caseId: string) {
  const { rows } = await t.db.sql.query('select c.email as contact, a.email as account from verification_case c join account a on a.id = c.account_id where c.id = $1', [caseId]);
  const addresses = [...new Set([rows[0].contact, rows[0].account].filter(Boolean))];
  const mails = (await Promise.all(addresses.map((to) => messagesTo(t.db.sql, to)))).flat();
  return mails.sort((x, y) => x.created_at.getTime() - y.created_at.getTime()).map((m) => ({ subject: m.subject }));
}

/** Everything a case's history is made of, to compare before and after a kill. */
async function caseRows(caseId: string) {
  const q = async (sql: string) => (await t.db.sql.query(sql, [caseId])).rows;
  return {
    status: (await q('select status from verification_case where id = $1'))[0].status,
    events: await q(`select action as type from audit_event where case_id = $1 and action like 'verification.%' order by id`),
    review: (await q('select decided_at, decided_by, claimed_by, decisions from document_review where case_id = $1'))[0],
    files: await q('select storage_key from document_file where verification_case_id = $1 order by storage_key'),
    appointments: await q('select a.status, s.starts_at as slot from appointment a left join booked_slot s on s.appointment_id = a.id where a.verification_case_id = $1 order by a.created_at'),
    audit: await q(`select action, actor_id from audit_event where case_id = $1 and action in ('documents.reviewed') order by id`),
    // To the case's contact address or the account's (the tests run one at a time, so these are this case's).
    emails: await emailsOf(caseId),
  };
}

describe('SIGKILL during an upload', () => {
  it('mid-body or after the file is stored: no document row, the orphan file is swept, and the applicant uploads again', async () => {
    const a = await applicantAtDocuments(t, 'kill-upload');
    const caseId: string = (await a.row()).id;
    const image = await photo(2400, 1600);
    const before = storedFiles();

    // 1. Killed while the body is still arriving: the process has read half the file.
    const browser = sameSessionOn(a.browser, referee.base);
    const csrf = csrfOf((await browser.get('/documents')).text);
    const cookie = browser.jar.getCookie('referee', { domain: '127.0.0.1', path: '/', secure: false, script: false })!;
    const boundary = `----kill${Date.now()}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const readBytes = () => Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${referee.child.pid}/io`, 'utf8'))![1]);
    const readBefore = readBytes();
    const req = httpRequest(`${referee.base}/documents/upload/first/photo_page`, {
      method: 'POST',
      headers: { cookie: `referee=${cookie.value}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + image.length + tail.length },
    });
    const answered = new Promise<string>((resolve) => {
      req.on('response', (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    req.write(Buffer.concat([head, image.subarray(0, image.length / 2)]));
    await waitFor('the process to read half the file', () => readBytes() - readBefore >= image.length / 2);
    await killAndRestart('upload, mid-body');
    expect(await answered).toMatch(/ECONNRESET|socket hang up/);
    expect(storedFiles()).toEqual(before);
    expect((await caseRows(caseId)).files).toEqual([]);

    // 2. Killed after the file is written to the store, before its row commits.
    await holder.query('begin');
    await holder.query('lock table document_file in share mode');
    const upload = uploadFile(onProcess(a), 'first', 'photo_page', image).then(
      (res) => `status ${res.status}`,
      (error) => error.code ?? error.message,
    );
    // The store writes a temporary file and renames it: the file is stored once it has its own name.
    const stored = await waitFor('the file in the store', () => {
      const added = storedFiles().filter((f) => !before.includes(f) && !f.endsWith('.tmp'));
      return added.length ? added : undefined;
    });
    const pid = await waitFor('the upload to wait for its row', () => blockedBackend('%document_file%'));
    await killAndRestart('upload, file stored, row not committed', async () => {
      await holder.query('rollback');
      await gone(pid);
    });
    expect(await upload).toMatch(/ECONNRESET|socket hang up/);
    expect((await caseRows(caseId)).files).toEqual([]); // no row, so no document the applicant or a reviewer could open
    expect(stored).toHaveLength(1);
    expect(storedFiles()).toEqual([...before, ...stored].sort()); // the orphan: a file without its row

    // The sweep leaves it alone within the grace period (an upload might be about to commit it)…
    const sweep = t.app.get(DocumentRetentionService);
    expect(await sweep.sweepOrphans()).toBe(0);
    expect(storedFiles()).toContain(stored[0]);
    // …and deletes it after.
    expect(await sweep.sweepOrphans(new Date(Date.now() + (t.config.orphanFileGraceMinutes + 1) * 60_000))).toBe(1);
    expect(storedFiles()).toEqual(before);

    // The applicant tries again on the restarted process.
    const retried = await uploadFile(onProcess(a), 'first', 'photo_page', image);
    expect([retried.status, retried.headers.location]).toEqual([303, '/documents#first']);
    const { files } = await caseRows(caseId);
    expect(files).toHaveLength(1);
    expect(storedFiles()).toEqual([...before, `${files[0].storage_key.slice(0, 2)}/${files[0].storage_key}`].sort());
    const { rows: [file] } = await t.db.sql.query('select id from document_file where verification_case_id = $1', [caseId]);
    const opened = await onProcess(a).browser.get(`/documents/file/${file.id}`);
    expect([opened.status, opened.headers['content-type']]).toEqual([200, 'image/jpeg']);
    // A file with its row is never swept, however old.
    expect(await sweep.sweepOrphans(new Date(Date.now() + 48 * 3600_000))).toBe(0);
    expect((await onProcess(a).browser.get(`/documents/file/${file.id}`)).status).toBe(200);
  }, 120_000);
});

describe('SIGKILL during a review decision', () => {
  async function reviewer(label: string) {
    const person = await createAccount(t, `${label}.${Date.now()}@referee.example`);
    await grantRoles(t, person.email, ['reviewer']);
    const local = await signIn(t, person);
    const { rows: [account] } = await t.db.sql.query('select id from account where email = $1', [person.email]);
    const on = (browser: ReturnType<TestApp['browser']>) => ({
      browser,
      post: async (path: string, fields: Record<string, string> = {}) => browser.post(path).type('form').send({ _csrf: csrfOf((await browser.get('/agent/review')).text), ...fields }),
    });
    return { id: account.id as string, local: on(local), process: () => on(sameSessionOn(local, referee.base)) };
  }
  const APPROVE = { 'decision-0': 'accepted', 'decision-1': 'accepted', 'decision-2': 'accepted' };

  it('after every row is written but before the commit: nothing of it remains; the claim lapses and another reviewer decides', async () => {
    const a = await applicantAtDocuments(t, 'kill-review');
    await uploadAll(a);
    expect((await submitDocuments(a)).status).toBe(303);
    const caseId: string = (await a.row()).id;
    const [first, second] = [await reviewer('first'), await reviewer('second')];
    const claimed = await first.process().post('/agent/review/next');
    expect(claimed.headers.location).toBe(`/agent/review/${caseId}`);
    expect((await first.process().browser.get(`/agent/review/${caseId}`)).status).toBe(200);
    const snapshot = await caseRows(caseId);
    expect(snapshot.status).toBe('in_review');
    expect(snapshot.review).toMatchObject({ decided_at: null, claimed_by: first.id });

    // The decision's transaction waits for the audit chain, its last step.
    await holder.query('select pg_advisory_lock($1)', [LOCKS.auditChain]);
    const decision = first.process().post(`/agent/review/${caseId}`, APPROVE).then(
      (res) => `status ${res.status}`,
      (error) => error.code ?? error.message,
    );
    const pid = await waitFor('the decision to wait for the audit chain', () => blockedBackend('%audit_append%'));
    // Everything else is already written, uncommitted (the case's events follow in the audit log, at the commit).
    expect(await writtenBy(pid)).toEqual(expect.arrayContaining(['document_review', 'outbox_message', 'verification_case']));
    await killAndRestart('review decision, rows written, not committed', async () => {
      await holder.query('select pg_advisory_unlock($1)', [LOCKS.auditChain]);
      await gone(pid);
      // While the claim lasts, the case is still the first reviewer's: nobody else gets it.
      expect((await second.local.post('/agent/review/next')).headers.location).toBe('/agent/review?empty=1');
    });
    expect(await decision).toMatch(/ECONNRESET|socket hang up/);
    const after = await caseRows(caseId);
    expect(after).toEqual(snapshot); // no decision, no status change, no event, no email, no audit entry

    // The claim lapses after REVIEW_CLAIM_SECONDS without activity; then the second reviewer takes the case.
    const lapse = Date.now();
    await waitFor('the claim to lapse', async () => (await second.process().post('/agent/review/next')).headers.location === `/agent/review/${caseId}`, (CLAIM_SECONDS + 10) * 1000);
    figures.push(`claim taken over ${((Date.now() - lapse) / 1000).toFixed(1)} s after the restart (claims last ${CLAIM_SECONDS} s)`);
    const decided = await second.process().post(`/agent/review/${caseId}`, APPROVE);
    expect(decided.headers.location).toBe('/agent/review?decided=approved');
    // The first reviewer's lapsed claim cannot decide any more.
    expect((await first.process().post(`/agent/review/${caseId}`, APPROVE)).status).toBe(404);

    const done = await caseRows(caseId);
    expect(done.status).toBe('approved');
    expect(done.review).toMatchObject({ decided_by: second.id, claimed_by: null, decisions: { first: { decision: 'accepted' } } });
    expect(done.audit).toEqual([{ action: 'documents.reviewed', actor_id: second.id }]);
    // The case's history gains exactly the decision's two events.
    expect(done.events.slice(0, snapshot.events.length)).toEqual(snapshot.events);
    expect(done.events.slice(snapshot.events.length).map((e) => e.type).sort()).toEqual(['verification.documents_reviewed', 'verification.status_changed']);
    expect(done.emails.map((e) => e.subject)).toEqual([...snapshot.emails.map((e) => e.subject), 'Your documents were approved: join a video call']);
    expect((await t.app.get(AuditService).verifyChain()).brokenAt).toBeNull();
    expect((await onProcess(a).browser.get('/documents/review/status').set('HX-Request', 'true')).text).toContain('href="/call/schedule"');
  }, 120_000);
});

describe('SIGKILL during a booking', () => {
  let agent: { accountId: string };
  const slotsOn = (html: string) => [...html.matchAll(/name="slot" value="([^"]+)"/g)].map((m) => m[1]);
  beforeAll(async () => {
    // A Trusted Referee working around the clock, so there are slots whenever the test runs.
    agent = await newReferee(t, 'kill-agent', false);
    const appointments = t.app.get(AppointmentsService);
    for (let weekday = 0; weekday < 7; weekday++) {
      await inContext(t, () => appointments.addShift(agent.accountId, { weekday, startMinute: 0, endMinute: 24 * 60, timeZone: 'UTC' }));
    }
  });

  it('after the appointment and its slot are written but before the commit: no half-booked slot; the applicant books again', async () => {
    const a = await approvedApplicant(t, 'kill-booking');
    const slot = slotsOn((await onProcess(a).browser.get('/call/schedule?tz=UTC')).text)[2];
    expect(slot).toBeDefined();
    const snapshot = await caseRows(a.caseId);
    expect([snapshot.status, snapshot.appointments]).toEqual(['approved', []]);

    // The booking's transaction waits to queue its confirmation email, its last write.
    await holder.query('begin');
    await holder.query('lock table outbox_message in share mode');
    const booking = onProcess(a).post('/call/schedule', { slot, timeZone: 'UTC' }).then(
      (res) => `status ${res.status}`,
      (error) => error.code ?? error.message,
    );
    const pid = await waitFor('the booking to wait for its email', () => blockedBackend('%outbox_message%'));
    // (The case's events go to the audit log at the commit, after it: they are checked below with the rest.)
    expect(await writtenBy(pid)).toEqual(expect.arrayContaining(['appointment', 'booked_slot', 'verification_case']));
    await killAndRestart('booking, appointment and slot written, not committed', async () => {
      await holder.query('rollback');
      await gone(pid);
    });
    expect(await booking).toMatch(/ECONNRESET|socket hang up/);
    expect(await caseRows(a.caseId)).toEqual(snapshot); // no appointment, no held slot, no status change, no event, no email
    const { rows: held } = await t.db.sql.query('select 1 from booked_slot where agent_id = $1 and starts_at = $2', [agent.accountId, slot]);
    expect(held).toEqual([]);

    // The slot is free and the applicant books it on the restarted process.
    const again = await onProcess(a).browser.get('/call/schedule?tz=UTC');
    expect(again.text).toContain(`value="${slot}"`);
    const booked = await onProcess(a).post('/call/schedule', { slot, timeZone: 'UTC' });
    expect(booked.headers.location).toBe('/call?booked=1');
    const done = await caseRows(a.caseId);
    expect(done.status).toBe('scheduled');
    expect(done.appointments).toEqual([{ status: 'booked', slot: new Date(slot) }]);
    expect(done.events.slice(0, snapshot.events.length)).toEqual(snapshot.events);
    expect(done.events.slice(snapshot.events.length).map((e) => e.type).sort()).toEqual(['verification.appointment_booked', 'verification.status_changed']);
    expect(done.emails.map((e) => e.subject)).toEqual([...snapshot.emails.map((e) => e.subject), 'Your Referee video call is booked']);
  }, 120_000);

  it('killed at arbitrary moments of a booking: each time all of it or none of it, and a booking that did not happen can be made', async () => {
    const delays = [0, 5, 10, 20, 40, 80, 160];
    const slots = slotsOn((await onProcess(await approvedApplicant(t, 'kill-slots')).browser.get('/call/schedule?tz=UTC')).text).slice(10);
    let whole = 0;
    let none = 0;
    const restarts: number[] = [];
    for (const [i, delay] of delays.entries()) {
      const a = onProcess(await approvedApplicant(t, `kill-at-${delay}`));
      const csrf = csrfOf((await a.browser.get('/account')).text);
      const before = await caseRows(a.caseId);
      const sent = a.browser.post('/call/schedule').type('form').send({ _csrf: csrf, slot: slots[i], timeZone: 'UTC' }).then(
        (res) => `status ${res.status}`,
        (error) => error.code ?? error.message,
      );
      await sleep(delay);
      await referee.kill();
      await sent;
      // The killed process's transactions are over (rolled back, or committed before the kill).
      await waitFor('the killed connections to end', async () => (await t.db.sql.query(
        `select 1 from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state in ('active', 'idle in transaction')`,
      )).rowCount === 0);
      const after = await caseRows(a.caseId);
      if (after.status === 'scheduled') {
        whole++;
        expect(after.appointments).toEqual([{ status: 'booked', slot: new Date(slots[i]) }]);
        expect(after.events.slice(before.events.length).map((e) => e.type).sort()).toEqual(['verification.appointment_booked', 'verification.status_changed']);
        expect(after.emails.slice(before.emails.length).map((e) => e.subject)).toEqual(['Your Referee video call is booked']);
      } else {
        none++;
        expect(after).toEqual(before);
      }
      await referee.restart();
      restarts.push(referee.startMs);
      if (after.status !== 'scheduled') {
        expect((await a.post('/call/schedule', { slot: slots[i], timeZone: 'UTC' })).headers.location).toBe('/call?booked=1');
        expect((await caseRows(a.caseId)).appointments).toEqual([{ status: 'booked', slot: new Date(slots[i]) }]);
      }
    }
    // A kill the moment the request is sent lands before anything is written.
    expect(none).toBeGreaterThan(0);
    figures.push(`bookings killed ${delays.length} times (${delays.join(', ')} ms after sending): ${whole} whole, ${none} not at all; restarts ${Math.min(...restarts)}–${Math.max(...restarts)} ms`);
  }, 180_000);
});
