/** Running the provider: the organizations and key-rotation commands, and the cleanup of expired state. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/config/paths';
import { OidcProviderService } from '../../src/oidc/provider.service';
import { startTestApp, type TestApp } from '../harness/app';

const run = promisify(execFile);
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ DEMO_ORGANIZATION: 'off' });
});
afterAll(() => t?.close());

/** A command as `npm run …` runs it (built by pretest), against this test's database. */
function command(script: string, args: string[]) {
  return run(process.execPath, [join(PROJECT_ROOT, 'dist/src/oidc', script), ...args], {
    env: {
      PATH: process.env.PATH!,
      DATABASE_URL: t.db.url,
      SESSION_SECRET: t.config.sessionSecret.toString('base64url'),
      // The same key ring: signing keys are sealed with the personal-data cipher.
      PII_KEYS: Object.entries(t.config.piiKeys.keys)
        .sort(([a]) => (a === t.config.piiKeys.currentId ? -1 : 1))
        .map(([id, key]) => `${id}:${key.toString('base64url')}`)
        .join(','),
      PII_FINGERPRINT_KEY: t.config.piiFingerprintKey.toString('base64url'),
      DATA_DIR: t.config.dataDir,
      LOG_LEVEL: 'silent',
    },
  });
}

describe('npm run org', () => {
  it('creates an organization and prints its client id and secret once (only a hash is kept)', async () => {
    const { stdout } = await command('org-cli.js', ['create', '--name', 'County Clerk', '--redirect-uri', 'https://clerk.example/cb', '--requires-ssn']);
    const clientId = /client_id:\s+(\S+)/.exec(stdout)![1];
    const secret = /client_secret:\s+(\S+)/.exec(stdout)![1];
    const { rows } = await t.db.sql.query('select name, redirect_uris, requires_ssn, client_secret_hash from organization where client_id = $1', [clientId]);
    expect(rows[0]).toMatchObject({ name: 'County Clerk', redirect_uris: ['https://clerk.example/cb'], requires_ssn: true });
    expect(rows[0].client_secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));

    const listed = await command('org-cli.js', ['list']);
    expect(listed.stdout).toContain(`${clientId}  County Clerk`);
    await command('org-cli.js', ['update', clientId, '--redirect-uri', 'https://clerk.example/callback']);
    expect((await t.db.sql.query('select redirect_uris from organization where client_id = $1', [clientId])).rows[0].redirect_uris).toEqual(['https://clerk.example/callback']);
  });

  it.each([
    [['create', '--name', 'X', '--redirect-uri', 'http://clerk.example/cb'], 'redirect URI must use https'],
    [['create', '--name', 'X', '--redirect-uri', 'https://clerk.example/cb#frag'], 'must not have a fragment'],
    [['create', '--name', 'X', '--redirect-uri', 'https://clerk.example/cb', '--scopes', 'openid admin'], 'unknown scope "admin"'],
    [['create', '--redirect-uri', 'https://clerk.example/cb'], 'name is required'],
  ])('refuses %j', async (args, message) => {
    await expect(command('org-cli.js', args)).rejects.toMatchObject({ stderr: expect.stringContaining(message) });
  });
});

describe('npm run keys:rotate', () => {
  it('publishes a new key at once and keeps the previous one', async () => {
    const before = (await t.db.sql.query('select kid from oidc_signing_key')).rows.map((r) => r.kid);
    const { stdout } = await command('keys-cli.js', []);
    expect(stdout).toMatch(/New signing key \S+: published now, signs from /);
    await t.app.get(OidcProviderService).reloadKeys();
    const jwks = await t.browser().get('/oidc/jwks');
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining(before));
    expect(jwks.body.keys).toHaveLength(before.length + 1);
    // Not yet active: the previous key still signs (listed first, with no key_ops restriction).
    expect(jwks.body.keys[0].kid).toBe(before[0]);
    expect(jwks.body.keys[1].key_ops).toEqual(['verify']);
  });
});

describe('cleanup', () => {
  it('removes expired provider state and keys no longer published, and keeps the rest', async () => {
    await t.db.sql.query(`
      insert into oidc_payload (model, id, payload, expires_at) values
        ('AccessToken', 'expired', '{}', now() - interval '1 minute'),
        ('AccessToken', 'live', '{}', now() + interval '1 minute'),
        ('Session', 'forever', '{}', null)`);
    await t.db.sql.query(`
      insert into oidc_signing_key (kid, alg, private_jwk_sealed, created_at, activates_at, retired_at)
      values ('old-key', 'RS256', 'v1.x.y.z', now() - interval '30 days', now() - interval '30 days', now() - interval '29 days')`);
    await t.app.get(OidcProviderService).cleanUp();
    const ids = (await t.db.sql.query(`select id from oidc_payload where id in ('expired', 'live', 'forever') order by id`)).rows.map((r) => r.id);
    expect(ids).toEqual(['forever', 'live']);
    expect((await t.db.sql.query(`select kid from oidc_signing_key where kid = 'old-key'`)).rowCount).toBe(0);
  });
});
