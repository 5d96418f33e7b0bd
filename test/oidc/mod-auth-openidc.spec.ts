/**
 * A real third-party relying party against Referee: Apache httpd with mod_auth_openidc (Debian's
 * packages), on its own port with its own configuration, protecting a page. The code flow with
 * PKCE through Referee's sign-in, second factor and consent; the claims on the protected page;
 * a token refresh; and logout through the end-session endpoint.
 *
 * Needs `apt-get install apache2 libapache2-mod-auth-openidc` (.ci/run does it). Without them it
 * is skipped on a developer machine, with the reason printed, and fails in CI (CI=true).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeFor, createAccount, signIn, type TestPerson } from '../harness/accounts';
import { freePort, startTestApp, type TestApp } from '../harness/app';
import { HttpBrowser, type Page } from '../harness/http-browser';
import { createOrganization, recordVerified } from './flow';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const NEEDED = ['mod_mpm_event.so', 'mod_authn_core.so', 'mod_authz_core.so', 'mod_authz_user.so', 'mod_dir.so', 'mod_include.so', 'mod_auth_openidc.so'];
const missing = [APACHE, ...NEEDED.map((m) => join(MODULES, m))].filter((file) => !existsSync(file));
const inCi = process.env.CI === 'true' || process.env.CI === '1';

if (missing.length && !inCi) {
  console.log(`Skipped the mod_auth_openidc tests: ${missing.join(', ')} not found (apt-get install -y apache2 libapache2-mod-auth-openidc).`);
}
const describeWithApache = missing.length && !inCi ? describe.skip : describe;

let t: TestApp;
let base: string;
let apache: { url: string; dir: string; child: ChildProcess; log(): string; stop(): Promise<void> } | undefined;
let person: TestPerson;
let accountId: string;

/** The Apache configuration: one protected folder echoing the claims (SSI), and the info hook. */
function apacheConfig(dir: string, port: number, org: { clientId: string; clientSecret: string }): string {
  const url = `http://127.0.0.1:${port}`;
  return `
ServerRoot "${dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile "${dir}/httpd.pid"
DefaultRuntimeDir "${dir}/run"
ErrorLog "${dir}/error.log"
LogLevel warn auth_openidc:info
${process.getuid?.() === 0 ? 'User www-data\nGroup www-data' : ''}
${NEEDED.map((m) => `LoadModule ${m.replace(/^mod_/, '').replace(/\.so$/, '')}_module "${MODULES}/${m}"`).join('\n')}
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
DocumentRoot "${dir}/htdocs"
DirectoryIndex index.html
<Directory "${dir}/htdocs">
  Require all granted
</Directory>

OIDCProviderMetadataURL ${base}/oidc/.well-known/openid-configuration
OIDCClientID ${org.clientId}
OIDCClientSecret ${org.clientSecret}
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCRedirectURI ${url}/protected/redirect_uri
OIDCCryptoPassphrase ${randomBytes(24).toString('hex')}
OIDCScope "openid email profile offline_access"
OIDCAuthRequestParams "prompt=consent&acr_values=urn%3Areferee%3Aial%3A2"
OIDCPKCEMethod S256
OIDCInfoHook iat access_token access_token_expires id_token userinfo refresh_token
OIDCRedirectURLsAllowed ^${url.replace(/\./g, '\\.')}/
OIDCDefaultLoggedOutURL ${url}/signed-out.html

<Location /protected>
  AuthType openid-connect
  Require valid-user
  Options +Includes
  ForceType text/html
  SetOutputFilter INCLUDES
</Location>
`;
}

