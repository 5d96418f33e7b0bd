import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/config';
import { DocumentRetentionService } from '../src/documents/document-retention.service';
import { JOBS } from '../src/jobs/jobs';
import { LocalDocumentStore } from '../src/documents/store';
import { startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { applicantAtDocuments, photo, uploadFile } from './harness/documents';

/**
 * The orphan-file sweep on a real store folder: what a crash leaves in the document store
 * (a file whose row never committed, the temp file of a write cut short) is deleted once it
 * is older than the grace period; a file a row names, and a young one that may belong to an
 * upload in flight, are not.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const HOUR = 3600_000;
const pathOf = (name: string) => join(t.config.documents.dir, name.slice(0, 2), name);
const age = (name: string, ms: number) => utimesSync(pathOf(name), new Date(Date.now() - ms), new Date(Date.now() - ms));

it('reads its grace period from ORPHAN_FILE_GRACE_MINUTES: an hour unless set, never under 10 minutes', () => {
  expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: t.config.dataDir }).orphanFileGraceMinutes).toBe(60);
  expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: t.config.dataDir, ORPHAN_FILE_GRACE_MINUTES: '180' }).orphanFileGraceMinutes).toBe(180);
  expect(() => loadConfig({ NODE_ENV: 'test', DATA_DIR: t.config.dataDir, ORPHAN_FILE_GRACE_MINUTES: '1' })).toThrow(ConfigError);
});

it('deletes old files that no row names and leftover temp files; keeps files with rows and young files; skips a run while another instance holds the lock', async () => {
  const a = await applicantAtDocuments(t, 'sweep');
  expect((await uploadFile(a, 'first', 'photo_page', await photo())).status).toBe(303);
  const { rows: [row] } = await t.db.sql.query('select id, storage_key from document_file where verification_case_id = $1', [(await a.row()).id]);
  const store = new LocalDocumentStore(t.config.documents.dir);
  const orphan = randomUUID();
  const young = randomUUID();
  await store.put(orphan, randomBytes(2048));
  await store.put(young, randomBytes(2048));
  // The temp file of a put killed between its write and its rename.
  const cut = randomUUID();
  const temp = `${cut}.${randomBytes(4).toString('hex')}.tmp`;
  mkdirSync(join(t.config.documents.dir, cut.slice(0, 2)), { recursive: true });
  writeFileSync(pathOf(temp), randomBytes(1024));
  for (const name of [row.storage_key, orphan, temp]) age(name, 2 * HOUR);
  age(young, 30 * 60_000);

  const sweep = t.app.get(DocumentRetentionService);
  // While another instance runs the job (holds its lock), this one does nothing.
  await t.db.sql.query('select pg_advisory_lock($1)', [JOBS['orphan-file-sweep'].lock]);
  expect(await sweep.sweepOrphans()).toBe(0);
  expect([orphan, temp].map((n) => existsSync(pathOf(n)))).toEqual([true, true]);
  await t.db.sql.query('select pg_advisory_unlock($1)', [JOBS['orphan-file-sweep'].lock]);

  // Both instances fire it together: the two orphans go, once.
  const other = await startAnotherInstance(t);
  try {
    const counts = await Promise.all([sweep.sweepOrphans(), other.app.get(DocumentRetentionService).sweepOrphans()]);
    expect(counts.sort()).toEqual([0, 2]);
  } finally {
    await other.close();
  }
  expect(existsSync(pathOf(orphan))).toBe(false);
  expect(existsSync(pathOf(temp))).toBe(false);
  expect(existsSync(pathOf(young))).toBe(true); // within the grace period: maybe an upload about to commit
  expect(existsSync(pathOf(row.storage_key))).toBe(true);
  expect((await a.browser.get(`/documents/file/${row.id}`)).status).toBe(200); // the applicant's photo still opens

  // An hour later the young orphan is old enough; the file with a row stays whatever its age.
  expect(await sweep.sweepOrphans(new Date(Date.now() + HOUR))).toBe(1);
  expect(existsSync(pathOf(young))).toBe(false);
  expect(existsSync(pathOf(row.storage_key))).toBe(true);
  expect((await a.browser.get(`/documents/file/${row.id}`)).status).toBe(200);
});
