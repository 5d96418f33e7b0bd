import { CronTime } from 'cron';
import { DocumentRetentionService } from '../src/documents/document-retention.service';
import { DOCUMENT_STORE, type DocumentStore } from '../src/documents/store';
import { allLockIds, JOBS } from '../src/jobs/jobs';
import { LOGGER } from '../src/web/tokens';
import { createAccount, grantRoles, signIn } from './harness/accounts';
import { startTestApp, type TestApp } from './harness/app';

/**
 * The scheduled jobs' registry and runner: one list of jobs and locks, each run recorded, a
 * failure logged and shown to supervisors. (Each job running once across two instances is
 * tested with the job itself: instances, orphan-sweep, documents, scheduling, notifications.)
 */
it('gives every advisory lock, job or not, its own id, and every job a valid schedule', () => {
  const ids = allLockIds();
  const seen = new Map<number, string>();
  for (const { name, id } of ids) {
    expect([name, seen.get(id)]).toEqual([name, undefined]);
    seen.set(id, name);
    expect(Number.isSafeInteger(id)).toBe(true);
  }
  expect(ids.length).toBeGreaterThanOrEqual(Object.keys(JOBS).length + 4);
  for (const job of Object.values(JOBS)) expect(() => new CronTime(job.schedule)).not.toThrow();
});

describe('a job that fails', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('is logged, recorded as failed without personal data, and marked on the supervisor page; the next good run shows again', async () => {
    const store = t.app.get<DocumentStore>(DOCUMENT_STORE);
    const logged = jest.spyOn(t.app.get(LOGGER), 'error');
    const list = jest.spyOn(store, 'list').mockImplementation(async function* () {
      throw new Error('bucket unreachable for applicant@example.org account 123456789');
    });
    try {
      expect(await t.app.get(DocumentRetentionService).sweepOrphans()).toBe(0); // not thrown: it runs again next hour
    } finally {
      list.mockRestore();
    }
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ job: 'orphan-file-sweep', err: expect.any(Error) }), 'scheduled job failed');
    const { rows } = await t.db.sql.query(`select * from job_run where job = 'orphan-file-sweep'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ failed: true, rows: null });
    expect(rows[0].finished_at).not.toBeNull();
    expect(rows[0].error).toContain('bucket unreachable');
    expect(rows[0].error).not.toMatch(/applicant@example\.org|123456789/);

    const supervisor = await createAccount(t, `jobs.${Date.now()}@referee.example`);
    await grantRoles(t, supervisor.email, ['supervisor']);
    const browser = await signIn(t, supervisor);
    const row = (html: string, job: string) => new RegExp(`<tr data-job="${job}"[^>]*>[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
    let page = await browser.get('/supervisor');
    expect(page.status).toBe(200);
    expect(row(page.text, 'orphan-file-sweep')).toContain('data-failed');
    expect(row(page.text, 'orphan-file-sweep')).toContain('Failed');
    expect(row(page.text, 'queue-expiry')).toContain('Not run yet');
    const arabic = await browser.get('/supervisor').set('Accept-Language', 'ar');
    expect(row(arabic.text, 'orphan-file-sweep')).toContain('فشلت');

    // The next run succeeds: the page shows it, with what it did.
    expect(await t.app.get(DocumentRetentionService).sweepOrphans()).toBe(0);
    page = await browser.get('/supervisor');
    expect(row(page.text, 'orphan-file-sweep')).not.toContain('data-failed');
    expect(row(page.text, 'orphan-file-sweep')).toContain('Succeeded');
    expect(row(page.text, 'orphan-file-sweep')).toMatch(/data-rows>0</);
  });

  it('keeps the runs of the last 7 days only', async () => {
    await t.db.sql.query(`insert into job_run (id, job, started_at, finished_at, rows) values (gen_random_uuid(), 'document-retention', now() - interval '8 days', now() - interval '8 days', 1)`);
    await t.app.get(DocumentRetentionService).deleteExpired();
    const { rows } = await t.db.sql.query(`select started_at from job_run where job = 'document-retention'`);
    expect(rows).toHaveLength(1);
    expect(Date.now() - new Date(rows[0].started_at).getTime()).toBeLessThan(60_000);
  });
});
