import type { NestExpressApplication } from '@nestjs/platform-express';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config/config';
import { migrateToLatest } from '../../src/database/migrate';
import { freePort } from './ports';
import { useOutboxKeys } from './outbox';

export { freePort };

export interface TestDatabase {
  url: string;
  /** A plain pg client, for looking at (and ageing) rows the way an operator would. */
  sql: Client;
  drop(): Promise<void>;
}

/** A fresh, migrated database on the run's PostgreSQL server (see global-setup.ts). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_POSTGRES_ADMIN_URL;
  if (!adminUrl) throw new Error('TEST_POSTGRES_ADMIN_URL is not set: run the tests with npm test');
  const name = `referee_t_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrateToLatest(url.toString());
  const sql = new Client({ connectionString: url.toString() });
  await sql.connect();
  return {
    url: url.toString(),
    sql,
    async drop() {
      await sql.end();
      const admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

export interface TestApp {
  app: NestExpressApplication;
  config: Config;
  /** The environment the configuration was read from (a Referee process started apart needs the same). */
  env: Record<string, string>;
  db: TestDatabase;
  /** A new browser: a supertest agent that keeps its cookies. */
  browser(): ReturnType<typeof request.agent>;
  /** Listens on a real port (for browser tests); returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}


/**
 * Referee as it runs in production, on its own database, with the given environment on top,
 * except that its scheduled jobs' timers are stopped: the tests run each job themselves (as
 * its timer would), and a timer firing meanwhile would take a run a test counts (seen: the
 * minute's appointment reminders sent by the tick while a second instance was starting).
 * `publicPort`: the port is chosen before the configuration, so BASE_URL (and the issuer) are
 * the address listen() serves: what clients fetching over real HTTP (openid-client) need.
 */
export async function startTestApp(env: Record<string, string> = {}, options: { publicPort?: boolean } = {}): Promise<TestApp> {
  const port = options.publicPort ? await freePort() : undefined;
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'referee-test-data-'));
  const appEnv: Record<string, string> = {
    NODE_ENV: 'test',
    // TEST_LOG_LEVEL=error npm test shows the app's own log when a test needs explaining.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    PII_KEYS: `test1:${randomBytes(32).toString('base64url')}`,
    PII_FINGERPRINT_KEY: randomBytes(32).toString('base64url'),
    DATA_DIR: dataDir,
    ...(port ? { PORT: String(port), BASE_URL: `http://127.0.0.1:${port}` } : {}),
    ...env,
    DATABASE_URL: db.url,
  };
  const config = loadConfig(appEnv);
  useOutboxKeys(db.sql, config.piiKeys);
  const app = await createApp(config);
  stopScheduledJobs(app);
  return {
    app,
    config,
    env: appEnv,
    db,
    browser: () => request.agent(app.getHttpServer()),
    async listen() {
      await app.listen(port ?? 0, '127.0.0.1');
      const address = app.getHttpServer().address() as { port: number };
      return `http://127.0.0.1:${address.port}`;
    },
    async close() {
      await app.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A second Referee process on the same database and secrets, as behind a load balancer. */
export async function startAnotherInstance(t: TestApp): Promise<{ app: NestExpressApplication; close(): Promise<void> }> {
  const app = await createApp(t.config);
  stopScheduledJobs(app);
  return { app, close: () => app.close() };
}

/** Stops an instance's scheduled jobs' timers (every test instance's, see startTestApp). */
export function stopScheduledJobs(app: NestExpressApplication): void {
  for (const job of app.get(SchedulerRegistry).getCronJobs().values()) void job.stop();
}
