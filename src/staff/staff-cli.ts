import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { AppModule } from '../app.module';
import { loadConfig } from '../config/config';
import { migrateToLatest } from '../database/migrate';
import { IdentityService, emailProblem, normaliseEmail } from '../identity/identity.service';
import { CliDatabaseError, withCliDatabase } from '../oidc/cli-database';
import { isStaffRole, STAFF_ROLES, type StaffRole } from './roles';
import { StaffService } from './staff.service';

const USAGE = `Usage: npm run staff -- create --email someone@example.org --role referee [--role supervisor] [--create-database]
Roles: ${STAFF_ROLES.join(', ')}
--create-database: start a new, empty embedded database when DATA_DIR has none`;

/** `npm run staff -- create …`: a staff account with a temporary password printed once. */
async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { email: { type: 'string' }, role: { type: 'string', multiple: true }, 'create-database': { type: 'boolean' } },
  });
  const email = normaliseEmail(values.email);
  const roles = values.role ?? [];
  if (positionals[0] !== 'create' || emailProblem(email) || roles.length === 0 || !roles.every(isStaffRole)) {
    console.error(USAGE);
    process.exit(64);
  }
  const config = { ...loadConfig(), logLevel: 'error' };
  await withCliDatabase(config, { command: 'npm run staff', createDatabase: values['create-database'] }, async (url) => {
    await migrateToLatest(url);
    const app = await NestFactory.createApplicationContext(AppModule.register({ ...config, databaseUrl: url }), { logger: false });
    try {
      await RequestContext.create(app.get(MikroORM).em, async () => {
        const result = await app.get(StaffService).grant(email, roles as StaffRole[]);
        if (result.created) {
          const password = randomBytes(12).toString('base64url');
          await app.get(IdentityService).setPassword(result.accountId, password);
          console.log(`Created ${email} with roles ${roles.join(', ')}. Temporary password (shown once): ${password}`);
          console.log('They will set up a second factor at first sign-in; ask them to change the password from the account page.');
        } else {
          console.log(result.added.length ? `${email} now also holds: ${result.added.join(', ')}.` : `${email} already holds those roles.`);
        }
      });
    } finally {
      await app.close();
    }
  });
}

main().catch((error) => {
  console.error(error instanceof CliDatabaseError ? `npm run staff: ${error.message}` : `staff: ${(error as Error).message}`);
  process.exit(1);
});
