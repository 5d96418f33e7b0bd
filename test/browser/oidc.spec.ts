/**
 * What a new user tries first, the whole way: the demo organization's "Verify with Referee"
 * button, sign-up, the emailed confirmation (from the development outbox), the second factor,
 * the intake (a person living in Germany, no SSN or ITIN, a foreign passport and a bank
 * statement), the documents approved by a reviewer, the call completed by a Trusted Referee,
 * then the verified page's "Return to Demo Organization", Allow, and the organization showing
 * the verified claims it received. The organization's name stays in view on the way, every
 * page passes axe, and no page logs an error (a CSP block would).
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { TestApp } from '../harness/app';
import { PASSWORD, codeFor, createAccount, grantRoles, signIn } from '../harness/accounts';
import { JITSI, newReferee } from '../harness/calls';
import { submitDocuments, uploadAll } from '../harness/documents';
import { csrfOf } from '../harness/forms';
import { lastEmailTo } from '../harness/outbox';
import { step, type Applicant } from '../harness/verification';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot } from './browser';

const suite = browserSuite(JITSI);

type Agent = ReturnType<TestApp['browser']>;
const h1 = (page: Page) => page.locator('h1').innerText();
const path = (page: Page) => new URL(page.url()).pathname;
const banner = (page: Page) => page.locator('.referee-request-banner').innerText();

/** The same browser session over HTTP (Chromium's cookies in a supertest agent): the harness's steps then act as this person. */
async function sameSession(context: BrowserContext, email: string): Promise<Applicant> {
  const browser = suite.t.browser();
  const jar = (browser as unknown as { jar: { setCookie(cookie: string, domain: string, path: string): void } }).jar;
  for (const c of await context.cookies(suite.baseUrl)) jar.setCookie(`${c.name}=${c.value}`, new URL(suite.baseUrl).hostname, '/');
  return {
    person: { email, password: PASSWORD, backupCodes: [] },
    browser,
    async post(to, fields = {}) {
      const page = await browser.get('/account');
      return browser.post(to).type('form').send({ _csrf: csrfOf(page.text), ...fields });
    },
    async row() {
      const { rows } = await suite.t.db.sql.query('select c.* from verification_case c join account a on a.id = c.account_id where a.email = $1', [email]);
      return rows[0];
    },
  };
}

/** A person living in Berlin: the details form, where (until a bank statement's address counts as the proof of it) the address is typed. */
const GERMAN_DETAILS = {
  firstName: 'Anna',
  middleName: '',
  lastName: 'Müller',
  'dateOfBirth-month': '7',
  'dateOfBirth-day': '14',
  'dateOfBirth-year': '1990',
  email: 'anna.mueller@example.de',
  phone: '+49 30 901820',
  country: 'DE',
  line1: 'Friedrichstraße 43',
  line2: '',
  city: 'Berlin',
  region: '',
  postalCode: '10117',
  nameChanged: 'no',
};

/**
 * The intake and the documents, as the harness takes them over HTTP in this person's session:
 * details (home address in Germany, entered once), no SSN or ITIN, a foreign passport and a
 * bank statement (which also proves the address), then the photos sent.
 */
async function intakeLivingInGermany(a: Applicant): Promise<void> {
  await a.browser.get('/verify');
  for (const [to, fields] of [['/verify/international', { from: 'choose_method' }], ['/verify/video-call', {}], ['/verify/details', GERMAN_DETAILS]] as const) {
    const res = await a.post(to, fields);
    if (res.status !== 303) throw new Error(`${to} answered ${res.status}: ${res.text.slice(0, 500)}`);
  }
  await step(a, '/verify/no-ssn-or-itin', {}, '/verify/documents/primary');
  await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
  await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
  await step(a, '/verify/documents/second', { document: 'bank_statement' }, '/verify/documents/second/check');
  // The bank statement shows the German address: it is the proof of that address, so no third document is asked for.
  await step(a, '/verify/documents/second/check', { nameMatches: 'yes', recent: 'yes' }, '/verify/documents/review');
  await uploadAll(a);
  const sent = await submitDocuments(a);
  if (sent.status !== 303) throw new Error(`sending the documents answered ${sent.status}`);
}

/** A reviewer takes the next case and accepts every document. */
async function reviewerApproves(caseId: string) {
  const person = await createAccount(suite.t, `reviewer.${Date.now()}@referee.example`);
  await grantRoles(suite.t, person.email, ['reviewer']);
  const browser = await signIn(suite.t, person);
  const post = async (to: string, fields: Record<string, string> = {}) =>
    browser.post(to).type('form').send({ _csrf: csrfOf((await browser.get('/agent/review')).text), ...fields });
  await suite.t.db.sql.query(`update document_review set decided_at = now() where decided_at is null and case_id <> $1`, [caseId]);
  const next = await post('/agent/review/next');
  expect(next.headers.location).toBe(`/agent/review/${caseId}`);
  const decided = await post(next.headers.location, { 'decision-0': 'accepted', 'decision-1': 'accepted' });
  expect(decided.headers.location).toBe('/agent/review?decided=approved');
}

