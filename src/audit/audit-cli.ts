import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../config/config';
import { ormConfig } from '../database/mikro-orm.config';
import { CliDatabaseError, withCliDatabase } from '../oidc/cli-database';
import { AuditService } from './audit.service';

/** `npm run audit:verify`: walks the audit chain and names the first broken link. */
async function main() {
  const config = loadConfig();
  // Never a new database: there would be nothing to verify in it.
  const result = await withCliDatabase(config, { command: 'npm run audit:verify', canCreate: false }, async (url) => {
    const orm = await MikroORM.init({ ...ormConfig(url), logger: () => undefined });
    try {
      return await new AuditService(orm.em, config).verifyChain();
    } finally {
      await orm.close(true);
    }
  });
  const start = result.from
    ? ` from the retention checkpoint of ${result.from.cutAt.toISOString()} (events up to ${result.from.lastEventId} deleted after AUDIT_RETENTION_YEARS)`
    : '';
  if (result.brokenAt === null) {
    console.log(`Audit chain intact: ${result.checked} events checked${start}.`);
    return;
  }
  const where = result.brokenAt.startsWith('checkpoint') ? result.brokenAt : `event ${result.brokenAt}`;
  console.error(`Audit chain BROKEN at ${where}: ${result.reason}. ${result.checked} events${start} before it are intact.`);
  process.exit(2);
}

main().catch((error) => {
  console.error(error instanceof CliDatabaseError ? `npm run audit:verify: ${error.message}` : `audit:verify failed: ${(error as Error).message}`);
  process.exit(1);
});
