/**
 * Passkeys for real, in Chromium: its virtual authenticator (DevTools protocol, WebAuthn
 * domain) stands in for a phone's or laptop's built-in one: it holds real key pairs, checks
 * the relying-party id and signs what the browser gives it, and "verifies" its user.
 *
 * Referee runs at http://localhost:PORT here, not 127.0.0.1: the relying-party id is the
 * hostname of BASE_URL and Chromium refuses an IP address as one ("This is an invalid
 * domain"), while http://localhost counts as a secure context.
 *
 * Each test signs up a new person (test/harness), then uses only the pages, the way a
 * person would, and looks at the database the way an operator would.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CDPSession, Locator, Page } from 'playwright-core';
import { createAccount, type TestPerson } from '../harness/accounts';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot } from './browser';

const suite = browserSuite({}, { host: 'localhost' });
let people = 0;

const h1 = (page: Page) => page.locator('h1').innerText();
const pathOf = (page: Page) => new URL(page.url()).pathname;
/** The live region passkeys.js writes its progress and errors to. */
const passkeyStatus = (page: Page) => page.locator('[data-passkey-status]');

async function newPerson(): Promise<TestPerson> {
  people += 1;
  return createAccount(suite.t, `passkey.person${people}@example.com`);
}

// ---- the virtual authenticator ------------------------------------------------------------

/** A credential as the DevTools protocol shows it (ids and keys in standard base64). */
interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

interface VirtualAuthenticator {
  cdp: CDPSession;
  id: string;
  credentials(): Promise<VirtualCredential[]>;
  add(credential: VirtualCredential): Promise<void>;
  remove(credentialId: string): Promise<void>;
}

/**
 * A platform authenticator (CTAP2, internal) that can keep discoverable credentials, does
 * user verification and always succeeds at it, and answers without anyone touching it.
 * It belongs to this tab and stays through its navigations.
 */
async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    id: authenticatorId,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials as VirtualCredential[];
    },
    async add(credential) {
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
    },
    async remove(credentialId) {
      await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId });
    },
  };
}

/** Key material in a JWK (base64url), by field: public ones, or the private ones. */
const PUBLIC_FIELDS = ['x', 'y', 'n', 'pub']; // EC2 and OKP, RSA, ML-DSA ("AKP")
const PRIVATE_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'priv'];
function jwkParts(jwk: Record<string, unknown>, fields: string[]): Buffer[] {
  return fields.filter((field) => typeof jwk[field] === 'string').map((field) => Buffer.from(jwk[field] as string, 'base64url'));
}

/** The protocol's standard base64 credential id as WebAuthn (and Referee's database) spell it. */
const base64url = (base64: string) => Buffer.from(base64, 'base64').toString('base64url');

// ---- journeys ---------------------------------------------------------------------------

/**
 * Clicks a passkey button (passkeys.js: fetch, WebAuthn, fetch, then location.assign) and
 * waits for the page at `path`. If it never comes, the error says what the status region said.
 */
async function clickAndArrive(page: Page, button: Locator, path: string): Promise<void> {
  await button.click();
  try {
    await page.waitForURL((url) => url.pathname === path, { waitUntil: 'load', timeout: 15_000 });
  } catch (error) {
    const said = await passkeyStatus(page).innerText({ timeout: 1_000 }).catch(() => '(no status region)');
    throw new Error(`${(error as Error).message}\nstill on ${page.url()}; the status region says: "${said}"`);
  }
}

/** The password step on /sign-in (the passkey button is left alone). */
async function signInWithPassword(page: Page, person: TestPerson): Promise<void> {
  await page.goto(`${suite.baseUrl}/sign-in`);
  await page.getByLabel('Email address').fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await clickAndLoad(page, page.getByRole('main').getByRole('button', { name: 'Sign in', exact: true }));
  if (pathOf(page) === '/sign-in') {
    throw new Error(`the password step stayed on ${page.url()}: ${(await page.getByRole('main').innerText()).slice(0, 500)}`);
  }
}

