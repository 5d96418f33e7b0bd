import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { IdentityService } from '../src/identity/identity.service';
import { startTestApp, type TestApp } from './harness/app';
import { csrfOf, submitForm, textOf } from './harness/forms';
import { emailCount, lastEmailTo, messagesTo, pathOf } from './harness/outbox';
import { signIn as signInFully, type TestPerson } from './harness/accounts';

const PASSWORD = 'correct horse battery staple 42';
let t: TestApp;
let n = 0;
const newEmail = () => `applicant${++n}.${Date.now()}@example.org`;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

type Browser = ReturnType<TestApp['browser']>;

async function signUp(browser: Browser, email: string, password = PASSWORD) {
  return submitForm(browser, '/sign-up', '/sign-up', { email, password });
}

/** Follows the emailed confirmation link and presses its button, as a person would. */
async function confirmFromEmail(browser: Browser, email: string) {
  const mail = await lastEmailTo(t.db.sql, email);
  const page = await browser.get(pathOf(mail!.link!));
  expect(page.status).toBe(200);
  const token = /name="token" value="([^"]+)"/.exec(page.text)![1];
  return browser.post('/sign-up/confirm').type('form').send({ _csrf: csrfOf(page.text), token });
}

async function signIn(browser: Browser, email: string, password = PASSWORD) {
  return submitForm(browser, '/sign-in', '/sign-in', { email, password });
}

async function newConfirmedAccount(): Promise<{ email: string; browser: Browser; person: TestPerson }> {
  const email = newEmail();
  const browser = t.browser();
  await signUp(browser, email);
  await confirmFromEmail(browser, email);
  return { email, browser, person: { email, password: PASSWORD, backupCodes: [] } };
}

function cookieOf(res: { headers: Record<string, unknown> }): string | undefined {
  const header = res.headers['set-cookie'] as string[] | undefined;
  return header?.find((c) => c.startsWith('referee='));
}

/**
 * The email a request is about to write (the outbox may be written just after the answer):
 * waits until `to` has more than `before` messages, then returns the newest.
 */
