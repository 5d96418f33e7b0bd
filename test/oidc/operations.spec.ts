/** Running the provider: the organizations and key-rotation commands, and the cleanup of expired state. */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/config/paths';
import { OidcProviderService } from '../../src/oidc/provider.service';
import { freePort, startTestApp, type TestApp } from '../harness/app';

const run = promisify(execFile);
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ DEMO_ORGANIZATION: 'off' });
});
afterAll(() => t?.close());

/** A command as `npm run …` runs it (built by pretest), against this test's database. */
function command(script: string, args: string[]) {
  return run(process.execPath, [join(PROJECT_ROOT, 'dist/src', script.includes('/') ? script : `oidc/${script}`), ...args], {
    env: {
      PATH: process.env.PATH!,
      DATABASE_URL: t.db.url,
      BASE_URL: t.config.baseUrl,
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

/** A command run with only a data folder: no DATABASE_URL, the embedded PostgreSQL of that DATA_DIR (on its own port). */
async function commandWithDataDir(dataDir: string, script: string, args: string[]) {
  return run(process.execPath, [join(PROJECT_ROOT, 'dist/src', script), ...args], {
    env: { PATH: process.env.PATH!, DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()), LOG_LEVEL: 'silent' },
  });
}

describe('which database the commands use', () => {
  it('names the database and issuer on stderr before the work, without the password', async () => {
    const { stdout, stderr } = await command('org-cli.js', ['list']);
    const url = new URL(t.db.url);
    expect(stderr).toContain(`database: postgresql://${url.username}@${url.host}${url.pathname} (DATABASE_URL)`);
    expect(stderr).toContain(`issuer: ${t.config.issuerUrl}`);
    if (url.password) expect(stderr + stdout).not.toContain(decodeURIComponent(url.password));
  });

  it.each([
    ['npm run org', 'oidc/org-cli.js', ['list'], true],
    ['npm run keys:rotate', 'oidc/keys-cli.js', [], true],
    ['npm run staff', 'staff/staff-cli.js', ['create', '--email', 'clerk@example.org', '--role', 'admin'], true],
    ['npm run audit:verify', 'audit/audit-cli.js', [], false],
  ])('%s refuses to start a new embedded database where DATA_DIR has none, and says how to point it at the right one', async (name, script, args, offersToCreate) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'referee-cli-data-'));
    try {
      const failed = await commandWithDataDir(dataDir, script as string, args as string[]).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed!.stderr).toContain(`${name}: no Referee database in DATA_DIR ${dataDir}`);
      expect(failed!.stderr).toContain('DATABASE_URL');
      if (offersToCreate) expect(failed!.stderr).toContain('--create-database');
      expect(failed!.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
      expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('says so when the embedded database is there but this user cannot read it, rather than offer a new one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'referee-cli-data-'));
    chmodSync(dataDir, 0o755);
    mkdirSync(join(dataDir, 'postgres'), { mode: 0o700 }); // as PostgreSQL keeps it: its own user only
    chmodSync(join(dataDir, 'postgres'), 0o700);
    // Root reads everything: then the command runs as nobody, the way an operator's own account would.
    const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    if (!asOther.uid) chmodSync(join(dataDir, 'postgres'), 0o000);
    try {
      const failed = await run(process.execPath, [join(PROJECT_ROOT, 'dist/src/oidc/org-cli.js'), 'list'], {
        ...asOther,
        env: {
          PATH: process.env.PATH!,
          DATA_DIR: dataDir,
          SESSION_SECRET: t.config.sessionSecret.toString('base64url'),
          PII_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
          PII_FINGERPRINT_KEY: t.config.piiFingerprintKey.toString('base64url'),
          LOG_LEVEL: 'silent',
        },
      }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed!.stderr).toContain(`npm run org: cannot read ${join(dataDir, 'postgres')}`);
      expect(failed!.stderr).not.toContain('--create-database');
    } finally {
      chmodSync(join(dataDir, 'postgres'), 0o700);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('starts a new embedded database only with --create-database, and the next command finds it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'referee-cli-data-'));
    chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as its own user and must reach its folder
    try {
      const created = await commandWithDataDir(dataDir, 'oidc/org-cli.js', ['create', '--name', 'Parks Office', '--redirect-uri', 'https://parks.example/cb', '--create-database']);
      expect(created.stderr).toContain(`database: embedded PostgreSQL in ${join(dataDir, 'postgres')}`);
      expect(created.stdout).toContain('Created Parks Office.');
      const listed = await commandWithDataDir(dataDir, 'oidc/org-cli.js', ['list']);
      expect(listed.stdout).toContain('Parks Office');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
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