/** Right after the password, on a new account: a passkey as the first second factor, on to /account. */
async function registerFirstPasskey(page: Page, label: string, { axe = false } = {}): Promise<void> {
  expect(pathOf(page)).toBe('/mfa/setup');
  expect(await h1(page)).toBe('Add a second way to sign in');
  if (axe) await checkAccessibility(page);
  await clickAndLoad(page, page.getByRole('link', { name: 'Set up a passkey' }));
  expect(pathOf(page)).toBe('/mfa/setup/passkey');
  expect(await h1(page)).toBe('Set up a passkey');
  // The part that needs JavaScript is shown: passkeys.js ran and found WebAuthn.
  await expectVisible(page.getByRole('button', { name: 'Create a passkey' }));
  if (axe) await checkAccessibility(page);
  const name = page.getByLabel('Name this passkey');
  expect(await name.inputValue()).toBe('My passkey');
  await name.fill(label);
  await clickAndArrive(page, page.getByRole('button', { name: 'Create a passkey' }), '/mfa/setup/done');
  expect(await h1(page)).toBe('Passkey or security key added');
  if (axe) {
    await screenshot(page, 'passkey-added');
    await checkAccessibility(page);
  }
  await clickAndLoad(page, page.getByRole('main').getByRole('link', { name: 'Continue' }));
  expect(pathOf(page)).toBe('/account');
  expect(await h1(page)).toBe('Your account');
}

async function signOut(page: Page): Promise<void> {
  await clickAndLoad(page, page.getByRole('banner').getByRole('button', { name: 'Sign out' }));
  expect(pathOf(page)).toBe('/sign-in');
}

async function expectVisible(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: 5_000 });
}

/** Not signed in: the account page sends this browser to sign in. */
async function expectSignedOut(page: Page): Promise<void> {
  await page.goto(`${suite.baseUrl}/account`);
  expect(pathOf(page)).toBe('/sign-in');
  expect(await h1(page)).toBe('Sign in');
}

async function passkeyRows(accountEmail: string) {
  const { rows } = await suite.t.db.sql.query(
    `select m.* from mfa_method m join account a on a.id = m.account_id where a.email = $1 and m.kind = 'passkey' order by m.created_at`,
    [accountEmail],
  );
  return rows as Array<Record<string, unknown> & { id: string; credential_id: string; public_key: string; sign_count: string | null }>;
}

async function sessionsOf(email: string): Promise<number> {
  const { rows } = await suite.t.db.sql.query(
    'select count(*)::int as n from session s join account a on a.id = s.account_id where a.email = $1',
    [email],
  );
  return rows[0].n as number;
}

/** A page's own fetch, with the CSRF token from its meta tag, as passkeys.js sends it. */
function postFromPage(page: Page, path: string, body: unknown = {}): Promise<Record<string, unknown>> {
  return page.evaluate(
    `(async ({ path, body }) => {
      const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
      const res = await fetch(path, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, Accept: 'application/json' },
        body: JSON.stringify(body),
      });
      return res.json();
    })(${JSON.stringify({ path, body })})`,
  ) as Promise<Record<string, unknown>>;
}

/** navigator.credentials.get with options as Referee sends them, on whatever page is open. */
function assertionOnThisPage(page: Page, options: unknown): Promise<Record<string, unknown>> {
  return page.evaluate(
    `(async (options) => {
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
      const credential = await navigator.credentials.get({ publicKey });
      return credential.toJSON();
    })(${JSON.stringify(options)})`,
  ) as Promise<Record<string, unknown>>;
}

// ---- the tests ----------------------------------------------------------------------------

