import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { CliDatabaseError, withOrm } from './cli-database';
import { KEY_ACTIVATION_DELAY_SECONDS } from './lifetimes';
import { SigningKeysService } from './signing-keys.service';

/**
 * `npm run keys:rotate`: a new ID-token signing key, published at once by every instance,
 * signing after KEY_ACTIVATION_DELAY_SECONDS; the previous key stays published until what it
 * signed has expired. `--now` skips the delay (one instance, or in an emergency);
 * `--create-database` lets it start a new embedded database when DATA_DIR has none.
 */
async function main() {
  const { values } = parseArgs({ options: { now: { type: 'boolean' }, 'create-database': { type: 'boolean' } } });
  const config = loadConfig();
  await withOrm(config, { command: 'npm run keys:rotate', createDatabase: values['create-database'] }, async (orm) => {
    const keys = new SigningKeysService(orm.em.fork(), new PiiCipher(config.piiKeys));
    await keys.ensureKey();
    const rotated = await keys.rotate(values.now ? 0 : KEY_ACTIVATION_DELAY_SECONDS);
    console.log(`New signing key ${rotated.kid}: published now, signs from ${rotated.activatesAt.toISOString()}.`);
    for (const old of rotated.retired) console.log(`Previous key ${old.kid}: stops signing then, published until ${old.unpublishedAt.toISOString()}.`);
  });
}

main().catch((error) => {
  if (error instanceof CliDatabaseError) console.error(`npm run keys:rotate: ${error.message}`);
  else console.error(error instanceof ConfigError ? error.message : `keys:rotate failed: ${(error as Error).message}`);
  process.exit(1);
});
