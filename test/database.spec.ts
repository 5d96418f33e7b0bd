import { MikroORM } from '@mikro-orm/postgresql';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../src/app';
import { AuditService } from '../src/audit/audit.service';
import { loadConfig } from '../src/config/config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/database/embedded-postgres';
import { migrateToLatest } from '../src/database/migrate';
import { ormConfig } from '../src/database/mikro-orm.config';
import { createTestDatabase } from './harness/app';
import { freePort } from './harness/ports';

describe('migrations', () => {
  it('create exactly the schema the entities describe (nothing changes the schema but a migration)', async () => {
    const db = await createTestDatabase();
    const orm = await MikroORM.init(ormConfig(db.url));
    try {
      const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false, dropTables: false });
      expect(diff.trim()).toBe('');
    } finally {
      await orm.close(true);
      await db.drop();
    }
  });

  it('are applied once: a second run (another instance starting) changes nothing', async () => {
    const db = await createTestDatabase(); // already migrated by the harness
    try {
      const [a, b] = await Promise.all([migrateToLatest(db.url), migrateToLatest(db.url)]);
      expect([...a, ...b]).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});

describe('the case events moving to the audit log', () => {
  it('appends the old verification_event rows oldest first (a status change after its cause), and the chain stays verifiable', async () => {
    const db = await createTestDatabase();
    const orm = await MikroORM.init({ ...ormConfig(db.url), logger: () => undefined });
    try {
      await orm.migrator.down({ to: 'Migration20261205020000_evidence_reference' });
      const account = randomUUID();
      const caseId = randomUUID();
      await db.sql.query(`insert into account (id, email, password_hash, created_at) values ($1, $2, 'x', now())`, [account, `${account}@example.org`]);
      await db.sql.query(`insert into verification_case (id, account_id, status, documents, supporting_confirmed, created_at, updated_at) values ($1, $2, 'details_confirmed', '[]', '[]', now(), now())`, [caseId, account]);
      const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 9, 0, s, 123));
      for (const [type, step, detail, created] of [
        ['verification.status_changed', null, { from: 'started', to: 'details_confirmed' }, at(2)],
        ['verification.started', null, null, at(1)],
        ['verification.ssn_entered', 'ssn', { again: true, 'é': [1, 'x'] }, at(2)],
      ] as const) {
        await db.sql.query(`insert into verification_event (id, verification_case_id, type, step, detail, created_at) values ($1, $2, $3, $4, $5, $6)`, [randomUUID(), caseId, type, step, detail && JSON.stringify(detail), created]);
      }
      const before = Number((await db.sql.query('select count(*) from audit_event')).rows[0].count);
      await orm.migrator.up();
      const { rows } = await db.sql.query('select at, action, case_id, subject, details from audit_event where case_id = $1 order by id', [caseId]);
      expect(rows).toEqual([
        { at: at(1), action: 'verification.started', case_id: caseId, subject: null, details: null },
        { at: at(2), action: 'verification.ssn_entered', case_id: caseId, subject: 'ssn', details: { again: true, 'é': [1, 'x'] } },
        { at: at(2), action: 'verification.status_changed', case_id: caseId, subject: null, details: { from: 'started', to: 'details_confirmed' } },
      ]);
      expect(Number((await db.sql.query('select count(*) from audit_event')).rows[0].count)).toBe(before + 3);
      expect((await db.sql.query(`select to_regclass('verification_event') as t`)).rows[0].t).toBeNull();
      const audit = new AuditService(orm.em.fork() as never, { piiFingerprintKey: randomBytes(32) }); // no checkpoint here: the key is not read
      expect(await audit.verifyChain()).toMatchObject({ brokenAt: null, checked: before + 3 });
    } finally {
      await orm.close(true);
      await db.drop();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

describe('losing the database while running', () => {
  const parent = mkdtempSync(join(tmpdir(), 'referee-outage-'));
  chmodSync(parent, 0o755);
  const options = { dir: join(parent, 'data'), port: 0, password: randomBytes(12).toString('hex'), database: 'referee', persistent: true };
  let server: EmbeddedPostgres;

  afterAll(async () => {
    await server?.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  it('answers 503 within 5 s while PostgreSQL is down, and recovers by itself within 10 s', async () => {
    options.port = await freePort();
    server = await startEmbeddedPostgres(options);
    await migrateToLatest(server.url);
    const app = await createApp({
      ...loadConfig({ NODE_ENV: 'test', SESSION_SECRET: randomBytes(32).toString('base64url'), DATA_DIR: parent }),
      databaseUrl: server.url,
    });
    const http = app.getHttpServer();
    try {
      expect((await request(http).get('/sign-in')).status).toBe(200);
      await server.stop();

      const down = await request(http).get('/account').set('Cookie', `referee=${'a'.repeat(43)}`);
      expect(down.status).toBe(503);
      expect(down.text).toContain('Referee is temporarily unavailable');
      expect(down.headers['retry-after']).toBe('5');
      const ready = await request(http).get('/readyz');
      expect(ready.status).toBe(503);
      expect((await request(http).get('/healthz')).status).toBe(200); // the process is still up

      server = await startEmbeddedPostgres(options);
      await waitFor(async () => (await request(http).get('/readyz')).status === 200, 10000);
      const back = await request(http).get('/account').set('Cookie', `referee=${'a'.repeat(43)}`);
      expect(back.status).toBe(303); // unknown session: sent to sign in, as normal
    } finally {
      await app.close();
    }
  });
});