async function startApache(org: { clientId: string; clientSecret: string }, port: number) {
  const dir = mkdtempSync(join(tmpdir(), 'referee-apache-'));
  chmodSync(dir, 0o755); // the workers run as www-data when we are root
  mkdirSync(join(dir, 'run'));
  mkdirSync(join(dir, 'htdocs', 'protected'), { recursive: true });
  writeFileSync(join(dir, 'htdocs', 'signed-out.html'), '<!doctype html><title>Signed out</title><h1>Signed out of the library</h1>\n');
  writeFileSync(
    join(dir, 'htdocs', 'protected', 'index.html'),
    `<!doctype html><title>Library account</title>
<h1>Library account</h1>
<p id="sub"><!--#echo var="OIDC_CLAIM_sub" --></p>
<p id="email"><!--#echo var="OIDC_CLAIM_email" --></p>
<p id="given_name"><!--#echo var="OIDC_CLAIM_given_name" --></p>
<p id="family_name"><!--#echo var="OIDC_CLAIM_family_name" --></p>
<p id="acr"><!--#echo var="OIDC_CLAIM_acr" --></p>
`,
  );
  writeFileSync(join(dir, 'httpd.conf'), apacheConfig(dir, port, org));
  const child = spawn(APACHE, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const log = () => out + (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM'); // the parent stops its workers
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`apache2 exited with ${child.exitCode}: ${log()}`);
    const up = await fetch(`${url}/signed-out.html`).then((r) => r.ok, () => false);
    if (up) return { url, dir, child, log, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`apache2 did not answer on ${url}: ${log()}`);
}

/** The text of the element with this id on a page. */
const field = (page: Page, id: string) => new RegExp(`<p id="${id}">([^<]*)</p>`).exec(page.html)?.[1];

/** The session data mod_auth_openidc keeps (its info hook, as JSON). */
async function sessionInfo(browser: HttpBrowser) {
  const res = await browser.request(`${apache!.url}/protected/redirect_uri?info=json`);
  expect(res.status).toBe(200);
  return JSON.parse(res.text) as { access_token: string; refresh_token: string; userinfo: Record<string, unknown>; id_token: Record<string, unknown> };
}

describeWithApache('Apache httpd with mod_auth_openidc as the organization', () => {
  beforeAll(async () => {
    if (missing.length) throw new Error(`CI needs Apache with mod_auth_openidc: ${missing.join(', ')} not found (apt-get install -y apache2 libapache2-mod-auth-openidc)`);
    t = await startTestApp({}, { publicPort: true });
    base = await t.listen();
    const port = await freePort();
    const { clientSecret, clientId } = await createOrganization(t, {
      name: 'County Library',
      redirectUris: [`http://127.0.0.1:${port}/protected/redirect_uri`],
      postLogoutRedirectUris: [`http://127.0.0.1:${port}/signed-out.html`],
      allowedScopes: ['openid', 'email', 'profile', 'offline_access'],
    });
    apache = await startApache({ clientId, clientSecret: clientSecret! }, port);

    // Someone who already has an account with a code generator app, and a verified identity.
    const email = `library.${Date.now()}@example.org`;
    person = await createAccount(t, email);
    await signIn(t, person); // sets up the app (person.totpSecret)
    accountId = (await t.db.sql.query('select id from account where email = $1', [email])).rows[0].id;
    await recordVerified(t, accountId);
  }, 60_000);

  afterAll(async () => {
    await apache?.stop();
    if (apache) rmSync(apache.dir, { recursive: true, force: true });
    await t?.close();
  });

  it('signs in with the code flow and PKCE, shows the claims, refreshes the token, and logs out through the end-session endpoint', async () => {
    const browser = new HttpBrowser();
    try {
      // Apache sends the browser to Referee, which asks to sign in.
      const signInPage = await browser.open(`${apache!.url}/protected/`);
      const authorization = new URL(browser.visited.find((u) => u.startsWith(`${base}/oidc/auth?`))!);
      expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorization.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(authorization.searchParams.get('client_id')).toBeTruthy();
      expect(new URL(signInPage.url).pathname).toBe('/sign-in');

      // Password, then the code generator app (the next time step: each code works once).
      const challenge = await browser.submit(signInPage, /^\/sign-in$/, { email: person.email, password: person.password });
      expect(new URL(challenge.url).pathname).toBe('/mfa/challenge');
      const consent = await browser.submit(challenge, /\/mfa\/challenge\/totp$/, { code: await codeFor(person.totpSecret!, 1) });
      expect(consent.html).toContain('Share your information with County Library');

      // Allow: Referee returns a code, Apache redeems it (with the PKCE verifier) and shows the page.
      const page = await browser.submit(consent, /\/allow$/);
      expect(page.url).toBe(`${apache!.url}/protected/`);
      expect(page.status).toBe(200);
      expect(field(page, 'sub')).toBe(accountId);
      expect(field(page, 'email')).toBe(person.email);
      expect(field(page, 'given_name')).toBe('Amina');
      expect(field(page, 'family_name')).toBe('Okafor');
      expect(field(page, 'acr')).toBe('urn:referee:ial:2');

      // A refresh through the module's refresh hook: new tokens (rotated), and the new access token works at Referee.
      const before = await sessionInfo(browser);
      expect(before.refresh_token).toBeTruthy();
      expect(before.userinfo.email).toBe(person.email);
      const back = await browser.open(
        `${apache!.url}/protected/redirect_uri?refresh=${encodeURIComponent(`${apache!.url}/protected/`)}&access_token=${encodeURIComponent(before.access_token)}`,
      );
      expect(back.url).toBe(`${apache!.url}/protected/`);
      const after = await sessionInfo(browser);
      expect(after.access_token).not.toBe(before.access_token);
      expect(after.refresh_token).not.toBe(before.refresh_token);
      const userinfo = await fetch(`${base}/oidc/me`, { headers: { authorization: `Bearer ${after.access_token}` } });
      expect(userinfo.status).toBe(200);
      expect((await userinfo.json()).sub).toBe(accountId);

      // Logout: Apache ends its session and sends the browser to Referee's end-session endpoint, which asks.
      const question = await browser.open(`${apache!.url}/protected/redirect_uri?logout=${encodeURIComponent(`${apache!.url}/signed-out.html`)}`);
      const endSession = new URL(browser.visited.findLast((u) => u.startsWith(`${base}/oidc/session/end`))!);
      expect(endSession.searchParams.get('id_token_hint')).toBeTruthy();
      expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${apache!.url}/signed-out.html`);
      expect(question.html).toContain('County Library asked to sign you out');
      const signedOut = await browser.submit(question, /\/oidc\/session\/end\/confirm$/, { logout: 'yes' });
      expect(signedOut.url).toBe(`${apache!.url}/signed-out.html`);
      expect(signedOut.html).toContain('Signed out of the library');

      // Signed out of both: the protected page sends the browser to Referee's sign-in again.
      const again = await browser.open(`${apache!.url}/protected/`);
      expect(new URL(again.url).pathname).toBe('/sign-in');
      expect((await browser.request(`${base}/account`)).headers.location).toMatch(/^\/sign-in/);
    } catch (error) {
      // What Apache said is the first thing to read when this fails.
      (error as Error).message += `\n--- apache2 log ---\n${apache?.log().slice(-4000)}`;
      throw error;
    }
  }, 60_000);
});
