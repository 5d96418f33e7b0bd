/**
 * The way back to the organization that sent someone: its registered name in view from its
 * button on, and one rule that takes the person back into its request after each detour
 * (email confirmation in another browser, the second factor's setup, verification days
 * later), or, once the request expired, to the organization's registered start address.
 */
import * as client from 'openid-client';
import { codeFor, createAccount, PASSWORD, signIn } from '../harness/accounts';
import { startTestApp, type TestApp } from '../harness/app';
import { csrfOf, submitForm } from '../harness/forms';
import { lastEmailTo, pathOf } from '../harness/outbox';
import { authorizationRequest, createOrganization, follow, organizationClient, press, recordVerified, uidOf } from './flow';

let t: TestApp;
let issuer: string;
let n = 0;

beforeAll(async () => {
  t = await startTestApp({}, { publicPort: true });
  issuer = `${await t.listen()}/oidc`;
});
afterAll(() => t?.close());

type Agent = ReturnType<TestApp['browser']>;
const newEmail = () => `return${++n}.${Date.now()}@example.org`;
const banner = (name: string) => `<strong>${name}</strong> asked Referee to verify your identity.`;
const accountIdOf = async (email: string) => (await t.db.sql.query('select id from account where email = $1', [email])).rows[0].id as string;

/** An organization asking for a verified identity, and the page its button leads a new visitor to (Referee's sign-in). */
async function fromOrganization(browser: Agent, input: Parameters<typeof createOrganization>[1] = {}) {
  const { clientId, clientSecret } = await createOrganization(t, { name: 'Benefits Office', initiateLoginUri: 'https://org.example/start', ...input });
  const config = await organizationClient(issuer, clientId, clientSecret);
  const started = await authorizationRequest(config, { scope: 'openid verified_identity' });
  const signInPage = await follow(browser, started.url.toString());
  return { config, started, signInPage, clientId };
}

/** Sets up a code generator app as the first second factor, on the page `setupPath` leads to; returns the "added" page. */
async function firstSecondFactor(browser: Agent, setupPath: string) {
  const page = await browser.get(setupPath);
  const secret = /id="totp-key">([^<]+)</.exec(page.text)![1].replace(/\s/g, '');
  const added = await browser.post('/mfa/setup/totp').type('form').send({ _csrf: csrfOf(page.text), code: await codeFor(secret), label: 'Phone app', next: /name="next" value="([^"]*)"/.exec(page.text)?.[1] ?? '' });
  expect(added.status).toBe(200);
  return added;
}

/** The "Continue" button's address on the "second factor added" page. */
const continueOf = (html: string) => /<a class="usa-button" href="([^"]+)">Continue<\/a>/.exec(html)![1].replace(/&amp;/g, '&');

describe('the organization that asked stays in view', () => {
  it('names it (its registered name) on sign-in, sign-up, check-email, the emailed confirmation opened in another browser, and the second factor', async () => {
    const browser = t.browser();
    const { signInPage } = await fromOrganization(browser);
    expect(signInPage.path).toMatch(/^\/sign-in\?next=/);
    expect(signInPage.text).toContain(banner('Benefits Office'));

    const signUpHref = /href="(\/sign-up\?next=[^"]+)"/.exec(signInPage.text)![1].replace(/&amp;/g, '&');
    const signUpPage = await browser.get(signUpHref);
    expect(signUpPage.text).toContain(banner('Benefits Office'));
    const email = newEmail();
    const next = /name="next" value="([^"]+)"/.exec(signUpPage.text)![1];
    const checkEmail = await browser.post('/sign-up').type('form').send({ _csrf: csrfOf(signUpPage.text), email, password: PASSWORD, next });
    expect(checkEmail.text).toContain(banner('Benefits Office'));
    expect(checkEmail.text).toContain('you will continue with Benefits Office’s request');

    // The email opened on another device: it still knows who asked.
    const phone = t.browser();
    const link = pathOf((await lastEmailTo(t.db.sql, email))!.link!);
    const confirmPage = await phone.get(link);
    expect(confirmPage.text).toContain(banner('Benefits Office'));
    const token = /name="token" value="([^"]+)"/.exec(confirmPage.text)![1];
    const confirmed = await phone.post('/sign-up/confirm').type('form').send({ _csrf: csrfOf(confirmPage.text), token });
    expect(confirmed.headers.location).toBe(`/sign-in?confirmed=1&next=${encodeURIComponent(next)}`);

    // Signing in there: the second factor's setup still names the organization.
    const signInThere = await phone.get(confirmed.headers.location);
    expect(signInThere.text).toContain(banner('Benefits Office'));
    const step = await phone.post('/sign-in').type('form').send({ _csrf: csrfOf(signInThere.text), email, password: PASSWORD, next });
    const setup = await follow(phone, step.headers.location);
    expect(setup.path).toMatch(/^\/mfa\/setup/);
    expect(setup.text).toContain(banner('Benefits Office'));
  });

  it('never takes the name from the address: an unknown request, or a name in the query, shows no banner', async () => {
    const browser = t.browser();
    await createOrganization(t, { name: 'Benefits Office' });
    for (const path of ['/sign-in?next=%2Finteraction%2Fnot-a-request%2Flogin', '/sign-up?next=%2Finteraction%2Fnot-a-request%2Flogin&organization=Evil+Corp']) {
      const page = await browser.get(path);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('asked Referee to verify your identity');
    }
  });
});

