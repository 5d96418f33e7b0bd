import { MikroORM } from '@mikro-orm/postgresql';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AuditRetentionService } from '../src/audit/audit-retention.service';
import { appendParams, AuditService } from '../src/audit/audit.service';
import { appendToChain } from '../src/audit/chain.queries';
import { PROJECT_ROOT } from '../src/config/paths';
import { SignInRecordsService } from '../src/identity/sign-in-records.service';
import { SupportService } from '../src/support/support.service';
import { SupportRetentionService } from '../src/support/support-retention.service';
import { UnfinishedCasesService } from '../src/verification/unfinished-cases.service';
import { startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { createAccount, signIn } from './harness/accounts';
import { inContext } from './harness/calls';
import { applicantAtDocuments, storedFiles, uploadAll } from './harness/documents';
import { emailCount, lastEmailTo } from './harness/outbox';
import { createOrganization } from './oidc/flow';

/**
 * Every retention promise of the privacy policy, kept by a job: each job is run with the clock
 * moved forward (its `now`) or with rows aged in SQL, and shown to delete what is past its
 * period and keep what is not; each runs once when two instances start it together.
 */
const DAY = 86_400_000;
const YEAR = 365 * DAY;
const later = (ms: number) => new Date(Date.now() + ms);

let t: TestApp;
let other: Awaited<ReturnType<typeof startAnotherInstance>>;
beforeAll(async () => {
  t = await startTestApp();
  other = await startAnotherInstance(t);
});
afterAll(async () => {
  await other?.close();
  await t?.close();
});

const count = async (app: TestApp, query: string, params: unknown[] = []) => Number((await app.db.sql.query(query, params)).rows[0].n);
/** Runs of a job that did something (a run that found the lock taken records nothing). */
const workingRuns = (app: TestApp, job: string) => count(app, `select count(*) as n from job_run where job = $1 and rows > 0`, [job]);

describe('audit events (AUDIT_RETENTION_YEARS)', () => {
  let a: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ AUDIT_RETENTION_YEARS: '7' });
  });
  afterAll(() => a?.close());

  const audit = () => a.app.get(AuditService);
  const actions = async () => (await a.db.sql.query(`select action from audit_event order by id`)).rows.map((r) => r.action);
  /** An event dated `at` (history is appended in id order; only its date is in the future). */
  const appendAt = (action: string, at: Date) => appendToChain(a.app.get(MikroORM).em.fork(), appendParams({ action }, at));
  const verifyCli = (): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/src/audit/audit-cli.js')], {
        env: { PATH: process.env.PATH!, DATABASE_URL: a.db.url, NODE_ENV: 'test', SESSION_SECRET: 'x'.repeat(43), PII_KEYS: a.env.PII_KEYS, PII_FINGERPRINT_KEY: a.env.PII_FINGERPRINT_KEY, DATA_DIR: a.config.dataDir, LOG_LEVEL: 'silent' },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out }));
    });

  it('deletes the events older than the period, oldest first, keeps a signed checkpoint, and the chain still verifies', async () => {
    for (const n of [1, 2, 3]) await audit().record({ action: `test.old_${n}` });
    await appendAt('test.younger', later(2 * YEAR));
    await audit().record({ action: 'test.after' });
    const before = await count(a, `select count(*) as n from audit_event`);
    const youngerAt = (await a.db.sql.query(`select id from audit_event where action = 'test.younger'`)).rows[0].id;

    // An ordinary DELETE (and TRUNCATE) is still refused: only the retention cut gets past the trigger.
    await expect(a.db.sql.query(`delete from audit_event where action = 'test.old_1'`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(a.db.sql.query(`truncate audit_event`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(a.db.sql.query(`update audit_event set action = 'x' where action = 'test.old_1'`)).rejects.toThrow(/append-only: UPDATE refused/);

    // Six years on: nothing is old enough.
    expect(await a.app.get(AuditRetentionService).deleteExpired(later(6 * YEAR))).toBe(0);
    // Eight years on: everything recorded before the event dated a year ahead is deleted;
    // that event and everything after it (the cut never leaves a hole) are kept.
    const removed = await a.app.get(AuditRetentionService).deleteExpired(later(8 * YEAR));
    const older = before - (await count(a, `select count(*) as n from audit_event where id >= $1`, [youngerAt]));
    expect(removed).toBe(older);
    expect(await actions()).toEqual(['test.younger', 'test.after']);
    const { rows: [checkpoint] } = await a.db.sql.query(`select * from audit_checkpoint`);
    expect(checkpoint).toMatchObject({ removed: older, signature: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Number(checkpoint.last_event_id)).toBeLessThan(Number(youngerAt));

    await audit().record({ action: 'test.next' });
    expect(await audit().verifyChain()).toMatchObject({ brokenAt: null, checked: 3, from: { removed: older } });
    const cli = await verifyCli();
    expect(cli.code).toBe(0);
    expect(cli.out).toMatch(/Audit chain intact: 3 events checked from the retention checkpoint of /);
  });

  it('continues the chain from the checkpoint when every event was deleted', async () => {
    await a.app.get(AuditRetentionService).deleteExpired(later(20 * YEAR));
    expect(await actions()).toEqual([]);
    await audit().record({ action: 'test.first_after_all' });
    expect(await audit().verifyChain()).toMatchObject({ brokenAt: null, checked: 1 });
  });

  it('still finds an event deleted in the middle, and a checkpoint edited or forged', async () => {
    for (const n of [1, 2, 3]) await audit().record({ action: `test.middle_${n}` });
    const ids = (await a.db.sql.query(`select id from audit_event where action like 'test.middle_%' order by id`)).rows.map((r) => r.id);

    // Someone with the owner's powers edits the newest checkpoint (fewer events "removed").
    const { rows: [newest] } = await a.db.sql.query(`select id, removed from audit_checkpoint order by id desc limit 1`);
    await a.db.sql.query(`update audit_checkpoint set removed = removed - 1 where id = $1`, [newest.id]);
    expect(await audit().verifyChain()).toMatchObject({ brokenAt: `checkpoint ${newest.id}`, reason: expect.stringMatching(/signature/) });
    const cli = await verifyCli();
    expect(cli.code).toBe(2);
    expect(cli.out).toContain(`Audit chain BROKEN at checkpoint ${newest.id}`);
    await a.db.sql.query(`update audit_checkpoint set removed = $2 where id = $1`, [newest.id, newest.removed]);
    expect((await audit().verifyChain()).brokenAt).toBeNull();

    // A checkpoint written by someone without the server's key, to hide a cut of their own.
    const { rows: [forged] } = await a.db.sql.query(
      `insert into audit_checkpoint (last_event_id, last_hash, removed, cut_at, signature) select id, hash, 1, now(), $1 from audit_event where id = $2 returning id`,
      [randomBytes(32).toString('hex'), ids[0]],
    );
    expect(await audit().verifyChain()).toMatchObject({ brokenAt: `checkpoint ${forged.id}` });
    await a.db.sql.query(`delete from audit_checkpoint where id = $1`, [forged.id]);

    // An event deleted from the middle, bypassing the trigger: the next one's link is broken.
    await a.db.sql.query(`alter table audit_event disable trigger append_only`);
    await a.db.sql.query(`delete from audit_event where id = $1`, [ids[1]]);
    await a.db.sql.query(`alter table audit_event enable trigger append_only`);
    expect(await audit().verifyChain()).toMatchObject({ brokenAt: ids[2], reason: 'its link to the row before does not match' });
  });

  it('runs once when two instances start it together', async () => {
    const b = await startTestApp();
    const second = await startAnotherInstance(b);
    try {
      for (const n of [1, 2, 3, 4]) await b.app.get(AuditService).record({ action: `test.twice_${n}` });
      const all = await count(b, `select count(*) as n from audit_event`);
      const now = later(8 * YEAR);
      const [x, y] = await Promise.all([b.app.get(AuditRetentionService).deleteExpired(now), second.app.get(AuditRetentionService).deleteExpired(now)]);
      expect(x + y).toBe(all);
      expect(await count(b, `select count(*) as n from audit_checkpoint`)).toBe(1);
      expect(await workingRuns(b, 'audit-retention')).toBe(1);
      await b.app.get(AuditService).record({ action: 'test.after_twice' });
      expect((await b.app.get(AuditService).verifyChain()).brokenAt).toBeNull();
    } finally {
      await second.close();
      await b.close();
    }
  });
});

describe('support requests (SUPPORT_RETENTION_DAYS)', () => {
  const ask = (email: string) =>
    inContext(t, () => t.app.get(SupportService).ask({ email, language: 'en' }, { category: 'account', message: `A question from ${email}` }, {}));

  it('deletes a request and its messages a period after the last message; a younger one stays; once across instances', async () => {
    const old = await ask(`old.${Date.now()}@example.org`);
    const recent = await ask(`recent.${Date.now()}@example.org`);
    await t.db.sql.query(`update support_request set last_activity_at = now() - interval '366 days' where id = $1`, [old.id]);
    await t.db.sql.query(`update support_request set last_activity_at = now() - interval '364 days' where id = $1`, [recent.id]);
    expect(await count(t, `select count(*) as n from support_message where request_id = $1`, [old.id])).toBe(1);

    const [x, y] = await Promise.all([t.app.get(SupportRetentionService).deleteExpired(), other.app.get(SupportRetentionService).deleteExpired()]);
    expect(x + y).toBe(1);
    expect(await workingRuns(t, 'support-retention')).toBe(1);
    expect(await count(t, `select count(*) as n from support_request where id = $1`, [old.id])).toBe(0);
    expect(await count(t, `select count(*) as n from support_message where request_id = $1`, [old.id])).toBe(0);
    expect(await count(t, `select count(*) as n from support_request where id = $1`, [recent.id])).toBe(1);
    expect(await count(t, `select count(*) as n from support_message where request_id = $1`, [recent.id])).toBe(1);
  });
});

describe('expired sign-in records', () => {
  it('deletes ended sessions, used or expired links, expired second-factor steps and remembered browsers, and stale organization returns; keeps the live ones; once across instances', async () => {
    const person = await createAccount(t, `records.${Date.now()}@example.org`);
    await signIn(t, person);
    await signIn(t, person);
    const accountId = (await t.db.sql.query(`select id from account where email = $1`, [person.email])).rows[0].id;
    const sessions = (await t.db.sql.query(`select id from session where account_id = $1 order by created_at`, [accountId])).rows.map((r) => r.id);
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    // One session timed out (idle) two days ago; the others are in use, or ended less than a day ago.
    await t.db.sql.query(`update session set last_seen_at = now() - interval '20 hours' where id = $1`, [sessions[1]]);
    await t.db.sql.query(`update session set last_seen_at = now() - interval '2 days' where id = $1`, [sessions[0]]);

    const link = async (label: string, expires: string, used: string | null) => {
      await t.db.sql.query(
        `insert into link (id, purpose, account_id, token_hash, expires_at, used_at, created_at) values ($1, 'reset_password', $2, $3, now() + $4::interval, now() + $5::interval, now() - interval '30 days')`,
        [randomUUID(), accountId, `${label}-${randomUUID()}`, expires, used],
      );
    };
    await link('usedlongago', '1 day', '-8 days');
    await link('expiredlongago', '-8 days', null);
    await link('usedyesterday', '1 day', '-1 day');
    await link('expiredyesterday', '-1 day', null);
    await link('live', '1 day', null);

    const steps = [`totp_setup:${randomUUID()}`, `totp_setup:${randomUUID()}`];
    await t.db.sql.query(
      `insert into mfa_pending (id, purpose, account_id, data, expires_at, created_at) values ($1, 'totp_setup', $3, '{}', now() - interval '1 minute', now()), ($2, 'totp_setup', $3, '{}', now() + interval '10 minutes', now())`,
      [...steps, accountId],
    );
    await t.db.sql.query(
      `insert into remembered_browser (token_hash, account_id, expires_at) values ($1, $3, now() - interval '1 minute'), ($2, $3, now() + interval '29 days')`,
      [`gone-${randomUUID()}`, `kept-${randomUUID()}`, accountId],
    );
    const { organization } = await createOrganization(t);
    const waiting = await createAccount(t, `waiting.${Date.now()}@example.org`);
    const waitingId = (await t.db.sql.query(`select id from account where email = $1`, [waiting.email])).rows[0].id;
    await t.db.sql.query(
      `insert into oidc_pending_return (account_id, organization_id, created_at) values ($1, $3, now() - interval '181 days'), ($2, $3, now() - interval '179 days')`,
      [accountId, waitingId, organization.id],
    );

    const [x, y] = await Promise.all([t.app.get(SignInRecordsService).deleteExpired(), other.app.get(SignInRecordsService).deleteExpired()]);
    const done = x.sessions + x.links + y.sessions + y.links;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(await workingRuns(t, 'expired-sign-in-records')).toBe(1);

    expect((await t.db.sql.query(`select id from session where account_id = $1 order by created_at`, [accountId])).rows.map((r) => r.id)).toEqual(sessions.slice(1));
    const links = (await t.db.sql.query(`select split_part(token_hash, '-', 1) as label from link where account_id = $1 and purpose = 'reset_password' order by label`, [accountId])).rows;
    expect(links.map((r) => r.label)).toEqual(['expiredyesterday', 'live', 'usedyesterday']);
    expect((await t.db.sql.query(`select id from mfa_pending where id = any($1)`, [steps])).rows.map((r) => r.id)).toEqual([steps[1]]);
    expect((await t.db.sql.query(`select token_hash from remembered_browser where account_id = $1`, [accountId])).rows.map((r) => r.token_hash.split('-')[0])).toEqual(['kept']);
    expect((await t.db.sql.query(`select account_id from oidc_pending_return where organization_id = $1`, [organization.id])).rows.map((r) => r.account_id)).toEqual([waitingId]);
  });
});

describe('unfinished cases (UNFINISHED_CASE_DAYS)', () => {
  it('warns the applicant 14 days before, in their language, then deletes the case with its files; the account stays', async () => {
    const a = await applicantAtDocuments(t, 'idle');
    await uploadAll(a);
    const c = await a.row();
    const files = (await t.db.sql.query(`select storage_key from document_file where verification_case_id = $1`, [c.id])).rows.map((r) => r.storage_key);
    expect(files).toHaveLength(2);
    await t.db.sql.query(`update account set language = 'fr' where email = $1`, [a.person.email]);
    const jobs = t.app.get(UnfinishedCasesService);
    const emailsBefore = await emailCount(t.db.sql, a.person.email);

    // 160 days on: not yet 14 days from the end of the 180.
    await jobs.run(later(160 * DAY));
    expect(await emailCount(t.db.sql, a.person.email)).toBe(emailsBefore);

    // 170 days on: the warning, once, in French, with the date and how to keep the case. The date
    // is 14 days from the warning (day 184), as the job ran late: never sooner than 14 days' notice.
    await jobs.run(later(170 * DAY));
    await jobs.run(later(171 * DAY));
    expect(await emailCount(t.db.sql, a.person.email)).toBe(emailsBefore + 1);
    const email = (await lastEmailTo(t.db.sql, a.person.email))!;
    expect(email.subject).toMatch(/^Votre vérification d’identité inachevée sera supprimée le \d+ \S+ \d{4}$/);
    const deletedOn = new Intl.DateTimeFormat('fr', { dateStyle: 'long', timeZone: 'UTC' }).format(later(184 * DAY));
    expect(email.subject).toContain(deletedOn);
    expect(email.body).toContain('180 jours sans activité');
    expect(email.body).toContain(`${t.config.baseUrl}/sign-in`);

    // 183 days on: past the 180, but the warning is only 13 days old: the case stays.
    await jobs.run(later(183 * DAY));
    expect(await count(t, `select count(*) as n from verification_case where id = $1`, [c.id])).toBe(1);

    // 185 days on: deleted, with its document rows and files, and audited by ids; the account stays.
    const outcome = await jobs.run(later(185 * DAY));
    expect(outcome.deleted).toBeGreaterThanOrEqual(1);
    expect(await count(t, `select count(*) as n from verification_case where id = $1`, [c.id])).toBe(0);
    expect(await count(t, `select count(*) as n from document_file where verification_case_id = $1`, [c.id])).toBe(0);
    const left = storedFiles(t);
    for (const key of files) expect(left.some((p) => p.endsWith(key))).toBe(false);
    expect(await count(t, `select count(*) as n from account where email = $1`, [a.person.email])).toBe(1);
    const { rows: [event] } = await t.db.sql.query(`select subject, details from audit_event where action = 'verification.case_deleted' and case_id = $1`, [c.id]);
    expect(event).toEqual({ subject: c.account_id, details: { files: 2, reason: 'unfinished' } });
    expect((await t.app.get(AuditService).verifyChain()).brokenAt).toBeNull();
    // The person can start again.
    expect((await a.browser.get('/verify')).status).toBeLessThan(400);
  });

  it('keeps a case whose applicant signed in after the warning, and a finished one', async () => {
    const comeBack = await applicantAtDocuments(t, 'comeback');
    const finished = await applicantAtDocuments(t, 'finished');
    const jobs = t.app.get(UnfinishedCasesService);
    await t.db.sql.query(`update verification_case set status = 'verified' where id = $1`, [(await finished.row()).id]);
    await jobs.run(later(170 * DAY));
    expect(await lastEmailTo(t.db.sql, comeBack.person.email)).toMatchObject({ subject: expect.stringMatching(/^Your unfinished identity verification will be deleted on /) });
    expect((await lastEmailTo(t.db.sql, finished.person.email))?.subject ?? '').not.toMatch(/will be deleted/);
    // The applicant comes back (a request in their session on day 175), then goes quiet again.
    await t.db.sql.query(`update session set last_seen_at = $2 where account_id = (select account_id from verification_case where id = $1)`, [(await comeBack.row()).id, later(175 * DAY)]);
    await jobs.run(later(200 * DAY));
    expect(await count(t, `select count(*) as n from verification_case where id = $1`, [(await comeBack.row()).id])).toBe(1);
    expect(await count(t, `select count(*) as n from verification_case where id = $1`, [(await finished.row()).id])).toBe(1);
  });

  it('warns once when two instances run it together', async () => {
    const a = await applicantAtDocuments(t, 'twice');
    const before = await emailCount(t.db.sql, a.person.email);
    const runsBefore = await workingRuns(t, 'unfinished-cases');
    const now = later(170 * DAY);
    await Promise.all([t.app.get(UnfinishedCasesService).run(now), other.app.get(UnfinishedCasesService).run(now)]);
    expect(await emailCount(t.db.sql, a.person.email)).toBe(before + 1);
    expect(await workingRuns(t, 'unfinished-cases')).toBe(runsBefore + 1);
  });
});
