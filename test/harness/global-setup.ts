import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { freePort } from './ports';


/**
 * One PostgreSQL server for the whole run: the embedded one in a throwaway folder, or the
 * server of DATABASE_URL. Each test file then gets its own fresh database on it.
 */
export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.TEST_POSTGRES_ADMIN_URL = process.env.DATABASE_URL;
    console.log(`\nTests use the PostgreSQL at DATABASE_URL (${new URL(process.env.DATABASE_URL).host}).`);
    return;
  }
  const parent = mkdtempSync(join(tmpdir(), 'referee-test-pg-'));
  chmodSync(parent, 0o755); // the server runs as its own user when we are root
  const dir = join(parent, 'data');
  const server: EmbeddedPostgres = await startEmbeddedPostgres({
    dir,
    port: await freePort(),
    password: randomBytes(16).toString('hex'),
    database: 'referee_test',
    persistent: false,
  });
  (globalThis as { __refereePostgres?: EmbeddedPostgres }).__refereePostgres = server;
  process.env.TEST_POSTGRES_ADMIN_URL = server.urlFor('postgres');
}