describe('the way back after each detour', () => {
  it('after the email is confirmed and the first second factor set up in the same browser, goes on into the request (verify first), then to consent once verified', async () => {
    const browser = t.browser();
    const { signInPage, started, config } = await fromOrganization(browser);
    const next = decodeURIComponent(/next=([^&]+)/.exec(signInPage.path)![1]);
    const email = newEmail();
    await submitForm(browser, `/sign-up?next=${encodeURIComponent(next)}`, '/sign-up', { email, password: PASSWORD, next });
    const confirmPage = await browser.get(pathOf((await lastEmailTo(t.db.sql, email))!.link!));
    const confirmed = await browser.post('/sign-up/confirm').type('form').send({ _csrf: csrfOf(confirmPage.text), token: /name="token" value="([^"]+)"/.exec(confirmPage.text)![1] });
    // Signing in from the page the confirmation leads to: its form carries the request on.
    const signInAgain = await browser.get(confirmed.headers.location);
    const carried = /name="next" value="([^"]+)"/.exec(signInAgain.text)![1];
    const step = await browser.post('/sign-in').type('form').send({ _csrf: csrfOf(signInAgain.text), email, password: PASSWORD, next: carried });
    const chooser = await follow(browser, step.headers.location);
    expect(chooser.path).toBe(`/mfa/setup?next=${encodeURIComponent(next)}`);
    const added = await firstSecondFactor(browser, `/mfa/setup/totp?next=${encodeURIComponent(next)}`);
    const verifyFirst = await follow(browser, continueOf(added.text));
    expect(verifyFirst.text).toContain('Verify your identity to continue to Benefits Office');

    // Verified days later, in a new session: the verified page's button continues the consent step.
    await recordVerified(t, await accountIdOf(email));
    const back = await follow(browser, '/return-to-organization');
    expect(back.text).toContain('Share your information with Benefits Office');
    const done = await press(browser, back, `/interaction/${uidOf(back.path)}/allow`);
    const tokens = await client.authorizationCodeGrant(config, new URL(done.offsite!), { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
    expect(tokens.access_token).toBeTruthy();
    expect((await browser.get('/account')).text).not.toContain('Return to Benefits Office'); // nothing waits any more
  });

  it('after the first second factor is set up with nothing asking to come back, "Continue" still goes on with the organization waiting', async () => {
    const email = newEmail();
    const browser = t.browser();
    const { signInPage } = await fromOrganization(browser, { name: 'Housing Authority' });
    const next = decodeURIComponent(/next=([^&]+)/.exec(signInPage.path)![1]);
    await submitForm(browser, `/sign-up?next=${encodeURIComponent(next)}`, '/sign-up', { email, password: PASSWORD, next });
    const confirmPage = await browser.get(pathOf((await lastEmailTo(t.db.sql, email))!.link!));
    await browser.post('/sign-up/confirm').type('form').send({ _csrf: csrfOf(confirmPage.text), token: /name="token" value="([^"]+)"/.exec(confirmPage.text)![1] });
    // Signs in from Referee's own page, without the request's address.
    await submitForm(browser, '/sign-in', '/sign-in', { email, password: PASSWORD });
    const added = await firstSecondFactor(browser, '/mfa/setup/totp');
    expect(continueOf(added.text)).toBe('/return-to-organization');
    expect((await follow(browser, '/return-to-organization')).text).toContain('Verify your identity to continue to Housing Authority');

    // Someone with no organization waiting goes to their account, as before.
    const other = t.browser();
    const alone = newEmail();
    await createAccount(t, alone);
    await submitForm(other, '/sign-in', '/sign-in', { email: alone, password: PASSWORD });
    expect(continueOf((await firstSecondFactor(other, '/mfa/setup/totp')).text)).toBe('/account');
  });

  it('once the request expired, shows a page linking to the organization’s registered start address only', async () => {
    const person = await createAccount(t, newEmail());
    const browser = await signIn(t, person);
    const accountId = await accountIdOf(person.email);
    const { signInPage } = await fromOrganization(browser, { name: 'County Clerk', initiateLoginUri: 'https://clerk.example/login' });
    expect(signInPage.text).toContain('Verify your identity to continue to County Clerk');
    await recordVerified(t, accountId);

    // The verified page offers the way back (a test that ends the call shows it too).
    await t.db.sql.query(`update oidc_payload set expires_at = now() - interval '1 second' where model = 'Interaction'`);
    const page = await follow(browser, '/return-to-organization');
    expect(page.path).toBe('/return-to-organization');
    expect(page.text).toContain('The request from County Clerk ended while you were away');
    expect(page.text).toContain(`href="https://clerk.example/login?iss=${encodeURIComponent(issuer)}"`);
    expect(page.text).not.toContain('You have not finished verifying');

    // The account page says verified, with the date, and offers the way back rather than "Continue verifying".
    const account = await browser.get('/account');
    expect(account.text).toContain('Your identity is verified');
    expect(account.text).toContain('on November 20, 2026');
    expect(account.text).not.toContain('Continue verifying your identity');
    expect(account.text).toContain('href="/return-to-organization">Return to County Clerk<');
    expect(account.text).toContain('href="/mfa/methods"');
    expect(account.text).toContain('href="/account/organizations"');
  });

  it('ends once the person is back at the organization, after Deny as after Allow: no banner, no "Return to"', async () => {
    const person = await createAccount(t, newEmail());
    const browser = await signIn(t, person);
    await fromOrganization(browser, { name: 'Parks Service' });
    expect((await browser.get('/help')).text).toContain(banner('Parks Service'));
    await recordVerified(t, await accountIdOf(person.email));
    const consent = await follow(browser, '/return-to-organization');
    const back = await press(browser, consent, `/interaction/${uidOf(consent.path)}/deny`);
    expect(new URL(back.offsite!).searchParams.get('error')).toBe('access_denied');
    expect((await browser.get('/help')).text).not.toContain('asked Referee to verify your identity');
    expect((await browser.get('/account')).text).not.toContain('Return to Parks Service');
  });

  it('is never an open redirect: an organization without a registered start address gets no link, and sign-in ignores outside addresses', async () => {
    const person = await createAccount(t, newEmail());
    const browser = await signIn(t, person);
    await fromOrganization(browser, { name: 'Records Office', initiateLoginUri: undefined });
    await t.db.sql.query(`update oidc_payload set expires_at = now() - interval '1 second' where model = 'Interaction'`);
    const page = await follow(browser, '/return-to-organization');
    expect(page.text).toContain("Go to Records Office's website");
    expect(page.text).not.toMatch(/href="https?:\/\/(?!127\.0\.0\.1)/);
    expect(page.text).toContain('You have not finished verifying your identity yet');

    const stranger = t.browser();
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const signInPage = await stranger.get(`/sign-in?next=${encodeURIComponent(next)}`);
      // Neither kept to come back to nor passed on to sign-up (the language switcher only keeps the page's own address).
      expect(signInPage.text).not.toContain('name="next"');
      expect(signInPage.text).toContain('<a class="usa-link" href="/sign-up">Create an account</a>');
    }
  });
});
