/**
 * The demo organization at /demo: an openid-client relying party that talks to Referee's
 * /oidc over real HTTP. And two Referee instances on one database serving one flow.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../src/app';
import { DEMO_CLIENT_ID } from '../../src/demo-organization/demo-organization.service';
import { OrganizationsService } from '../../src/oidc/organizations.service';
import { createAccount, signIn } from '../harness/accounts';
import { freePort, startTestApp, type TestApp } from '../harness/app';
import { csrfOf } from '../harness/forms';
import { follow, inContext, press, recordVerified, uidOf } from './flow';

let t: TestApp;
let n = 0;

beforeAll(async () => {
  t = await startTestApp({}, { publicPort: true });
  await t.listen();
});
afterAll(() => t?.close());

async function signedInPerson() {
  const email = `demo${++n}.${Date.now()}@example.org`;
  const browser = await signIn(t, await createAccount(t, email));
  const { rows } = await t.db.sql.query('select id from account where email = $1', [email]);
  return { browser, accountId: rows[0].id as string };
}

describe('the demo organization', () => {
  it('is registered at start, once, with its callback on this Referee', async () => {
    const { rows } = await t.db.sql.query('select name, redirect_uris, token_endpoint_auth_method from organization where client_id = $1', [DEMO_CLIENT_ID]);
    expect(rows).toEqual([{ name: 'Demo Organization', redirect_uris: [`${t.config.baseUrl}/demo/callback`], token_endpoint_auth_method: 'client_secret_basic' }]);
  });

  it('registers idempotently when two instances start at once', async () => {
    const organizations = t.app.get(OrganizationsService);
    const input = { name: 'Demo Organization', redirectUris: [`${t.config.baseUrl}/demo/callback`] };
    await inContext(t, () => Promise.all([organizations.ensure(DEMO_CLIENT_ID, 'a'.repeat(43), input), organizations.ensure(DEMO_CLIENT_ID, 'a'.repeat(43), input)]));
    expect((await t.db.sql.query('select count(*)::int as n from organization where client_id = $1', [DEMO_CLIENT_ID])).rows[0].n).toBe(1);
    await t.app.get(require('../../src/demo-organization/demo-organization.service').DemoOrganizationService).onModuleInit(); // its own secret back
  });

  it('shows a "Verify with Referee" button, and after Allow the verified claims it received', async () => {
    const { browser, accountId } = await signedInPerson();
    await recordVerified(t, accountId);
    const home = await browser.get('/demo');
    expect(home.status).toBe(200);
    expect(home.text).toMatch(/<a class="usa-button usa-button--big" href="\/demo\/login">Verify with Referee<\/a>/);

    const consent = await follow(browser, '/demo/login');
    expect(consent.text).toContain('Share your information with Demo Organization');
    const result = await press(browser, consent, `/interaction/${uidOf(consent.path)}/allow`);
    expect(result.path).toMatch(/^\/demo\/callback\?code=/);
    expect(result.status).toBe(200);
    expect(result.text).toContain('Welcome to Demo Organization');
    expect(result.text).toContain('<dt>given_name</dt>\n        <dd>Amina</dd>');
    expect(result.text).toContain('<dd>nist_800_63A</dd>');
    expect(result.text).toContain('<dd>ial2</dd>');
    expect(result.text).toContain('passport issued in NGA');
    expect(result.text).toContain(accountId);
  });

  it('shows the refusal when the person denies', async () => {
    const { browser, accountId } = await signedInPerson();
    await recordVerified(t, accountId);
    const consent = await follow(browser, '/demo/login');
    const result = await press(browser, consent, `/interaction/${uidOf(consent.path)}/deny`);
    expect(result.text).toContain('Referee did not share your identity');
    expect(result.text).toContain('The person did not allow Referee to share their information.');
  });

  it('sends an unverified person to verify first', async () => {
    const { browser } = await signedInPerson();
    expect((await follow(browser, '/demo/login')).text).toContain('Verify your identity to continue to Demo Organization');
  });

  it('refuses a callback it did not start', async () => {
    const res = await t.browser().get('/demo/callback?code=abc&state=xyz');
    expect(res.status).toBe(400);
    expect(res.text).toContain('This sign-in was not started here');
  });
});

describe('DEMO_ORGANIZATION=off', () => {
  it('removes /demo and registers nothing', async () => {
    const off = await startTestApp({ DEMO_ORGANIZATION: 'off' });
    try {
      expect((await off.browser().get('/demo')).status).toBe(404);
      expect((await off.db.sql.query('select count(*)::int as n from organization')).rows[0].n).toBe(0);
    } finally {
      await off.close();
    }
  });
});

describe('DEMO_ORGANIZATION unset', () => {
  it('leaves the demo out of a production Referee, keeps it in development, and an explicit value wins', async () => {
    const production = await startTestApp({ NODE_ENV: 'production', LOG_LEVEL: 'silent' });
    try {
      expect((await production.browser().get('/demo')).status).toBe(404);
      expect((await production.db.sql.query('select count(*)::int as n from organization where client_id = $1', [DEMO_CLIENT_ID])).rows[0].n).toBe(0);
    } finally {
      await production.close();
    }
    const { loadConfig } = require('../../src/config/config') as typeof import('../../src/config/config');
    const secrets = {
      DATA_DIR: t.config.dataDir,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      PII_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
      PII_FINGERPRINT_KEY: randomBytes(32).toString('base64url'),
    };
    expect(loadConfig({ ...secrets, NODE_ENV: 'production', DEMO_ORGANIZATION: 'on' }).demoOrganization).toBe(true);
    expect(loadConfig({ ...secrets, NODE_ENV: 'development' }).demoOrganization).toBe(true);
    expect(loadConfig(secrets).demoOrganization).toBe(true); // NODE_ENV unset: development
  });
});

describe('two instances on one database', () => {
  it('share every step of a flow: interaction, consent, code, tokens and keys', async () => {
    const port = await freePort();
    const second = await createApp({ ...t.config, port });
    await second.listen(port, '127.0.0.1');
    try {
      const { browser, accountId } = await signedInPerson();
      await recordVerified(t, accountId);
      // The browser starts at the first instance…
      const login = await browser.get('/demo/login');
      const auth = new URL(login.headers.location);
      const toInteraction = await browser.get(auth.pathname + auth.search);
      const interaction = toInteraction.headers.location as string;
      // …and the load balancer sends the rest to the second, with the same cookies.
      const own = (browser as unknown as { jar: { getCookies(o: unknown): { name: string; value: string }[] } }).jar;
      const cookies = new Map<string, string>();
      for (const path of ['/', interaction, `${auth.pathname}/${uidOf(interaction)}`]) {
        for (const c of own.getCookies({ domain: '127.0.0.1', path, secure: false, script: false })) cookies.set(c.name, c.value);
      }
      const other = request(second.getHttpServer());
      const get = async (path: string) => {
        const res = await other.get(path).set('Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
        for (const c of (res.headers['set-cookie'] as unknown as string[] | undefined) ?? []) {
          const [pair] = c.split(';');
          const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
          if (value) cookies.set(name, value);
        }
        return res;
      };
      const local = (location: string) => (location.startsWith(t.config.baseUrl) ? location.slice(t.config.baseUrl.length) : location);
      let path = interaction;
      let res = await get(path);
      while (res.status === 303 && local(res.headers.location).startsWith('/') && !res.headers.location.includes('/demo/callback')) {
        path = local(res.headers.location);
        res = await get(path);
      }
      expect(res.text).toContain('Share your information with Demo Organization');
      const allowed = await other
        .post(`${path}/allow`)
        .set('Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
        .type('form')
        .send({ _csrf: csrfOf(res.text) });
      const returnTo = new URL(/content="0;url=([^"]+)"/.exec(allowed.text)![1].replace(/&amp;/g, '&'));
      const back = await get(returnTo.pathname);
      const callback = new URL(back.headers.location);
      expect(callback.pathname).toBe('/demo/callback');
      // The first instance's demo finishes it (token and userinfo at the first instance's issuer).
      const result = await browser.get(callback.pathname + callback.search);
      expect(result.text).toContain('Welcome to Demo Organization');
    } finally {
      await second.close();
    }
  });
});

describe('configuration', () => {
  it('refuses a bad ISSUER_URL or DEMO_ORGANIZATION value', () => {
    const { loadConfig } = require('../../src/config/config') as typeof import('../../src/config/config');
    const base = { DATA_DIR: t.config.dataDir, SESSION_SECRET: randomBytes(32).toString('base64url') };
    expect(loadConfig(base).issuerUrl).toBe('http://localhost:3000/oidc');
    expect(loadConfig({ ...base, BASE_URL: 'https://referee.example' }).issuerUrl).toBe('https://referee.example/oidc');
    expect(() => loadConfig({ ...base, ISSUER_URL: 'https://referee.example/oidc?x=1' })).toThrow('ISSUER_URL must not have a query or fragment');
    expect(() => loadConfig({ ...base, ISSUER_URL: 'https://referee.example/openid' })).toThrow('ISSUER_URL must end with /oidc');
    expect(() => loadConfig({ ...base, DEMO_ORGANIZATION: 'maybe' })).toThrow('DEMO_ORGANIZATION must be on or off, got "maybe"');
    expect(loadConfig({ ...base, DEMO_ORGANIZATION: 'off' }).demoOrganization).toBe(false);
  });
});
