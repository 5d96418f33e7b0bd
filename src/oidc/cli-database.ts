import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { Config } from '../config/config';
import { hmac } from '../crypto/tokens';
import { withDatabase } from '../database/database-url';
import { migrateToLatest } from '../database/migrate';
import { ormConfig } from '../database/mikro-orm.config';

/**
 * For the command-line tools: DATABASE_URL, or the embedded PostgreSQL of a Referee that is
 * running now (never stopped under it), or else the embedded one started for the command.
 */
export async function withOrm<T>(config: Config, work: (orm: MikroORM) => Promise<T>): Promise<T> {
  const run = async (url: string) => {
    await migrateToLatest(url);
    const orm = await MikroORM.init({ ...ormConfig(url), logger: () => undefined });
    try {
      return await work(orm);
    } finally {
      await orm.close(true);
    }
  };
  if (config.databaseUrl) return run(config.databaseUrl);
  const running = `postgresql://referee:${encodeURIComponent(hmac(config.sessionSecret, 'embedded-postgres'))}@127.0.0.1:${config.embeddedPostgresPort}/referee`;
  const probe = new Client({ connectionString: running, connectionTimeoutMillis: 1000 });
  const up = await probe.connect().then(() => true, () => false);
  await probe.end().catch(() => undefined);
  return up ? run(running) : withDatabase(config, run);
}
