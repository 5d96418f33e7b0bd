import { startTestApp, type TestApp } from './harness/app';
import { codeFor, createAccount, signIn, type TestPerson } from './harness/accounts';
import { csrfOf, textOf } from './harness/forms';

let t: TestApp;
let n = 0;
const newEmail = () => `privacy${++n}.${Date.now()}@example.org`;
type Browser = ReturnType<TestApp['browser']>;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

async function auditActions(email: string): Promise<string[]> {
  const { rows } = await t.db.sql.query(`select e.action from audit_event e join account a on a.id = e.actor_id where a.email = $1 order by e.id`, [email]);
  return rows.map((r) => r.action);
}

/** Confirms who the person is on this browser (password, then a backup code), coming back to `next`. */
export async function confirmWith(browser: Browser, person: TestPerson, next: string) {
  const page = await browser.get(`/account/confirm?next=${encodeURIComponent(next)}`);
  const step = await browser.post('/account/confirm').type('form').send({ _csrf: csrfOf(page.text), password: person.password, next });
  const factor = await browser.get(step.headers.location);
  return browser.post('/account/confirm/backup').type('form').send({ _csrf: csrfOf(factor.text), code: person.backupCodes.shift(), next });
}

describe('confirming who you are again', () => {
  it('asks the password, then the second factor with the person\'s methods, and comes back only to a page on this site', async () => {
    const person = await createAccount(t, newEmail());
    const browser = await signIn(t, person);

    const page = await browser.get('/account/confirm?next=https://evil.example');
    expect(page.status).toBe(200);
    expect(page.text).toContain('enter your password again');

    // The second factor cannot come first.
    expect((await browser.get('/account/confirm/second-factor?next=/account')).headers.location).toBe('/account/confirm?next=%2Faccount');

    const wrong = await browser.post('/account/confirm').type('form').send({ _csrf: csrfOf(page.text), password: 'not my password', next: 'https://evil.example' });
    expect(wrong.status).toBe(400);
    expect(textOf(wrong.text, 'password-error')).toBe('That password is not right');
    expect(wrong.text).toContain('usa-alert--error'); // the error summary too

    const right = await browser.post('/account/confirm').type('form').send({ _csrf: csrfOf(page.text), password: person.password, next: 'https://evil.example' });
    expect(right.headers.location).toBe('/account/confirm/second-factor?next=%2Faccount');

    const factor = await browser.get(right.headers.location);
    expect(factor.text).toContain('Now confirm with your second factor');
    expect(factor.text).toContain('action="/account/confirm/totp"');
    expect(factor.text).not.toContain('name="remember"');
    expect(factor.text).toContain('href="/account/confirm/second-factor?method=backup');

    const wrongCode = await browser.post('/account/confirm/totp').type('form').send({
      _csrf: csrfOf(factor.text),
      method: /name="method" value="([^"]+)"/.exec(factor.text)![1],
      code: String((Number(await codeFor(person.totpSecret!)) + 1) % 1_000_000).padStart(6, '0'),
      next: '//evil.example',
    });
    expect(wrongCode.status).toBe(400);
    expect(textOf(wrongCode.text, 'code-error')).toBeTruthy();

    const done = await browser.post('/account/confirm/backup').type('form').send({ _csrf: csrfOf(factor.text), code: person.backupCodes.shift(), next: '//evil.example' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/account');

    const actions = await auditActions(person.email);
    expect(actions.filter((a) => a === 'account.confirm_refused')).toHaveLength(2); // the password, then the code
    expect(actions.filter((a) => a === 'account.confirmed')).toHaveLength(1);
    expect(actions.filter((a) => a === 'sign_in.completed')).toHaveLength(0); // a confirmation is not a sign-in
  });

  it('is counted against the sign-in limit: after ten wrong passwords, the right one waits', async () => {
    const person = await createAccount(t, newEmail());
    const browser = await signIn(t, person);
    const page = await browser.get('/account/confirm');
    for (let i = 0; i < 10; i++) await browser.post('/account/confirm').type('form').send({ _csrf: csrfOf(page.text), password: `wrong ${i}` });
    const limited = await browser.post('/account/confirm').type('form').send({ _csrf: csrfOf(page.text), password: person.password });
    expect(limited.status).toBe(429);
  });
});