suite.describe('passkeys, in a browser (Chromium virtual authenticator)', () => {
  /** Another site on the same relying-party id (localhost), at another origin (port). */
  let otherSite: Server;
  let otherOrigin: string;

  beforeAll(async () => {
    otherSite = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end('<!DOCTYPE html><html lang="en"><head><title>Not Referee</title></head><body><h1>Not Referee</h1></body></html>');
    });
    await new Promise<void>((resolve) => otherSite.listen(0, '127.0.0.1', resolve));
    otherOrigin = `http://localhost:${(otherSite.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => otherSite?.close(resolve));
  });

  it('adds a passkey as the first second factor, then confirms a password sign-in with it; the pages pass axe', async () => {
    const person = await newPerson();
    const browser = await suite.launch();
    const { page } = browser;
    const errors = collectPageErrors(page);
    const authenticator = await addVirtualAuthenticator(page);

    await signInWithPassword(page, person);
    await registerFirstPasskey(page, 'Test laptop', { axe: true });
    expect(await page.getByRole('main').innerText()).toContain(person.email);
    const [credential] = await authenticator.credentials();
    expect(credential.rpId).toBe('localhost');
    // Discoverable (kept on the authenticator with the user's handle): good for passwordless too.
    expect(credential.isResidentCredential).toBe(true);

    await signOut(page);
    await expectSignedOut(page);

    // The password again, then the passkey on the challenge page.
    await signInWithPassword(page, person);
    expect(pathOf(page)).toBe('/mfa/challenge');
    expect(await h1(page)).toBe("Confirm it's you");
    expect(await page.getByRole('main').innerText()).toContain('Use your passkey or security key (Test laptop)');
    await expectVisible(page.getByRole('button', { name: 'Use passkey' }));
    await checkAccessibility(page);
    await clickAndArrive(page, page.getByRole('button', { name: 'Use passkey' }), '/account');
    expect(await h1(page)).toBe('Your account');
    expect(await page.getByRole('main').innerText()).toContain(person.email);
    await screenshot(page, 'passkey-second-factor-account');

    // Signed in for real: a new load of the account page stays there.
    await page.goto(`${suite.baseUrl}/account`);
    expect(pathOf(page)).toBe('/account');
    expect(errors).toEqual([]);
  });

  it('signs in with a passkey alone (no email, no password): the authenticator verified its user', async () => {
    const person = await newPerson();
    const browser = await suite.launch();
    const { page } = browser;
    const errors = collectPageErrors(page);
    await addVirtualAuthenticator(page);

    await signInWithPassword(page, person);
    await registerFirstPasskey(page, 'Phone');
    await signOut(page);

    await page.goto(`${suite.baseUrl}/sign-in`);
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await expectVisible(button);
    await checkAccessibility(page);
    expect(await page.getByLabel('Email address').inputValue()).toBe('');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await clickAndArrive(page, button, '/account');
    expect(await h1(page)).toBe('Your account');
    expect(await page.getByRole('main').innerText()).toContain(person.email);
    await page.goto(`${suite.baseUrl}/account`);
    expect(pathOf(page)).toBe('/account');
    expect(errors).toEqual([]);
  });

  it('keeps the passkey button out of the way when JavaScript is off (passkeys need it)', async () => {
    const browser = await suite.launch({ javaScriptEnabled: false });
    await browser.page.goto(`${suite.baseUrl}/sign-in`);
    expect(await browser.page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible()).toBe(false);
    expect(await browser.page.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).toBe(true);
  });

  it('refuses a passkey whose record was removed: the page says so, and nobody is signed in', async () => {
    const person = await newPerson();
    const browser = await suite.launch();
    const { page } = browser;
    const authenticator = await addVirtualAuthenticator(page);

    await signInWithPassword(page, person);
    await registerFirstPasskey(page, 'Old laptop');
    await signOut(page);
    expect(await sessionsOf(person.email)).toBe(0);

    // Gone from Referee, still on the device (as after a removal, or a database restore).
    const [row] = await passkeyRows(person.email);
    await suite.t.db.sql.query('delete from mfa_method where id = $1', [row.id]);
    expect(await authenticator.credentials()).toHaveLength(1);

    await page.goto(`${suite.baseUrl}/sign-in`);
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.click();
    await expect(waitForStatus(page, /not registered/)).resolves.toBe('That passkey is not registered to an account here');
    // The button works again (another try, or another passkey).
    expect(await button.isEnabled()).toBe(true);
    expect(pathOf(page)).toBe('/sign-in');
    await checkAccessibility(page);
    await screenshot(page, 'passkey-not-registered');
    expect(await sessionsOf(person.email)).toBe(0);
    await expectSignedOut(page);
  });

  it("never offers another site's passkey (another relying-party id): the page asks to try again", async () => {
    const person = await newPerson();
    const browser = await suite.launch();
    const { page } = browser;
    const authenticator = await addVirtualAuthenticator(page);
    // A discoverable passkey for example.org, on the same device.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await authenticator.add({
      credentialId: Buffer.from('a passkey of example.org').toString('base64'),
      isResidentCredential: true,
      rpId: 'example.org',
      privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      userHandle: Buffer.from(person.email).toString('base64'),
      signCount: 0,
    });

    await page.goto(`${suite.baseUrl}/sign-in`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect(waitForStatus(page, /cancelled|timed out/)).resolves.toBe('The passkey request was cancelled or timed out. Try again.');
    expect(pathOf(page)).toBe('/sign-in');
    await expectSignedOut(page);
    expect(await sessionsOf(person.email)).toBe(0);
  });

  it('refuses a passkey answer made on another origin (relayed by a look-alike site), though the same answer from Referee works', async () => {
    const person = await newPerson();
    const browser = await suite.launch();
    const { page } = browser;
    await addVirtualAuthenticator(page);
    await signInWithPassword(page, person);
    await registerFirstPasskey(page, 'Laptop');
    await signOut(page);

    // Control: the steps passkeys.js takes, done by hand on Referee's own page, sign in.
    await page.goto(`${suite.baseUrl}/sign-in`);
    const options = await postFromPage(page, '/sign-in/passkey/options');
    expect(options.rpId).toBe('localhost');
    const genuine = await assertionOnThisPage(page, options);
    expect(await postFromPage(page, '/sign-in/passkey', { response: genuine })).toEqual({ ok: true, redirect: '/account' });
    await page.goto(`${suite.baseUrl}/account`);
    expect(pathOf(page)).toBe('/account');
    await signOut(page);

    // A look-alike site at another origin with the same relying-party id (localhost) takes
    // a fresh challenge from Referee, has the person's device answer it there, and relays it.
    await page.goto(`${suite.baseUrl}/sign-in`);
    const relayedOptions = await postFromPage(page, '/sign-in/passkey/options');
    await page.goto(`${otherOrigin}/`);
    expect(await h1(page)).toBe('Not Referee');
    const relayed = await assertionOnThisPage(page, relayedOptions);
    const clientData = JSON.parse(Buffer.from((relayed.response as { clientDataJSON: string }).clientDataJSON, 'base64url').toString());
    expect(clientData.origin).toBe(otherOrigin);
    expect(clientData.challenge).toBe(relayedOptions.challenge);
    await page.goto(`${suite.baseUrl}/sign-in`);
    const refused = await postFromPage(page, '/sign-in/passkey', { response: relayed });
    expect(refused.ok).toBe(false);
    expect(refused.message).toEqual(expect.any(String));
    expect(refused.redirect).toBeUndefined();
    await expectSignedOut(page);
    expect(await sessionsOf(person.email)).toBe(0);
  });

  it('speaks the reader’s language in the passkey status too: the page’s words (passkeys.js) and the server’s answers, right to left', async () => {
    const browser = await suite.launch({ locale: 'ar' }); // Accept-Language: ar
    const { page } = browser;
    const errors = collectPageErrors(page);
    const authenticator = await addVirtualAuthenticator(page);
    const working = 'يُرجى اتباع التعليمات التي يعرضها متصفحك أو جهازك…';

    // Only another site's passkey on the device: the browser has nothing to offer Referee.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    await authenticator.add({ credentialId: Buffer.from('not for referee').toString('base64'), isResidentCredential: true, rpId: 'example.org', privateKey: key, userHandle: Buffer.from('someone').toString('base64'), signCount: 0 });
    await page.goto(`${suite.baseUrl}/sign-in`);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(await h1(page)).toBe('تسجيل الدخول');
    const button = page.getByRole('button', { name: 'تسجيل الدخول بمفتاح مرور' });
    await expectVisible(button);
    await checkAccessibility(page);
    await button.click();
    await expect(waitForStatus(page, /أُلغي/, [working])).resolves.toBe('أُلغي طلب مفتاح المرور أو انتهت مهلته. يُرجى المحاولة مرة أخرى.');

    // A passkey for Referee that no account here has: Referee's refusal, in Arabic.
    await authenticator.add({
      credentialId: Buffer.from('unknown to referee').toString('base64'),
      isResidentCredential: true,
      rpId: 'localhost',
      privateKey: key,
      userHandle: Buffer.from('nobody').toString('base64'),
      signCount: 0,
    });
    await button.click();
    await expect(waitForStatus(page, /مسجّل/, [working, 'أُلغي طلب مفتاح المرور أو انتهت مهلته. يُرجى المحاولة مرة أخرى.'])).resolves.toBe('مفتاح المرور هذا غير مسجّل لأي حساب هنا');
    expect(pathOf(page)).toBe('/sign-in');
    await screenshot(page, 'passkey-arabic-not-registered');
    expect(errors).toEqual([]);
  });

  it('stores only the public key and credential id, and moves the signature counter on at each sign-in; a cloned (older) counter is refused', async () => {
    const person = await newPerson();
    const browser = await suite.launch();
    const { page } = browser;
    const authenticator = await addVirtualAuthenticator(page);
    await signInWithPassword(page, person);
    await registerFirstPasskey(page, 'Work laptop');

    const [credential] = await authenticator.credentials();
    const rows = await passkeyRows(person.email);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ kind: 'passkey', label: 'Work laptop', credential_id: base64url(credential.credentialId), secret_sealed: null });
    expect(row.public_key).not.toBeNull();
    // The stored key is the public half of the key pair on the device (a COSE key, whatever
    // algorithm the device chose), and no part of the private half is anywhere in the row.
    const devicePrivate = createPrivateKey({ key: Buffer.from(credential.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
    const devicePublic = createPublicKey(devicePrivate).export({ format: 'jwk' }) as Record<string, unknown>;
    const cose = Buffer.from(row.public_key, 'base64url');
    const publicParts = jwkParts(devicePublic, PUBLIC_FIELDS);
    expect(publicParts.length).toBeGreaterThan(0);
    for (const part of publicParts) expect(cose.includes(part)).toBe(true);
    const privateParts = jwkParts(devicePrivate.export({ format: 'jwk' }) as Record<string, unknown>, PRIVATE_FIELDS);
    expect(privateParts.length).toBeGreaterThan(0);
    const rowText = JSON.stringify(row);
    for (const part of [...privateParts, Buffer.from(credential.privateKey, 'base64')]) {
      for (const spelling of [part.toString('base64url'), part.toString('base64').replace(/=+$/, ''), part.toString('hex')]) {
        expect(rowText.includes(spelling)).toBe(false);
      }
      expect(cose.includes(part)).toBe(false);
    }
    // The registration challenge was used once and is gone.
    const pending = await suite.t.db.sql.query(`select count(*)::int as n from mfa_pending where purpose like 'passkey%' and account_id = $1`, [row.account_id]);
    expect(pending.rows[0].n).toBe(0);

    const countAfterSetup = Number(row.sign_count);
    expect(row.last_used_at).toBeNull();

    // A passwordless sign-in: the counter in the database follows the device's.
    await signOut(page);
    await page.goto(`${suite.baseUrl}/sign-in`);
    await clickAndArrive(page, page.getByRole('button', { name: 'Sign in with a passkey' }), '/account');
    const [afterOne] = await passkeyRows(person.email);
    const [deviceAfterOne] = await authenticator.credentials();
    expect(Number(afterOne.sign_count)).toBeGreaterThan(countAfterSetup);
    expect(Number(afterOne.sign_count)).toBe(deviceAfterOne.signCount);
    expect(afterOne.last_used_at).not.toBeNull();

    // And a second factor after the password: on again.
    await signOut(page);
    await signInWithPassword(page, person);
    expect(pathOf(page)).toBe('/mfa/challenge');
    await clickAndArrive(page, page.getByRole('button', { name: 'Use passkey' }), '/account');
    const [afterTwo] = await passkeyRows(person.email);
    expect(Number(afterTwo.sign_count)).toBeGreaterThan(Number(afterOne.sign_count));
    expect(Number(afterTwo.sign_count)).toBe((await authenticator.credentials())[0].signCount);

    // A copy of the key with an older counter (a cloned authenticator) is refused.
    await signOut(page);
    await authenticator.remove(deviceAfterOne.credentialId);
    await authenticator.add({ ...deviceAfterOne, signCount: 0 });
    await page.goto(`${suite.baseUrl}/sign-in`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const said = await waitForStatus(page, /./, ['Follow the instructions from your browser or device…']);
    expect(said).not.toMatch(/^Done/);
    expect(pathOf(page)).toBe('/sign-in');
    expect(Number((await passkeyRows(person.email))[0].sign_count)).toBe(Number(afterTwo.sign_count));
    await expectSignedOut(page);
    expect(await sessionsOf(person.email)).toBe(0);
  });
});

/** Waits until the passkey status region shows a message matching `pattern` (other than `ignoring`), and returns it. */
async function waitForStatus(page: Page, pattern: RegExp, ignoring: string[] = ['Follow the instructions from your browser or device…']): Promise<string> {
  const status = passkeyStatus(page);
  const deadline = Date.now() + 15_000;
  let text = '';
  while (Date.now() < deadline) {
    text = (await status.innerText()).trim();
    if (text && !ignoring.includes(text) && pattern.test(text)) return text;
    if (text && !ignoring.includes(text) && !pattern.test(text)) break;
    await page.waitForTimeout(100);
  }
  throw new Error(`the passkey status region says "${text}", expected ${pattern}`);
}