/** The applicant waits in the queue; a Trusted Referee takes the call and completes the checklist, "verified". */
async function trustedRefereeVerifies(a: Applicant) {
  expect((await a.post('/call')).headers.location).toBe('/call');
  const referee = await newReferee(suite.t);
  const b: Agent = referee.browser!;
  const post = async (from: string, to: string, fields: Record<string, string> = {}) =>
    b.post(to).type('form').send({ _csrf: csrfOf((await b.get(from)).text), ...fields });
  const consolePath: string = (await post('/agent/calls', '/agent/calls/next')).headers.location;
  expect(consolePath).toMatch(/^\/agent\/calls\/[0-9a-f-]{36}$/);
  expect((await a.post('/call/join', { recordingConsent: 'yes' })).status).toBe(303);
  await post(consolePath, `${consolePath}/code`);
  const code = /(\d{6})/.exec((await lastEmailTo(suite.t.db.sql, GERMAN_DETAILS.email))!.body)![1];
  const checks = Object.fromEntries(['name', 'dateOfBirth', 'address', 'originals', 'face', 'tilted', 'inView'].map((k) => [`check-${k}`, 'yes']));
  const done = await post(consolePath, `${consolePath}/outcome`, { outcome: 'verified', ...checks, 'doc-first-country': 'DE', 'doc-first-number': 'C01X00T47', 'doc-first-expiry': '2031-05-01', code });
  expect(done.headers.location).toBe('/agent/calls?done=1');
}

suite.describe('the demo organization, as a new user tries it', () => {
  it('from its button through sign-up, the emailed link, the second factor, the intake, review and call, back to it with Allow', async () => {
    const browser = await suite.launch();
    const { page, context } = browser;
    const errors = collectPageErrors(page);
    const email = 'anna.mueller.demo@example.de';

    await page.goto(`${suite.baseUrl}/demo`);
    expect(await h1(page)).toBe('Demo Organization');
    await checkAccessibility(page);
    await clickAndLoad(page, page.getByRole('link', { name: 'Verify with Referee' }));
    expect(path(page)).toBe('/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toMatch(/^\/interaction\/[^/]+\/login$/);
    expect(await banner(page)).toBe('Demo Organization asked Referee to verify your identity.');

    // A new account, still for the organization; confirmed from the development outbox.
    await clickAndLoad(page, page.getByRole('main').getByRole('link', { name: 'Create an account' }));
    expect(await banner(page)).toBe('Demo Organization asked Referee to verify your identity.');
    await checkAccessibility(page);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await clickAndLoad(page, page.getByRole('button', { name: 'Create account' }));
    expect(await h1(page)).toBe('Check your email');
    expect(await page.getByRole('main').innerText()).toContain('you will continue with Demo Organization’s request');
    await page.goto((await lastEmailTo(suite.t.db.sql, email))!.link!);
    expect(await banner(page)).toBe('Demo Organization asked Referee to verify your identity.');
    await clickAndLoad(page, page.getByRole('button', { name: 'Confirm email address' }));

    // Straight on: sign in, and the second factor, for the organization's request.
    expect(path(page)).toBe('/sign-in');
    expect(await banner(page)).toBe('Demo Organization asked Referee to verify your identity.');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await clickAndLoad(page, page.getByRole('main').getByRole('button', { name: 'Sign in', exact: true }));
    expect(await h1(page)).toBe('Add a second way to sign in');
    expect(await banner(page)).toBe('Demo Organization asked Referee to verify your identity.');
    await clickAndLoad(page, page.getByRole('link', { name: 'Set up a code generator app' }));
    const key = (await page.locator('#totp-key').innerText()).replace(/\s/g, '');
    await page.getByLabel('Code', { exact: true }).fill(await codeFor(key));
    await page.getByLabel('Name this method').fill('Phone app');
    await clickAndLoad(page, page.getByRole('button', { name: 'Confirm' }));
    expect(await h1(page)).toBe('Code generator app added');
    await clickAndLoad(page, page.getByRole('link', { name: 'Continue' }));
    await page.waitForURL(/\/interaction\/[^/]+$/);

    // The organization asks for a verified identity: verification comes first.
    expect(await h1(page)).toBe('Verify your identity to continue to Demo Organization');
    await screenshot(page, 'oidc-verify-first');
    await checkAccessibility(page);
    await clickAndLoad(page, page.getByRole('link', { name: 'Verify your identity' }));
    expect(await banner(page)).toBe('Demo Organization asked Referee to verify your identity.');

    const applicant = await sameSession(context, email);
    await intakeLivingInGermany(applicant);
    await reviewerApproves((await applicant.row()).id);
    await trustedRefereeVerifies(applicant);

    // Verified: the way back, into the organization's consent step.
    await page.goto(`${suite.baseUrl}/call`);
    expect(path(page)).toBe('/call/verified');
    expect(await h1(page)).toBe('Your identity is verified');
    await screenshot(page, 'oidc-verified-return');
    await checkAccessibility(page);
    await clickAndLoad(page, page.getByRole('link', { name: 'Return to Demo Organization' }));
    await page.waitForURL(/\/interaction\/[^/]+$/);
    expect(await h1(page)).toBe('Share your information with Demo Organization');
    expect(await page.locator('#shared-claims').innerText()).toContain('Your verified identity');
    await screenshot(page, 'oidc-consent');
    await checkAccessibility(page);

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/\/demo\/callback\?/);
    await page.waitForLoadState('load');
    expect(await h1(page)).toBe('Welcome to Demo Organization');
    const received = await page.locator('#verified-claims').innerText();
    expect(received).toContain('Anna');
    expect(received).toContain('Müller');
    expect(received).toContain('nist_800_63A');
    expect(received).toContain('ial2');
    await screenshot(page, 'oidc-demo-claims');
    await checkAccessibility(page);

    // The account says so too: verified, nothing left to continue.
    await page.goto(`${suite.baseUrl}/account`);
    expect(await page.getByRole('main').innerText()).toContain('Your identity is verified');
    expect(await page.getByRole('main').innerText()).not.toContain('Continue verifying your identity');
    await checkAccessibility(page);
    expect(errors).toEqual([]);
  }, 300_000); // the whole journey, with a reviewer and a call, on a shared machine
});
