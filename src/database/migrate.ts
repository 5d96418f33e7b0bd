import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { loadConfig } from '../config/config';
import { withDatabase } from './database-url';
import { ormConfig } from './mikro-orm.config';
import { LOCKS } from '../jobs/jobs';

/** Applies every pending migration from migrations/; returns the names applied. */
export async function migrateToLatest(databaseUrl: string): Promise<string[]> {
  const lock = new Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [LOCKS.migrations]);
    const orm = await MikroORM.init({ ...ormConfig(databaseUrl), logger: () => undefined }); // the caller reports
    try {
      const applied = await orm.migrator.up();
      return applied.map((m) => m.name);
    } finally {
      await orm.close(true);
    }
  } finally {
    await lock.end(); // releases the lock with the connection
  }
}

/** `npm run migrate` */
if (require.main === module) {
  void (async () => {
    try {
      const config = loadConfig();
      await withDatabase(config, async (url) => {
        const applied = await migrateToLatest(url);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
      });
    } catch (error) {
      console.error(`Migration failed: ${(error as Error).message}`);
      process.exit(1);
    }
  })();
}
