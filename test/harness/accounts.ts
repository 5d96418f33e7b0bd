import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { generate } from 'otplib';
import type { StaffRole } from '../../src/staff/roles';
import { StaffService } from '../../src/staff/staff.service';
import type { TestApp } from './app';
import { csrfOf, submitForm } from './forms';
import { lastEmailTo, pathOf } from './outbox';

export const PASSWORD = 'correct horse battery staple 42';
type Browser = ReturnType<TestApp['browser']>;

/** What a test person keeps: their code generator's secret and unused backup codes. */
export interface TestPerson {
  email: string;
  password: string;
  totpSecret?: string;
  backupCodes: string[];
}

export function codeFor(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

/**
 * Signs up and confirms the email from the outbox, as a person would; with `language`, from a
 * browser that asks for it (Accept-Language), which the account then keeps.
 */
export async function createAccount(t: TestApp, email: string, password = PASSWORD, language?: string): Promise<TestPerson> {
  const browser = t.browser();
  if (language) {
    const form = await browser.get('/sign-up').set('Accept-Language', language);
    await browser.post('/sign-up').set('Accept-Language', language).type('form').send({ _csrf: csrfOf(form.text), email, password });
  } else {
    await submitForm(browser, '/sign-up', '/sign-up', { email, password });
  }
  const mail = await lastEmailTo(t.db.sql, email);
  const page = await browser.get(pathOf(mail!.link!));
  const token = /name="token" value="([^"]+)"/.exec(page.text)![1];
  const confirmed = await browser.post('/sign-up/confirm').type('form').send({ _csrf: csrfOf(page.text), token });
  if (confirmed.status !== 303) throw new Error(`confirmation failed: ${confirmed.status}`);
  return { email, password, backupCodes: [] };
}

/** Password step only: returns the response (a redirect to /mfa on success). */
export function passwordSignIn(browser: Browser, person: { email: string; password: string }) {
  return submitForm(browser, '/sign-in', '/sign-in', { email: person.email, password: person.password });
}

/**
 * A fully signed-in browser: password, then the second factor. The first time, a code
 * generator app is set up (secret read from the page) and backup codes are taken; after
 * that a backup code is used (each works once, so sign-ins never replay an app code).
 */
export function signIn(t: TestApp, person: TestPerson, browser: Browser = t.browser()): Promise<Browser> {
  return signInWith(browser, person);
}

/** The same, for any browser (also one talking to a Referee started as a separate process). */
export async function signInWith(browser: Browser, person: TestPerson): Promise<Browser> {
  const step = await passwordSignIn(browser, person);
  if (step.status !== 303 || !step.headers.location.startsWith('/mfa')) throw new Error(`password step failed: ${step.status}`);
  const decided = await browser.get(step.headers.location);
  if (decided.headers.location?.startsWith('/mfa/setup')) {
    const page = await browser.get('/mfa/setup/totp');
    person.totpSecret = /id="totp-key">([^<]+)</.exec(page.text)![1].replace(/\s/g, '');
    const added = await browser
      .post('/mfa/setup/totp')
      .type('form')
      .send({ _csrf: csrfOf(page.text), code: await codeFor(person.totpSecret), label: 'Phone app' });
    if (added.status !== 200 || !added.text.includes('Code generator app added')) throw new Error(`TOTP setup failed: ${added.status}`);
    const codes = await browser.post('/mfa/setup/backup-codes').type('form').send({ _csrf: csrfOf(added.text) });
    person.backupCodes = [...codes.text.matchAll(/<code>([a-z0-9]{5}-[a-z0-9]{5})<\/code>/g)].map((m) => m[1]);
    return browser;
  }
  const code = person.backupCodes.shift();
  if (!code) throw new Error('no backup codes left for this test person');
  const page = await browser.get('/mfa/challenge?method=backup');
  const done = await browser.post('/mfa/challenge/backup').type('form').send({ _csrf: csrfOf(page.text), code });
  if (done.status !== 303) throw new Error(`backup code refused: ${done.status}`);
  return browser;
}

/** Gives an account staff roles through the real service (as `npm run staff` does). */
export async function grantRoles(t: TestApp, email: string, roles: StaffRole[]): Promise<void> {
  const orm = t.app.get(MikroORM);
  await RequestContext.create(orm.em, () => t.app.get(StaffService).grant(email, roles));
}

/**
 * Confirms who the person is again on this browser (password, then one of their backup codes), as
 * "Download my data" and "Delete my account" ask; answers the last step (a redirect to `next`).
 */
export async function confirmIdentity(browser: Browser, person: TestPerson, next: string) {
  const page = await browser.get(`/account/confirm?next=${encodeURIComponent(next)}`);
  const step = await browser.post('/account/confirm').type('form').send({ _csrf: csrfOf(page.text), password: person.password, next });
  const factor = await browser.get(step.headers.location);
  return browser.post('/account/confirm/backup').type('form').send({ _csrf: csrfOf(factor.text), code: person.backupCodes.shift(), next });
}