async function newEmailTo(app: TestApp, to: string, before: number) {
  for (let tries = 0; (await emailCount(app.db.sql, to)) <= before; tries++) {
    if (tries === 200) throw new Error(`no new email to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return (await lastEmailTo(app.db.sql, to))!;
}

/** Asks for a password reset from `browser` and returns the email it sends. */
async function requestReset(browser: Browser, email: string) {
  const before = await emailCount(t.db.sql, email);
  const answer = await submitForm(browser, '/password-reset', '/password-reset', { email });
  expect(answer.text).toContain('Check your email');
  return newEmailTo(t, email, before);
}

/** Asks for a reset link from a new browser; returns the link's token, read from the email. */
async function requestResetLink(email: string): Promise<string> {
  const mail = await requestReset(t.browser(), email);
  return new URL(mail.link!).searchParams.get('token')!;
}

/** Opens a reset link and submits a new password with it, as a person would. */
async function resetWith(token: string, password: string) {
  const browser = t.browser();
  const form = await browser.get(`/password-reset/new?token=${token}`);
  if (form.status !== 200) return form;
  return browser.post('/password-reset/new').type('form').send({ _csrf: csrfOf(form.text), token, password });
}

describe('sign up, confirm, sign in, account, sign out', () => {
  it('walks the whole journey', async () => {
    const email = newEmail();
    const browser = t.browser();

    const signedUp = await signUp(browser, email);
    expect(signedUp.status).toBe(200);
    expect(signedUp.text).toContain('Check your email');

    const mail = await lastEmailTo(t.db.sql, email);
    expect(mail?.subject).toBe('Confirm your email address for Referee');
    expect(mail?.link).toMatch(/^http:\/\/localhost:3000\/sign-up\/confirm\?token=[A-Za-z0-9_-]{43}$/);

    // Opening the link alone (a mail scanner's GET) confirms nothing.
    await browser.get(pathOf(mail!.link!));
    const before = await t.db.sql.query('select email_confirmed_at from account where email = $1', [email]);
    expect(before.rows[0].email_confirmed_at).toBeNull();

    const confirmed = await confirmFromEmail(browser, email);
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe('/sign-in?confirmed=1');
    expect((await browser.get('/sign-in?confirmed=1')).text).toContain('Your email address is confirmed');

    const signedIn = await signIn(browser, email);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/mfa'); // the password alone does not sign in
    expect((await browser.get('/account')).status).toBe(303);
    await signInFully(t, { email, password: PASSWORD, backupCodes: [] }, browser);

    const account = await browser.get('/account');
    expect(account.status).toBe(200);
    expect(account.text).toContain('<h1>Your account</h1>');
    expect(account.text).toContain(email);

    const signedOut = await browser.post('/sign-out').type('form').send({ _csrf: csrfOf(account.text) });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.location).toBe('/sign-in?signed-out=1');
    const after = await browser.get('/account');
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe('/sign-in?next=%2Faccount');
  });

  it('brings a person back to the page they asked for after signing in', async () => {
    const { email, browser, person } = await newConfirmedAccount();
    const page = await browser.get('/sign-in?next=%2Faccount');
    const res = await browser.post('/sign-in').type('form').send({ _csrf: csrfOf(page.text), email, password: PASSWORD, next: '/account' });
    expect(res.headers.location).toBe('/mfa?next=%2Faccount');
    await signInFully(t, person, browser);
    const offsite = await browser.get('/sign-in?next=https%3A%2F%2Fevil.example%2F');
    expect(offsite.headers.location).toBe('/account'); // already signed in: never off-site
  });
});

describe('sign-up form validation', () => {
  it('shows each error next to its field, keeps the email, and titles the page "Error:"', async () => {
    const res = await submitForm(t.browser(), '/sign-up', '/sign-up', { email: 'someone@example.org', password: 'short' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<title>Error: Create your account/);
    expect(textOf(res.text, 'password-error')).toBe('Your password must be at least 12 characters long');
    expect(res.text).toMatch(/id="password"[^>]*aria-describedby="password-hint password-error"/s);
    expect(res.text).toMatch(/id="email"[^>]*value="someone@example.org"/s);
    expect(res.text).toContain('href="#password"'); // the error summary links to the field
    expect(await emailCount(t.db.sql, 'someone@example.org')).toBe(0);
  });

  it.each([
    ['', 'Enter your email address'],
    ['not-an-email', 'Enter an email address in the correct format, like name@example.com'],
    [`${'a'.repeat(250)}@example.org`, 'Enter an email address in the correct format, like name@example.com'],
  ])('refuses the email %j', async (email, message) => {
    const res = await submitForm(t.browser(), '/sign-up', '/sign-up', { email, password: PASSWORD });
    expect(res.status).toBe(400);
    expect(textOf(res.text, 'email-error')).toBe(message);
  });

  it.each([
    ['a 12-character common password', 'qwertyuiop12', 'This password is too common. Choose one that would be hard to guess'],
    ['a password of 129 characters', 'x'.repeat(129), 'Your password must be 128 characters or fewer'],
    ['a password containing the email name', 'marguerite-1234567', 'Your password must not contain your email address'],
  ])('refuses %s', async (_what, password, message) => {
    const res = await submitForm(t.browser(), '/sign-up', '/sign-up', { email: 'marguerite@example.org', password });
    expect(res.status).toBe(400);
    expect(textOf(res.text, 'password-error')).toBe(message);
  });

  it('accepts a 128-character password and any characters', async () => {
    const email = newEmail();
    const password = 'ñ😀 '.repeat(42) + 'ab'; // 128 code points
    const res = await signUp(t.browser(), email, password);
    expect(res.status).toBe(200);
    const browser = t.browser();
    await confirmFromEmail(browser, email);
    expect((await signIn(browser, email, password)).headers.location).toBe('/mfa');
  });

  it('ignores repeated or non-text fields instead of failing', async () => {
    const browser = t.browser();
    const page = await browser.get('/sign-up');
    const res = await browser.post('/sign-up').type('form').send(`_csrf=${csrfOf(page.text)}&email=a@example.org&email=b@example.org&password[x]=1`);
    expect(res.status).toBe(400);
    expect(res.text).toContain('Enter a password');
  });
});

describe('no answer reveals whether an email has an account', () => {
  it('answers a sign-up for an existing email with the same page, and tells the owner by email', async () => {
    const { email } = await newConfirmedAccount();
    const res = await signUp(t.browser(), email, 'another long passphrase here');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Check your email');
    expect((await lastEmailTo(t.db.sql, email))?.subject).toBe('You already have a Referee account');
    const { rows } = await t.db.sql.query('select count(*)::int as n from account where email = $1', [email]);
    expect(rows[0].n).toBe(1);
  });

  it('gives the same sign-in error for an unknown email and a wrong password', async () => {
    const { email } = await newConfirmedAccount();
    const wrong = await signIn(t.browser(), email, 'not the right password');
    const unknown = await signIn(t.browser(), 'nobody-here@example.org', 'not the right password');
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(textOf(wrong.text, 'password-error')).toBe(textOf(unknown.text, 'password-error'));
  });

  it('answers a wrong password for an account without waiting to count it, then counts it', async () => {
    const { email } = await newConfirmedAccount();
    // Another transaction holds the account's row: writing the count now would wait for it,
    // and an answer that waits on a write only known addresses get tells them apart.
    const holder = new Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from account where email = $1 for update', [email]);
      const answer = await signIn(t.browser(), email, 'not the right password');
      expect(answer.status).toBe(400);
      expect(textOf(answer.text, 'password-error')).toBe('The email or password is not right. Check them and try again');
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    const counted = async () => (await t.db.sql.query('select failed_sign_ins from account where email = $1', [email])).rows[0].failed_sign_ins;
    for (let tries = 0; (await counted()) !== 1 && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await counted()).toBe(1);
  });

  it('answers a reset request for an unknown email exactly like a known one, sending nothing', async () => {
    const { email } = await newConfirmedAccount();
    const before = await emailCount(t.db.sql, email);
    const unknown = await submitForm(t.browser(), '/password-reset', '/password-reset', { email: 'nobody-at-all@example.org' });
    const known = await submitForm(t.browser(), '/password-reset', '/password-reset', { email });
    expect(known.status).toBe(unknown.status);
    expect(textOf(known.text, 'main-content')).toBe(textOf(unknown.text, 'main-content'));
    await newEmailTo(t, email, before); // the known address's link is written (the unknown one was asked first)
    expect(await emailCount(t.db.sql, 'nobody-at-all@example.org')).toBe(0);
  });
});

describe('email confirmation', () => {
  it('does not let an unconfirmed account sign in, and sends a fresh link', async () => {
    const email = newEmail();
    await signUp(t.browser(), email);
    const res = await signIn(t.browser(), email);
    expect(res.status).toBe(200);
    expect(res.text).toContain('You need to confirm your email address');
    expect(await emailCount(t.db.sql, email)).toBe(2);
  });

  it('uses a confirmation link once only', async () => {
    const email = newEmail();
    const browser = t.browser();
    await signUp(browser, email);
    const mail = await lastEmailTo(t.db.sql, email);
    const page = await browser.get(pathOf(mail!.link!));
    const token = /name="token" value="([^"]+)"/.exec(page.text)![1];
    const first = await browser.post('/sign-up/confirm').type('form').send({ _csrf: csrfOf(page.text), token });
    const second = await browser.post('/sign-up/confirm').type('form').send({ _csrf: csrfOf(page.text), token });
    expect(first.status).toBe(303);
    expect(second.status).toBe(410);
    expect(second.text).toContain('This link has expired or was already used');
    expect((await browser.get(pathOf(mail!.link!))).status).toBe(410);
  });

  it('refuses a link older than 24 hours and a made-up token', async () => {
    const email = newEmail();
    const browser = t.browser();
    await signUp(browser, email);
    const mail = await lastEmailTo(t.db.sql, email);
    await t.db.sql.query(`update link set expires_at = now() - interval '1 second' where purpose = 'confirm_email' and account_id = (select id from account where email = $1)`, [email]);
    expect((await browser.get(pathOf(mail!.link!))).status).toBe(410);
    expect((await browser.get('/sign-up/confirm?token=' + 'A'.repeat(43))).status).toBe(410);
    expect((await browser.get('/sign-up/confirm?token[]=x')).status).toBe(410);
  });

  it('stores only a hash of the token', async () => {
    const email = newEmail();
    await signUp(t.browser(), email);
    const token = new URL((await lastEmailTo(t.db.sql, email))!.link!).searchParams.get('token')!;
    const { rows } = await t.db.sql.query("select token_hash from link where purpose in ('confirm_email', 'reset_password')");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.token_hash !== token && /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
  });
});

describe('passwords', () => {
  it('stores argon2id hashes at m=19 MiB, t=2, p=1', async () => {
    const { email } = await newConfirmedAccount();
    const { rows } = await t.db.sql.query('select password_hash from account where email = $1', [email]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('resets a forgotten password by a single-use emailed link, signing out every device', async () => {
    const { email, browser: laptop, person } = await newConfirmedAccount();
    await signInFully(t, person, laptop);
    expect((await laptop.get('/account')).status).toBe(200);

    const phone = t.browser();
    const mail = await requestReset(phone, email);
    expect(mail?.subject).toBe('Reset your Referee password');
    const form = await phone.get(pathOf(mail!.link!));
    expect(form.status).toBe(200);
    const token = /name="token" value="([^"]+)"/.exec(form.text)![1];

    const weak = await phone.post('/password-reset/new').type('form').send({ _csrf: csrfOf(form.text), token, password: 'password1234' });
    expect(weak.status).toBe(400);
    expect(textOf(weak.text, 'password-error')).toBe('This password is too common. Choose one that would be hard to guess');

    const newPassword = 'a brand new long passphrase';
    const done = await phone.post('/password-reset/new').type('form').send({ _csrf: csrfOf(form.text), token, password: newPassword });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/sign-in?reset=1');
    expect((await lastEmailTo(t.db.sql, email))?.subject).toBe('Your Referee password was changed');

    expect((await laptop.get('/account')).status).toBe(303); // signed out everywhere
    expect((await signIn(t.browser(), email)).status).toBe(400); // old password refused
    expect((await signIn(t.browser(), email, newPassword)).headers.location).toBe('/mfa');
    const again = await phone.post('/password-reset/new').type('form').send({ _csrf: csrfOf(form.text), token, password: 'yet another long passphrase' });
    expect(again.status).toBe(410);
  });

  it('ends every other reset link once one is used: an older link no longer resets the password', async () => {
    const { email } = await newConfirmedAccount();
    const older = await requestResetLink(email);
    const newer = await requestResetLink(email);
    expect(newer).not.toBe(older);

    expect((await resetWith(newer, 'the newer link long passphrase')).headers.location).toBe('/sign-in?reset=1');
    expect((await t.browser().get(`/password-reset/new?token=${older}`)).status).toBe(410);
    // Posted straight to the form (not opened first), the older link is refused too.
    const browser = t.browser();
    const page = await browser.get('/password-reset');
    const posted = await browser.post('/password-reset/new').type('form').send({ _csrf: csrfOf(page.text), token: older, password: 'the older link long passphrase' });
    expect(posted.status).toBe(410);
    expect(posted.text).toContain('This link has expired or was already used');

    expect((await signIn(t.browser(), email, 'the older link long passphrase')).status).toBe(400);
    expect((await signIn(t.browser(), email, 'the newer link long passphrase')).headers.location).toBe('/mfa');
  });

  it('lets only one of two links used at the same moment change the password', async () => {
    const { email } = await newConfirmedAccount();
    const links = [await requestResetLink(email), await requestResetLink(email)];
    const forms = await Promise.all(links.map(async (token) => {
      const browser = t.browser();
      const page = await browser.get(`/password-reset/new?token=${token}`);
      return { browser, token, csrf: csrfOf(page.text) };
    }));
    const answers = await Promise.all(
      forms.map(({ browser, token, csrf }, i) => browser.post('/password-reset/new').type('form').send({ _csrf: csrf, token, password: `concurrent long passphrase ${i}` })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([303, 410]);
    const winner = answers.findIndex((a) => a.status === 303);
    expect((await signIn(t.browser(), email, `concurrent long passphrase ${winner}`)).headers.location).toBe('/mfa');
  });

  it('ends outstanding reset links and signs out every session when a password is set any other way', async () => {
    const { email, browser, person } = await newConfirmedAccount();
    await signInFully(t, person, browser);
    const link = await requestResetLink(email);
    const { rows } = await t.db.sql.query('select id from account where email = $1', [email]);

    // As `npm run staff` sets a temporary password.
    await RequestContext.create(t.app.get(MikroORM).em, () => t.app.get(IdentityService).setPassword(rows[0].id, 'an operator set long passphrase'));

    expect((await browser.get('/account')).status).toBe(303);
    expect((await t.browser().get(`/password-reset/new?token=${link}`)).status).toBe(410);
    expect((await resetWith(link, 'someone else long passphrase')).status).toBe(410);
    expect((await signIn(t.browser(), email, 'an operator set long passphrase')).headers.location).toBe('/mfa');
  });

  it('locks an account after 100 wrong passwords in a row, and a reset unlocks it', async () => {
    const { email } = await newConfirmedAccount();
    await t.db.sql.query('update account set failed_sign_ins = 99 where email = $1', [email]);
    await signIn(t.browser(), email, 'wrong password number 100');
    // Counted just after the answer: wait for it, as the next sign-in would in practice.
    for (let tries = 0; tries < 200; tries++) {
      const { rows } = await t.db.sql.query('select failed_sign_ins from account where email = $1', [email]);
      if (rows[0].failed_sign_ins === 100) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const locked = await signIn(t.browser(), email);
    expect(locked.status).toBe(400);
    expect(textOf(locked.text, 'password-error')).toBe('This account is locked after too many wrong passwords. Reset your password to unlock it');

    const phone = t.browser();
    const form = await phone.get(pathOf((await requestReset(phone, email)).link!));
    const token = /name="token" value="([^"]+)"/.exec(form.text)![1];
    await phone.post('/password-reset/new').type('form').send({ _csrf: csrfOf(form.text), token, password: 'unlocked long passphrase' });
    expect((await signIn(t.browser(), email, 'unlocked long passphrase')).headers.location).toBe('/mfa');
  });
});

describe('sessions', () => {
  it('gives the browser a new session id at sign-in, HttpOnly and SameSite=Lax', async () => {
    const { email } = await newConfirmedAccount();
    const browser = t.browser();
    const page = await browser.get('/sign-in');
    const before = cookieOf(page)!;
    const res = await browser.post('/sign-in').type('form').send({ _csrf: csrfOf(page.text), email, password: PASSWORD });
    const after = cookieOf(res)!;
    expect(after).toBeDefined();
    expect(after.split(';')[0]).not.toBe(before.split(';')[0]);
    expect(after).toMatch(/HttpOnly/);
    expect(after).toMatch(/SameSite=Lax/);
    expect(after).toMatch(/Path=\//);
    // The old id is worth nothing now.
    const stale = await t.browser().get('/account').set('Cookie', before.split(';')[0]);
    expect(stale.status).toBe(303);
  });

  it('keeps sessions in PostgreSQL under a hash of the cookie', async () => {
    const { email, browser } = await newConfirmedAccount();
    const res = await signIn(browser, email);
    const value = cookieOf(res)!.split(';')[0].split('=')[1];
    const { rows } = await t.db.sql.query('select s.id from session s join account a on a.id = s.account_id where a.email = $1', [email]);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).not.toBe(value);
    expect(rows[0].id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs out after 30 minutes idle, and says why', async () => {
    const { email, browser, person } = await newConfirmedAccount();
    await signInFully(t, person, browser);
    const page = await browser.get('/account');
    expect(page.text).toMatch(/data-idle-seconds="1800"/); // the warning dialog knows the limit
    await t.db.sql.query(`update session set last_seen_at = now() - interval '31 minutes' where account_id = (select id from account where email = $1)`, [email]);
    const res = await browser.get('/account');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/sign-in?next=%2Faccount&timed-out=1');
    expect((await browser.get(res.headers.location)).text).toContain('we signed you out because you were inactive');
    const { rows } = await t.db.sql.query('select count(*)::int as n from session s join account a on a.id = s.account_id where a.email = $1', [email]);
    expect(rows[0].n).toBe(0);
  });

  it('tells the person on the sign-in page that inactivity signed them out', async () => {
    const { email, browser, person } = await newConfirmedAccount();
    await signInFully(t, person, browser);
    await t.db.sql.query(`update session set last_seen_at = now() - interval '31 minutes' where account_id = (select id from account where email = $1)`, [email]);
    const res = await browser.get('/sign-in');
    expect(res.text).toContain('we signed you out because you were inactive');
  });

  it('ends a session after 12 hours whatever the activity', async () => {
    const { email, browser, person } = await newConfirmedAccount();
    await signInFully(t, person, browser);
    await t.db.sql.query(`update session set expires_at = now() - interval '1 second' where account_id = (select id from account where email = $1)`, [email]);
    expect((await browser.get('/account')).status).toBe(303);
  });

  it('lets a person extend the session with one action', async () => {
    const { email, browser, person } = await newConfirmedAccount();
    await signInFully(t, person, browser);
    await t.db.sql.query(`update session set last_seen_at = now() - interval '29 minutes' where account_id = (select id from account where email = $1)`, [email]);
    const page = await browser.get('/account');
    const res = await browser.post('/session/extend').type('form').send({ _csrf: csrfOf(page.text), returnTo: '/account' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    const { rows } = await t.db.sql.query(`select extract(epoch from now() - last_seen_at) as age from session s join account a on a.id = s.account_id where a.email = $1`, [email]);
    expect(Number(rows[0].age)).toBeLessThan(5);
  });
});

describe('rate limits', () => {
  it('pauses sign-in for an account from one address after 10 attempts, with Retry-After', async () => {
    const { email } = await newConfirmedAccount();
    const browser = t.browser();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await signIn(browser, email, `wrong password ${i} here`)).status);
    expect(statuses.slice(0, 10).every((s) => s === 400)).toBe(true);
    const blocked = await signIn(browser, email);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.text).toContain('Please try again in');
    // Counters are in PostgreSQL (shared by every instance), keyed by HMAC: no email stored.
    const { rows } = await t.db.sql.query('select key from rate_limit');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.key.includes(email))).toBe(false);
  });
});

describe('secure cookies behind HTTPS', () => {
  it('uses the __Host- prefix and Secure when BASE_URL is https', async () => {
    const https = await startTestApp({ BASE_URL: 'https://referee.example' });
    try {
      const res = await https.browser().get('/sign-in');
      const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
      expect(cookie).toMatch(/^__Host-referee=/);
      expect(cookie).toMatch(/Secure/);
      expect(cookie).not.toMatch(/Domain=/);
      expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    } finally {
      await https.close();
    }
  });
});

describe('in the reader’s language', () => {
  /** The error summary at the top of a form: each entry as the person reads it. */
  function errorSummaryOf(html: string): string[] {
    const summary = /data-error-summary>([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
    return [...summary.matchAll(/<a class="usa-link" href="(#[^"]+)">([\s\S]*?)<\/a>/g)].map((m) => `${m[1]} ${m[2].replace(/&#39;/g, "'").trim()}`);
  }

  it('shows the sign-in page in Spanish and in Arabic (right to left) after the browser’s Accept-Language', async () => {
    const spanish = await t.browser().get('/sign-in').set('Accept-Language', 'es-AR,es;q=0.9');
    expect(spanish.text).toContain('<html lang="es" dir="ltr">');
    expect(spanish.text).toMatch(/<title>Iniciar sesión \| Referee<\/title>/);
    expect(spanish.text).toMatch(/<label class="usa-label" for="email">Correo electrónico<\/label>/);
    expect(spanish.text).toContain('¿Olvidó su contraseña?');
    expect(spanish.text).toContain('¿Es nuevo en Referee? <a class="usa-link" href="/sign-up">Cree una cuenta</a>');
    // passkeys.js writes what the page gives it.
    expect(spanish.text).toContain('data-cancelled-text="La solicitud de la llave de acceso se canceló o caducó. Inténtelo de nuevo."');
    for (const english of ['Forgot your password?', 'Email address', 'Sign in with a passkey', 'New to Referee?']) expect(spanish.text).not.toContain(english);

    const arabic = await t.browser().get('/sign-in').set('Accept-Language', 'ar');
    expect(arabic.text).toContain('<html lang="ar" dir="rtl">');
    expect(arabic.text).toMatch(/<h1>تسجيل الدخول<\/h1>/);
    expect(arabic.text).toContain('هل نسيت كلمة المرور؟');
    expect(arabic.text).toContain('تسجيل الدخول بمفتاح مرور');
    expect(arabic.text).not.toContain('Forgot your password?');
  });

  it('shows a validation error in French next to its field and in the error summary', async () => {
    const browser = t.browser();
    const page = await browser.get('/sign-up').set('Accept-Language', 'fr');
    expect(page.text).toContain('Au moins 12 caractères.'); // the hint, with the rule's own number
    const res = await browser
      .post('/sign-up')
      .set('Accept-Language', 'fr')
      .type('form')
      .send({ _csrf: csrfOf(page.text), email: 'pas-une-adresse', password: 'court' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<title>Erreur\u202f: Créez votre compte \| Referee<\/title>/);
    expect(textOf(res.text, 'email-error')).toBe('Saisissez une adresse e-mail au bon format, par exemple nom@exemple.com');
    expect(textOf(res.text, 'password-error')).toBe('Votre mot de passe doit comporter au moins 12 caractères');
    expect(errorSummaryOf(res.text)).toEqual([
      '#email Saisissez une adresse e-mail au bon format, par exemple nom@exemple.com',
      '#password Votre mot de passe doit comporter au moins 12 caractères',
    ]);
    expect(res.text).toContain('Il y a 2 problèmes');
  });

  it('keeps the language an account was created in, and writes its emails in it whatever browser asks later', async () => {
    const email = newEmail();
    const browser = t.browser();
    const page = await browser.get('/sign-up').set('Accept-Language', 'es');
    const res = await browser.post('/sign-up').set('Accept-Language', 'es').type('form').send({ _csrf: csrfOf(page.text), email, password: PASSWORD });
    expect(res.text).toContain('Revise su correo electrónico');
    const { rows } = await t.db.sql.query('select language from account where email = $1', [email]);
    expect(rows[0].language).toBe('es');

    const confirmation = await lastEmailTo(t.db.sql, email);
    expect(confirmation?.subject).toBe('Confirme su correo electrónico para Referee');
    expect(confirmation?.body).toContain('Le damos la bienvenida a Referee.');
    expect(confirmation?.body).toContain('funciona una sola vez, durante 24 horas');
    expect(confirmation?.link).toMatch(/\/sign-up\/confirm\?token=[A-Za-z0-9_-]{43}$/); // the link still works as a link
    expect(confirmation?.body).not.toMatch(/Welcome|Confirm your email/);
    expect((await confirmFromEmail(browser, email)).status).toBe(303);

    // Asked from an English browser, the reset link and the password-changed notice still come in Spanish.
    const english = t.browser();
    const reset = await requestReset(english, email);
    expect(reset?.subject).toBe('Restablezca su contraseña de Referee');
    const form = await english.get(pathOf(reset!.link!));
    expect(form.text).toContain('Choose a new password'); // the page follows its reader
    const token = /name="token" value="([^"]+)"/.exec(form.text)![1];
    await english.post('/password-reset/new').type('form').send({ _csrf: csrfOf(form.text), token, password: 'una frase de paso bastante larga' });
    const changed = await lastEmailTo(t.db.sql, email);
    expect(changed?.subject).toBe('Se cambió su contraseña de Referee');
    expect(changed?.body).toContain('Si no fue usted, restablezca su contraseña ahora: http://localhost:3000/password-reset');

    // Someone signing up again with that address from a French browser: the owner is told in Spanish.
    const french = t.browser();
    const again = await french.get('/sign-up').set('Accept-Language', 'fr');
    await french.post('/sign-up').set('Accept-Language', 'fr').type('form').send({ _csrf: csrfOf(again.text), email, password: 'another long passphrase here' });
    const existing = await lastEmailTo(t.db.sql, email);
    expect(existing?.subject).toBe('Ya tiene una cuenta de Referee');
    expect(existing?.body).toContain('Iniciar sesión: http://localhost:3000/sign-in');
  });

  it('stores no language for an account created by a browser that states none, and writes to it in English', async () => {
    const email = newEmail();
    await signUp(t.browser(), email);
    const { rows } = await t.db.sql.query('select language from account where email = $1', [email]);
    expect(rows[0].language).toBeNull(); // nothing to go on: its pages follow each browser it signs in on
    expect((await lastEmailTo(t.db.sql, email))?.subject).toBe('Confirm your email address for Referee');
  });
});

/** The mail provider is outside this machine: a local SMTP server stands in for it, holding each email until released. */
async function startHoldingSmtp() {
  const received: { to: string[]; data: string }[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived!: () => void;
  const arriving = new Promise<void>((resolve) => (arrived = resolve));
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk) => (data += chunk));
      stream.on('end', () => {
        arrived();
        void released.then(() => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
          callback();
        });
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    received,
    arriving,
    release,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('answers that do not wait for the mail provider', () => {
  it('answers a reset request before the email is handed over, then sends it', async () => {
    const smtp = await startHoldingSmtp();
    const mailing = await startTestApp({ SMTP_URL: smtp.url });
    try {
      const email = 'held-mail@example.org';
      await mailing.db.sql.query(
        `insert into account (id, email, password_hash, email_confirmed_at, failed_sign_ins, created_at) values (gen_random_uuid(), $1, 'x', now(), 0, now())`,
        [email],
      );
      // The provider holds the email: the person's answer must not wait for it (it would tell
      // a stranger the address has an account, which gets an email, by the time it takes).
      const answer = await submitForm(mailing.browser(), '/password-reset', '/password-reset', { email });
      expect(answer.status).toBe(200);
      expect(answer.text).toContain('Check your email');
      await smtp.arriving; // it is on its way
      expect(smtp.received).toHaveLength(0);
      smtp.release();
      const mail = await newEmailTo(mailing, email, 0);
      expect(mail.subject).toBe('Reset your Referee password');
      for (let tries = 0; smtp.received.length === 0 && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(smtp.received[0].to).toEqual([email]);
      for (let tries = 0; tries < 200; tries++) {
        const [message] = await messagesTo(mailing.db.sql, email);
        if (message.status === 'sent') break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const [message] = await messagesTo(mailing.db.sql, email);
      expect(message.status).toBe('sent'); // recorded as delivered, its link not kept
      expect(message.body).not.toContain('token=');
    } finally {
      smtp.release();
      await mailing.close();
      await smtp.close();
    }
  });
});

describe('"you already have an account" emails', () => {
  let own: TestApp;
  beforeAll(async () => {
    // Its own Referee: these counters must not be shared with the rest of the file. Behind one
    // proxy, so each test can come from its own network address.
    own = await startTestApp({ TRUST_PROXY: '1' });
  });
  afterAll(() => own?.close());

  const EXISTING_SUBJECT = 'You already have a Referee account';
  async function existingEmails(to: string): Promise<number> {
    return (await messagesTo(own.db.sql, to, ['email'])).filter((m) => m.subject === EXISTING_SUBJECT).length;
  }
  async function signUpFrom(ip: string, email: string) {
    const browser = own.browser();
    const page = await browser.get('/sign-up').set('X-Forwarded-For', ip);
    return browser.post('/sign-up').set('X-Forwarded-For', ip).type('form').send({ _csrf: csrfOf(page.text), email, password: 'someone else long passphrase' });
  }
  async function accountFor(email: string) {
    await own.db.sql.query(
      `insert into account (id, email, password_hash, email_confirmed_at, failed_sign_ins, created_at) values (gen_random_uuid(), $1, 'x', now(), 0, now())`,
      [email],
    );
  }

  it('sends the owner 3 an hour however many sign-ups use the address, and the page never tells', async () => {
    const email = 'popular-owner@example.org';
    await accountFor(email);
    const fresh = await signUpFrom('198.51.100.1', 'a-new-person@example.org');
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await signUpFrom(`198.51.100.${10 + i}`, email));
    expect(await existingEmails(email)).toBe(3);
    for (const answer of answers) {
      expect(answer.status).toBe(fresh.status);
      expect(textOf(answer.text, 'main-content')).toBe(textOf(fresh.text, 'main-content'));
    }
    expect(fresh.status).toBe(200);
    expect(textOf(fresh.text, 'main-content')).toContain('Check your email');
  });

  it('sends at most 10 an hour from one network address, to whichever addresses', async () => {
    const owners = Array.from({ length: 12 }, (_, i) => `owner-${i}@example.org`);
    for (const owner of owners) await accountFor(owner);
    const fresh = await signUpFrom('203.0.113.7', 'another-new-person@example.org');
    for (const owner of owners) {
      const answer = await signUpFrom('203.0.113.7', owner);
      expect(answer.status).toBe(fresh.status);
      expect(textOf(answer.text, 'main-content')).toBe(textOf(fresh.text, 'main-content'));
    }
    const sent = await Promise.all(owners.map(existingEmails));
    expect(sent.reduce((a, b) => a + b, 0)).toBe(10);
    // Another network address still reaches an owner this one could no longer email.
    await signUpFrom('203.0.113.8', owners[11]);
    expect(await existingEmails(owners[11])).toBe(1);
  });

  it('does not count new accounts against a network address: people behind one address still get told', async () => {
    for (let i = 0; i < 12; i++) expect((await signUpFrom('192.0.2.50', `newcomer-${i}@example.org`)).status).toBe(200);
    const owner = 'shared-office-owner@example.org';
    await accountFor(owner);
    await signUpFrom('192.0.2.50', owner);
    expect(await existingEmails(owner)).toBe(1);
  });
});
