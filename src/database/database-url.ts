import { join } from 'node:path';
import type { Config } from '../config/config';
import { hmac } from '../crypto/tokens';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

/**
 * DATABASE_URL when set; otherwise the embedded PostgreSQL with its data in
 * <DATA_DIR>/postgres (started here, stopped by the caller).
 */
export async function resolveDatabase(config: Config): Promise<{ url: string; embedded?: EmbeddedPostgres }> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  const embedded = await startEmbeddedPostgres({
    dir: join(config.dataDir, 'postgres'),
    port: config.embeddedPostgresPort,
    // Derived from the development secret: stable across restarts, never written in the repo.
    password: hmac(config.sessionSecret, 'embedded-postgres'),
    database: 'referee',
    persistent: true,
  });
  return { url: embedded.url, embedded };
}

/** Runs `work` with a database, stopping the embedded one afterwards if it was started here. */
export async function withDatabase<T>(config: Config, work: (url: string) => Promise<T>): Promise<T> {
  const { url, embedded } = await resolveDatabase(config);
  try {
    return await work(url);
  } finally {
    await embedded?.stop();
  }
}
