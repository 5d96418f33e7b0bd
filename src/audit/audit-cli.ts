import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../config/config';
import { withDatabase } from '../database/database-url';
import { ormConfig } from '../database/mikro-orm.config';
import { AuditService } from './audit.service';

/** `npm run audit:verify`: walks the audit chain and names the first broken link. */
async function main() {
  const config = loadConfig();
  const result = await withDatabase(config, async (url) => {
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
  console.error(`audit:verify failed: ${(error as Error).message}`);
  process.exit(1);
});
