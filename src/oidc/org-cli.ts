import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config';
import { CliDatabaseError, withOrm } from './cli-database';
import type { TokenEndpointAuthMethod } from './organization.entity';
import { OrganizationInputError, OrganizationsService, type OrganizationInput } from './organizations.service';

const USAGE = `Usage:
  npm run org -- create --name NAME --redirect-uri URL [--redirect-uri URL …] [options]
  npm run org -- update CLIENT_ID [options]
  npm run org -- list

It works on the database of the Referee whose environment it runs in (DATABASE_URL, or the
embedded PostgreSQL under DATA_DIR), named on stderr first.

Options:
  --name NAME                      shown to people on the consent page
  --redirect-uri URL               where Referee sends people back (exact match; repeatable)
  --logo-uri URL                   the organization's logo (https)
  --post-logout-redirect-uri URL   where to go after signing out (repeatable)
  --initiate-login-uri URL         where the organization starts "Sign in with Referee" (the way back after verifying)
  --backchannel-logout-uri URL     where it is told that a person deleted their account (OpenID Connect Back-Channel Logout)
  --scopes "openid email …"        scopes it may ask for (default: openid email profile address verified_identity)
  --claims "email given_name …"    claims it may receive (default: all)
  --requires-ssn                   only identities verified with a Social Security number
  --no-requires-ssn
  --auth-method METHOD             client_secret_basic (default), client_secret_post, private_key_jwt or none (public, PKCE)
  --jwks FILE | --jwks-uri URL     public keys for private_key_jwt
  --create-database                start a new, empty embedded database when DATA_DIR has none`;

const words = (value: string | undefined) => value?.split(/[\s,]+/).filter(Boolean);

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'logo-uri': { type: 'string' },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'initiate-login-uri': { type: 'string' },
      'backchannel-logout-uri': { type: 'string' },
      scopes: { type: 'string' },
      claims: { type: 'string' },
      'requires-ssn': { type: 'boolean' },
      'no-requires-ssn': { type: 'boolean' },
      'auth-method': { type: 'string' },
      jwks: { type: 'string' },
      'jwks-uri': { type: 'string' },
      'create-database': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, clientId] = positionals;
  if (values.help || !['create', 'update', 'list'].includes(command)) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 1);
  }
  const input: Partial<OrganizationInput> = {
    name: values.name,
    redirectUris: values['redirect-uri'],
    logoUri: values['logo-uri'],
    postLogoutRedirectUris: values['post-logout-redirect-uri'],
    initiateLoginUri: values['initiate-login-uri'],
    backchannelLogoutUri: values['backchannel-logout-uri'],
    allowedScopes: words(values.scopes),
    allowedClaims: words(values.claims),
    requiresSsn: values['requires-ssn'] ? true : values['no-requires-ssn'] ? false : undefined,
    tokenEndpointAuthMethod: values['auth-method'] as TokenEndpointAuthMethod | undefined,
    jwks: values.jwks ? JSON.parse(readFileSync(values.jwks, 'utf8')) : undefined,
    jwksUri: values['jwks-uri'],
  };
  const changes = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<OrganizationInput>;

  const config = loadConfig();
  await withOrm(config, { command: 'npm run org', createDatabase: values['create-database'] }, async (orm) => {
    const organizations = new OrganizationsService(orm.em.fork());
    if (command === 'list') {
      for (const org of await organizations.list()) {
        console.log(`${org.clientId}  ${org.name}  ${org.tokenEndpointAuthMethod}  ${org.redirectUris.join(' ')}${org.requiresSsn ? '  (requires SSN)' : ''}`);
      }
      return;
    }
    if (command === 'create') {
      const { organization, clientSecret } = await organizations.create(changes as OrganizationInput);
      console.log(`Created ${organization.name}.`);
      console.log(`client_id:     ${organization.clientId}`);
      if (clientSecret) console.log(`client_secret: ${clientSecret}\n(Shown once: Referee keeps only its hash. Give it to the organization over a safe channel.)`);
      console.log(`issuer:        ${config.issuerUrl}`);
      return;
    }
    if (!clientId) throw new OrganizationInputError('update needs the client id');
    const organization = await organizations.update(clientId, changes);
    console.log(`Updated ${organization.name} (${organization.clientId}).`);
  });
}

main().catch((error) => {
  const known = error instanceof ConfigError || error instanceof OrganizationInputError || error instanceof CliDatabaseError || (error as { name?: string }).name === 'NotFoundError';
  console.error(known ? `npm run org: ${(error as Error).message}` : error);
  process.exit(1);
});
