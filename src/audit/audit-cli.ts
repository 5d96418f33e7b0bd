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
      return await new AuditService(orm.em).verifyChain();
    } finally {
      await orm.close(true);
    }
  });
  if (result.brokenAt === null) {
    console.log(`Audit chain intact: ${result.checked} events checked.`);
    return;
  }
  console.error(`Audit chain BROKEN at event ${result.brokenAt}: ${result.reason}. ${result.checked} events before it are intact.`);
  process.exit(2);
}

main().catch((error) => {
  console.error(error instanceof CliDatabaseError ? `npm run audit:verify: ${error.message}` : `audit:verify failed: ${(error as Error).message}`);
  process.exit(1);
});
