import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from './harness/app';
import { codeFor, createAccount, passwordSignIn, PASSWORD, signIn, type TestPerson } from './harness/accounts';
import { csrfOf, textOf } from './harness/forms';
import { lastEmailTo, lastTextTo, pathOf } from './harness/outbox';
import { inContext, recordVerified } from './oidc/flow';
import { VerifiedIdentitiesService } from '../src/verified-identity/verified-identities.service';

let t: TestApp;
let n = 0;
const newEmail = () => `mfa${++n}.${Date.now()}@example.org`;
type Browser = ReturnType<TestApp['browser']>;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

/** A confirmed account whose password was just accepted (second factor pending). */
async function atSecondStep(): Promise<{ person: TestPerson; browser: Browser }> {
  const person = await createAccount(t, newEmail());
  const browser = t.browser();
  const res = await passwordSignIn(browser, person);
  expect(res.headers.location).toBe('/mfa');
  return { person, browser };
}

async function setUpTotp(browser: Browser, person: TestPerson) {
  const page = await browser.get('/mfa/setup/totp');
  person.totpSecret = /id="totp-key">([^<]+)</.exec(page.text)![1].replace(/\s/g, '');
  return browser.post('/mfa/setup/totp').type('form').send({ _csrf: csrfOf(page.text), code: await codeFor(person.totpSecret), label: 'Phone app' });
}

async function totpMethodId(email: string): Promise<string> {
  const { rows } = await t.db.sql.query(`select m.id from mfa_method m join account a on a.id = m.account_id where a.email = $1 and m.kind = 'totp'`, [email]);
  return rows[0].id;
}

async function tryTotp(browser: Browser, person: TestPerson, code: string) {
  const page = await browser.get('/mfa/challenge');
  return browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrfOf(page.text), method: await totpMethodId(person.email), code });
}

describe('a second factor is required', () => {
  it('sends a fresh account from its password to "Add a second way to sign in", and nowhere else', async () => {
    const { browser } = await atSecondStep();
    const decided = await browser.get('/mfa');
    expect(decided.headers.location).toBe('/mfa/setup');
    const setup = await browser.get('/mfa/setup');
    expect(setup.text).toContain('Add a second way to sign in');
    // The passkey is offered first, as recommended; then the app.
    expect(setup.text.indexOf('Passkey or security key')).toBeLessThan(setup.text.indexOf('Code generator app'));
    expect((await browser.get('/account')).status).toBe(303);
    expect((await browser.get('/mfa/methods')).status).toBe(303);
  });

  it('does not let someone past the password add a method to an account that already has one', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person); // sets up an app
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const res = await browser.get('/mfa/setup/totp');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/mfa/challenge');
  });
});

describe('code generator apps (TOTP)', () => {
  it('sets up with a first code, then signs in with a code from the app', async () => {
    const { person, browser } = await atSecondStep();
    const page = await browser.get('/mfa/setup/totp');
    expect(page.text).toContain('<svg'); // QR code drawn on the server
    const added = await setUpTotp(browser, person);
    expect(added.text).toContain('Code generator app added');
    expect((await browser.get('/account')).status).toBe(200);
    expect((await lastEmailTo(t.db.sql, person.email))?.subject).toBe('Your Referee sign-in methods changed');

    const again = t.browser();
    await passwordSignIn(again, person);
    expect((await again.get('/mfa')).headers.location).toBe('/mfa/challenge');
    const res = await tryTotp(again, person, await codeFor(person.totpSecret!, 1));
    expect(res.status).toBe(303);
    expect((await again.get('/account')).status).toBe(200);
  });

  it('keeps nothing from a setup with a wrong code', async () => {
    const { person, browser } = await atSecondStep();
    const page = await browser.get('/mfa/setup/totp');
    const res = await browser.post('/mfa/setup/totp').type('form').send({ _csrf: csrfOf(page.text), code: '000000', label: 'App' });
    expect(res.status).toBe(400);
    expect(textOf(res.text, 'code-error')).toBe('That code is not right. Enter the 6-digit code your app shows now');
    const { rows } = await t.db.sql.query(`select count(*)::int as n from mfa_method m join account a on a.id = m.account_id where a.email = $1`, [person.email]);
    expect(rows[0].n).toBe(0);
    const malformed = await browser.post('/mfa/setup/totp').type('form').send({ _csrf: csrfOf(page.text), code: '12ab', label: '' });
    expect(textOf(malformed.text, 'code-error')).toBe('Enter the 6-digit code your app shows');
    expect(textOf(malformed.text, 'label-error')).toBe('Give it a name, like "My phone"');
  });

  it('stores the secret sealed, never as the key the person typed', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    const { rows } = await t.db.sql.query(`select secret_sealed from mfa_method where id = $1`, [await totpMethodId(person.email)]);
    expect(rows[0].secret_sealed).toMatch(/^pii1\./);
    expect(rows[0].secret_sealed).not.toContain(person.totpSecret);
  });

  it('accepts each code once only (a replayed code is refused)', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    const code = await codeFor(person.totpSecret!, 1);
    const first = t.browser();
    await passwordSignIn(first, person);
    expect((await tryTotp(first, person, code)).status).toBe(303);
    const second = t.browser();
    await passwordSignIn(second, person);
    const replay = await tryTotp(second, person, code);
    expect(replay.status).toBe(400);
    expect(textOf(replay.text, 'code-error')).toBe('That code is not right. Check it and try again');
  });

  it('honours one step of clock drift either way, and no more', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person); // used the code of the current step at setup
    const browser = t.browser();
    await passwordSignIn(browser, person);
    expect((await tryTotp(browser, person, await codeFor(person.totpSecret!, 3))).status).toBe(400); // 90 s ahead
    await t.db.sql.query(`update mfa_method set next_attempt_at = null where id = $1`, [await totpMethodId(person.email)]);
    expect((await tryTotp(browser, person, await codeFor(person.totpSecret!, 1))).status).toBe(303); // 30 s ahead
  });

  it('slows down wrong codes, then locks the method for 15 minutes after 10 in a row', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    const id = await totpMethodId(person.email);
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const messages: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await tryTotp(browser, person, '000000');
      messages.push(textOf(res.text, 'code-error')!);
      if (i === 2) {
        // From the third wrong code on, the next try must wait.
        const early = await tryTotp(browser, person, await codeFor(person.totpSecret!, 1));
        expect(textOf(early.text, 'code-error')).toMatch(/^Please wait \d+ seconds? before trying again$/);
      }
      await t.db.sql.query(`update mfa_method set next_attempt_at = null where id = $1`, [id]); // time passes
    }
    expect(messages.slice(0, 9).every((m) => m === 'That code is not right. Check it and try again')).toBe(true);
    expect(messages[9]).toContain('locked for 15 minutes');
    const locked = await tryTotp(browser, person, await codeFor(person.totpSecret!, 1));
    expect(textOf(locked.text, 'code-error')).toContain('this method is locked');
    const { rows } = await t.db.sql.query(`select locked_until > now() + interval '14 minutes' as locked from mfa_method where id = $1`, [id]);
    expect(rows[0].locked).toBe(true);
  });

  it('asks for an empty code next to the field without counting it as a wrong try, and answers odd fields with the page, never a 500', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    const id = await totpMethodId(person.email);
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const page = await browser.get('/mfa/challenge');
    expect(page.text).toMatch(/id="remember" type="checkbox" name="remember" value="yes">/); // not ticked until the person ticks it
    const empty = await browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrfOf(page.text), method: id, code: ' ', remember: 'yes' });
    expect(empty.status).toBe(400);
    expect(textOf(empty.text, 'code-error')).toBe('Enter the 6-digit code your app shows');
    expect(empty.text).toMatch(/id="remember" type="checkbox" name="remember" value="yes" checked/); // the choice is kept
    const backup = await browser.post('/mfa/challenge/backup').type('form').send({ _csrf: csrfOf(page.text) });
    expect(backup.status).toBe(400);
    expect(textOf(backup.text, 'code-error')).toBe('Enter one of your backup codes');
    const odd = await browser.post('/mfa/challenge/totp').set('X-CSRF-Token', csrfOf(page.text)).send([{ code: '123456' }]);
    expect(odd.status).toBe(400);
    expect(textOf(odd.text, 'code-error')).toBe('Enter the 6-digit code your app shows');
    const { rows } = await t.db.sql.query(`select failed_attempts, next_attempt_at from mfa_method where account_id = (select id from account where email = $1)`, [person.email]);
    expect(rows.every((r) => r.failed_attempts === 0 && r.next_attempt_at === null)).toBe(true);
    // Nothing was held against the person: the right code goes through at once.
    expect((await tryTotp(browser, person, await codeFor(person.totpSecret!, 1))).status).toBe(303);
  });

  it('stops every method of an account after 100 wrong codes in a row (NIST)', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    await t.db.sql.query(
      `insert into mfa_account_state (account_id, consecutive_failures) select id, 100 from account where email = $1
       on conflict (account_id) do update set consecutive_failures = 100`,
      [person.email],
    );
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const res = await tryTotp(browser, person, await codeFor(person.totpSecret!, 1));
    expect(res.status).toBe(400);
    expect(textOf(res.text, 'code-error')).toContain('Too many wrong codes on this account');
  });
});

describe('backup codes', () => {
  it('gives ten codes once, each of which works once', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    expect(person.backupCodes).toHaveLength(10);
    const code = person.backupCodes[0];
    const first = t.browser();
    await passwordSignIn(first, person);
    let page = await first.get('/mfa/challenge?method=backup');
    expect((await first.post('/mfa/challenge/backup').type('form').send({ _csrf: csrfOf(page.text), code })).status).toBe(303);
    const second = t.browser();
    await passwordSignIn(second, person);
    page = await second.get('/mfa/challenge?method=backup');
    const reused = await second.post('/mfa/challenge/backup').type('form').send({ _csrf: csrfOf(page.text), code });
    expect(reused.status).toBe(400);
    expect(textOf(reused.text, 'code-error')).toBe('That backup code is not right, or was already used');
    const { rows } = await t.db.sql.query(`select code_hash from backup_code`);
    expect(rows.some((r) => r.code_hash.includes(code))).toBe(false);
  });
});

/** Twilio's API, stood in for at the network edge: records what it was asked, or refuses. */
function startTwilioStandIn() {
  const calls: { path: string; form: URLSearchParams }[] = [];
  let refuse = false;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push({ path: req.url!, form: new URLSearchParams(body) });
      res.setHeader('Content-Type', 'application/json');
      if (refuse) {
        res.statusCode = 400;
        // As Twilio does, the refusal names the number.
        const to = new URLSearchParams(body).get('To');
        res.end(JSON.stringify({ code: 21408, message: `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}`, status: 400 }));
        return;
      }
      res.statusCode = 201;
      res.end(JSON.stringify({ sid: 'SM' + '0'.repeat(32), status: 'queued' }));
    });
  });
  return new Promise<{ url: string; calls: typeof calls; refuse(v: boolean): void; close(): Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        calls,
        refuse: (v) => (refuse = v),
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

describe('phone codes, any country', () => {
  async function startPhoneSetup(browser: Browser, fields: Record<string, string>) {
    const page = await browser.get('/mfa/setup/phone');
    return browser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(page.text), channel: 'sms', label: 'My phone', ...fields });
  }

  async function lastSms(to: string) {
    return lastTextTo(t.db.sql, to);
  }

  it.each([
    ['GB', '07400 123456', '+447400123456'],
    ['IN', '98765 43210', '+919876543210'],
    ['MX', '55 1234 5678', '+525512345678'],
    ['NG', '0803 123 4567', '+2348031234567'],
    ['JP', '090-1234-5678', '+819012345678'],
  ])('sends a code to a number in %s as E.164 and sets it up with that code', async (country, number, e164) => {
    const { person, browser } = await atSecondStep();
    const res = await startPhoneSetup(browser, { country, number });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/mfa/setup/phone/confirm');
    const sms = await lastSms(e164);
    expect(sms?.channel).toBe('sms');
    const code = /(\d{6}) is your Referee code/.exec(sms!.body)![1];
    const page = await browser.get('/mfa/setup/phone/confirm');
    expect(page.text).toContain(e164.slice(-3)); // only the last digits are shown
    const done = await browser.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(page.text), code });
    expect(done.text).toContain('Text message or voice call added');
    expect((await browser.get('/account')).status).toBe(200);
    const { rows } = await t.db.sql.query(`select secret_sealed, display_hint from mfa_method m join account a on a.id = m.account_id where a.email = $1`, [person.email]);
    expect(rows[0].secret_sealed).not.toContain(e164);
  });

  it('reads the code out by voice call when chosen', async () => {
    const { browser } = await atSecondStep();
    await startPhoneSetup(browser, { country: 'FR', number: '06 12 34 56 78', channel: 'voice' });
    const call = await lastSms('+33612345678');
    expect(call?.channel).toBe('voice');
    expect(call?.body).toMatch(/Your Referee code is( \d){6}/);
  });

  it.each([
    ['GB', '12345', 'Enter a valid phone number for United Kingdom'],
    ['GB', '', 'Enter your phone number'],
    ['ZZ', '07700 900982', 'Select your country'],
    ['GB', 'call me maybe', 'Enter a phone number, like 07700 900982'],
  ])('refuses %s %j with a message next to the field, keeping the input', async (country, number, message) => {
    const { browser } = await atSecondStep();
    const res = await startPhoneSetup(browser, { country, number });
    expect(res.status).toBe(400);
    expect(textOf(res.text, 'number-error')).toBe(message);
    if (number) expect(res.text).toContain(`value="${number}"`);
  });

  it('refuses a wrong code, then an expired one, asking for a new code', async () => {
    const { browser } = await atSecondStep();
    await startPhoneSetup(browser, { country: 'GB', number: '07400 123457' });
    const page = await browser.get('/mfa/setup/phone/confirm');
    const wrong = await browser.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(page.text), code: '999999x' });
    expect(textOf(wrong.text, 'code-error')).toBe('That code is not right. Check the code we sent and try again');
    await t.db.sql.query(`update mfa_pending set data = jsonb_set(data, '{codeExpiresAt}', '0') where purpose = 'phone_setup'`);
    const expired = await browser.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(page.text), code: '123456' });
    expect(textOf(expired.text, 'code-error')).toBe('This code has expired. Send a new code');
  });

  it('throttles sending: one code per 30 seconds', async () => {
    const { browser } = await atSecondStep();
    expect((await startPhoneSetup(browser, { country: 'GB', number: '07400 123458' })).status).toBe(303);
    const page = await browser.get('/mfa/setup/phone/confirm');
    const resend = await browser.post('/mfa/setup/phone/resend').type('form').send({ _csrf: csrfOf(page.text) });
    expect(resend.status).toBe(429);
    expect(resend.text).toContain('Please try again in 1 minute');
  });

  it('signs in with a code texted to the phone', async () => {
    const { person, browser } = await atSecondStep();
    await startPhoneSetup(browser, { country: 'IN', number: '98765 00001' });
    let page = await browser.get('/mfa/setup/phone/confirm');
    const setupCode = /(\d{6}) is your/.exec((await lastSms('+919876500001'))!.body)![1];
    await browser.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(page.text), code: setupCode });
    await t.db.sql.query(`delete from rate_limit`); // half a minute later

    const again = t.browser();
    await passwordSignIn(again, person);
    page = await again.get('/mfa/challenge');
    expect(page.text).toContain('Send code'); // nothing is sent by merely opening the page
    const { rows } = await t.db.sql.query(`select m.id from mfa_method m join account a on a.id = m.account_id where a.email = $1`, [person.email]);
    const sent = await again.post('/mfa/challenge/phone/send').type('form').send({ _csrf: csrfOf(page.text), method: rows[0].id });
    expect(sent.status).toBe(303);
    const code = /(\d{6}) is your/.exec((await lastSms('+919876500001'))!.body)![1];
    page = await again.get(sent.headers.location);
    const done = await again.post('/mfa/challenge/phone').type('form').send({ _csrf: csrfOf(page.text), method: rows[0].id, code });
    expect(done.status).toBe(303);
    expect((await again.get('/account')).status).toBe(200);
  });

  describe('through Twilio', () => {
    let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
    let withTwilio: TestApp;

    beforeAll(async () => {
      twilio = await startTwilioStandIn();
      withTwilio = await startTestApp({
        TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
        TWILIO_AUTH_TOKEN: 'token-for-tests',
        TWILIO_FROM: '+15005550006',
        TWILIO_API_BASE: twilio.url,
      });
    });
    afterAll(async () => {
      await withTwilio?.close();
      await twilio?.close();
    });

    async function pendingBrowser() {
      const person = await createAccount(withTwilio, newEmail());
      const browser = withTwilio.browser();
      await passwordSignIn(browser, person);
      const page = await browser.get('/mfa/setup/phone');
      return { browser, page, person };
    }

    it('sends the text through the provider', async () => {
      const { browser, page } = await pendingBrowser();
      const res = await browser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(page.text), country: 'KE', number: '0712 345678', channel: 'sms', label: 'Phone' });
      expect(res.status).toBe(303);
      const call = twilio.calls.at(-1)!;
      expect(call.path).toBe(`/2010-04-01/Accounts/AC${'a'.repeat(32)}/Messages.json`);
      expect(call.form.get('To')).toBe('+254712345678');
      expect(call.form.get('From')).toBe('+15005550006');
      expect(call.form.get('Body')).toMatch(/^\d{6} is your Referee code/);
    });

    it('reads a code by voice call in the account’s language', async () => {
      const { browser, page } = await pendingBrowser();
      const chosen = await browser.post('/language').type('form').send({ _csrf: csrfOf(page.text), language: 'es', returnTo: '/mfa/setup/phone' });
      expect(chosen.status).toBe(303);
      const res = await browser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(page.text), country: 'MX', number: '55 1234 5678', channel: 'voice', label: 'Casa' });
      expect(res.status).toBe(303);
      const call = twilio.calls.at(-1)!;
      expect(call.path).toBe(`/2010-04-01/Accounts/AC${'a'.repeat(32)}/Calls.json`);
      const twiml = call.form.get('Twiml')!;
      expect(twiml).toContain('language="es-MX"');
      expect(twiml).not.toMatch(/is your Referee code/);
    });

    it('offers a passkey or a code generator app when the provider cannot deliver — never a dead end', async () => {
      twilio.refuse(true);
      try {
        const { browser, page, person } = await pendingBrowser();
        const res = await browser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(page.text), country: 'SO', number: '61 2345678', channel: 'sms', label: 'Phone' });
        expect(res.status).toBe(502);
        expect(res.text).toContain("We couldn't send a code to that phone");
        expect(res.text).toContain('href="/mfa/setup/passkey"');
        expect(res.text).toContain('href="/mfa/setup/totp"');
        const { rows } = await withTwilio.db.sql.query(
          `select count(*)::int as n from mfa_pending where purpose = 'phone_setup' and account_id = (select id from account where email = $1)`,
          [person.email],
        );
        expect(rows[0].n).toBe(0); // nothing kept from the half-finished setup
        // The provider's error is kept for operators, without the number it names.
        const failed = (await lastTextTo(withTwilio.db.sql, '+252612345678'))!;
        expect(failed.status).toBe('failed');
        expect(failed.last_error).toContain('[recipient]');
        expect(failed.last_error).not.toContain('612345678');
      } finally {
        twilio.refuse(false);
      }
    });
  });
});

describe('setting up a second factor with missing fields or the wrong types', () => {
  it('answers each form with the field’s message next to it and sets nothing up, never a 500', async () => {
    const { person, browser } = await atSecondStep();
    const csrf = csrfOf((await browser.get('/mfa/setup/totp')).text);
    const json = (path: string, body: unknown) => browser.post(path).set('X-CSRF-Token', csrf).send(body as object);
    for (const res of [
      await browser.post('/mfa/setup/totp').type('form').send({ _csrf: csrf }),
      await json('/mfa/setup/totp', { code: ['123456'], label: { name: 'App' } }),
      await json('/mfa/setup/totp', ['123456', 'App']),
    ]) {
      expect(res.status).toBe(400);
      expect(textOf(res.text, 'code-error')).toBe('Enter the 6-digit code your app shows');
      expect(textOf(res.text, 'label-error')).toBe('Give it a name, like "My phone"');
    }
    for (const res of [await json('/mfa/setup/phone', [{ country: 'GB', number: '07400 123459' }]), await json('/mfa/setup/phone', { country: 'GB', number: '07400 123459', label: ['Phone'] })]) {
      expect(res.status).toBe(400);
      expect(textOf(res.text, 'label-error')).toBe('Give it a name, like "My phone"');
    }
    const country = await json('/mfa/setup/phone', { country: ['GB'], number: '07400 123459', label: 'Phone' });
    expect(country.status).toBe(400);
    expect(textOf(country.text, 'number-error')).toBe('Select your country');
    expect(country.text).toContain('value="07400 123459"'); // what was text is kept

    const passkey = await json('/mfa/setup/passkey', { label: { name: 'Key' }, response: 'not a passkey', next: ['//evil.example'] });
    expect(passkey.body.ok).toBe(false);
    expect(passkey.body.message).toBeTruthy();

    // A code sent (sending is limited per account: another person), then typed as a list.
    const other = await atSecondStep();
    const phonePage = await other.browser.get('/mfa/setup/phone');
    const sent = await other.browser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(phonePage.text), country: 'GB', number: '07400 123459', channel: 'sms', label: 'Phone' });
    expect(sent.headers.location).toBe('/mfa/setup/phone/confirm');
    const code = await other.browser.post('/mfa/setup/phone/confirm').set('X-CSRF-Token', csrfOf(phonePage.text)).send({ code: ['123456'], next: ['/account'] });
    expect(code.status).toBe(400);
    expect(textOf(code.text, 'code-error')).toBe('That code is not right. Check the code we sent and try again');
    const { rows } = await t.db.sql.query(`select count(*)::int as n from mfa_method m join account a on a.id = m.account_id where a.email in ($1, $2)`, [person.email, other.person.email]);
    expect(rows[0].n).toBe(0);
  });

  it('asks for the password again when it comes as a list, and goes nowhere but this site', async () => {
    const person = await createAccount(t, newEmail());
    const browser = await signIn(t, person);
    await t.db.sql.query(`update session set authenticated_at = now() - interval '20 minutes'`);
    const page = await browser.get('/mfa/reauthenticate?next=//evil.example');
    expect(page.text).toContain('name="next" value="/mfa/methods"');
    const wrong = await browser.post('/mfa/reauthenticate').set('X-CSRF-Token', csrfOf(page.text)).send({ password: [person.password], next: '/mfa/setup/totp' });
    expect(wrong.status).toBe(400);
    expect(textOf(wrong.text, 'password-error')).toBe('That password is not right');
    const ok = await browser.post('/mfa/reauthenticate').set('X-CSRF-Token', csrfOf(page.text)).send({ password: person.password, next: ['/mfa/setup/totp'] });
    expect(ok.headers.location).toBe('/mfa/methods');
  });
});

describe('remembering a browser', () => {
  it('skips the second factor on that browser for 30 days, and only there', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const page = await browser.get('/mfa/challenge');
    const res = await browser
      .post('/mfa/challenge/totp')
      .type('form')
      .send({ _csrf: csrfOf(page.text), method: await totpMethodId(person.email), code: await codeFor(person.totpSecret!, 1), remember: 'yes' });
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('referee-remember='))!;
    expect(cookie).toMatch(/Max-Age=2592000/);
    expect(cookie).toMatch(/HttpOnly/);
    await browser.post('/sign-out').type('form').send({ _csrf: csrfOf((await browser.get('/account')).text) });
    await passwordSignIn(browser, person);
    expect((await browser.get('/mfa')).headers.location).toBe('/account');
    const other = t.browser();
    await passwordSignIn(other, person);
    expect((await other.get('/mfa')).headers.location).toBe('/mfa/challenge');
  });
});

describe('managing methods', () => {
  it('renames, refuses to remove the last method, removes another after the password is entered again, and emails each change', async () => {
    const person = await createAccount(t, newEmail());
    const browser = await signIn(t, person);
    const id = await totpMethodId(person.email);
    let page = await browser.get('/mfa/methods');
    expect(page.text).toContain('Phone app');
    expect(page.text).toContain('10 of 10 codes left');

    const renamed = await browser.post(`/mfa/methods/${id}/rename`).type('form').send({ _csrf: csrfOf(page.text), label: 'Work phone' });
    expect(renamed.headers.location).toBe('/mfa/methods?notice=renamed');
    page = await browser.get('/mfa/methods');
    expect(page.text).toContain('Work phone');

    const last = await browser.post(`/mfa/methods/${id}/remove`).type('form').send({ _csrf: csrfOf(page.text) });
    expect(last.headers.location).toBe('/mfa/methods?notice=last');
    expect((await browser.get(last.headers.location)).text).toContain("You can't remove your last sign-in method");

    // A second app, then the first can go; but only with a recent password.
    await t.db.sql.query(`update session set authenticated_at = now() - interval '20 minutes'`);
    const stale = await browser.get('/mfa/setup/totp');
    expect(stale.headers.location).toBe('/mfa/reauthenticate?next=%2Fmfa%2Fsetup%2Ftotp');
    page = await browser.get(stale.headers.location);
    const wrong = await browser.post('/mfa/reauthenticate').type('form').send({ _csrf: csrfOf(page.text), password: 'nope', next: '/mfa/setup/totp' });
    expect(textOf(wrong.text, 'password-error')).toBe('That password is not right');
    const ok = await browser.post('/mfa/reauthenticate').type('form').send({ _csrf: csrfOf(page.text), password: person.password, next: '/mfa/setup/totp' });
    expect(ok.headers.location).toBe('/mfa/setup/totp');
    const second: TestPerson = { ...person };
    expect((await setUpTotp(browser, second)).text).toContain('Code generator app added');
    page = await browser.get('/mfa/methods');
    const removed = await browser.post(`/mfa/methods/${id}/remove`).type('form').send({ _csrf: csrfOf(page.text) });
    expect(removed.headers.location).toBe('/mfa/methods?notice=removed');
    expect((await lastEmailTo(t.db.sql, person.email))?.body).toContain('"Work phone" (Code generator app) was removed');
  });
});

describe('lost every method', () => {
  it('removes the methods after a 24-hour wait the owner could cancel, then asks for a new one', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    const { rows: [account] } = await t.db.sql.query('select id from account where email = $1', [person.email]);
    await recordVerified(t, account.id);
    const identities = t.app.get(VerifiedIdentitiesService);
    expect(await inContext(t, () => identities.findVerified(account.id))).not.toBeNull();
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const page = await browser.get('/mfa/challenge');
    const requested = await browser.post('/mfa/recovery').type('form').send({ _csrf: csrfOf(page.text) });
    expect(requested.text).toContain('Recovery requested');
    const mail = await lastEmailTo(t.db.sql, person.email);
    expect(mail?.subject).toBe('Someone asked to remove your Referee sign-in methods');
    expect(mail?.link).toMatch(/\/mfa\/recovery\/cancel\?token=/);
    // Before the wait is over nothing changes.
    expect((await browser.get('/mfa')).headers.location).toBe('/mfa/challenge');
    await t.db.sql.query(`update mfa_account_state set recovery_due_at = now() - interval '1 minute'`);
    expect((await browser.get('/mfa')).headers.location).toBe('/mfa/setup');
    // Whoever holds the account now may not be its owner: the verified identity is kept but
    // not shared with organizations until it is verified again.
    expect(await inContext(t, () => identities.findVerified(account.id))).toBeNull();
    const { rows } = await t.db.sql.query('select reconfirm_required_at from verified_identity where account_id = $1', [account.id]);
    expect(rows[0].reconfirm_required_at).not.toBeNull();
  });

  it('lets the owner cancel from the emailed link', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    const browser = t.browser();
    await passwordSignIn(browser, person);
    let page = await browser.get('/mfa/challenge');
    await browser.post('/mfa/recovery').type('form').send({ _csrf: csrfOf(page.text) });
    const owner = t.browser();
    page = await owner.get(pathOf((await lastEmailTo(t.db.sql, person.email))!.link!));
    const token = /name="token" value="([^"]+)"/.exec(page.text)![1];
    const cancelled = await owner.post('/mfa/recovery/cancel').type('form').send({ _csrf: csrfOf(page.text), token });
    expect(cancelled.text).toContain('Recovery cancelled');
    await t.db.sql.query(`update mfa_account_state set recovery_due_at = now() - interval '1 minute' where recovery_due_at is not null`);
    expect((await browser.get('/mfa')).headers.location).toBe('/mfa/challenge');
  });
});

describe('passwordless passkey sign-in', () => {
  it('does not let a stranger who knows a credential id lock its owner out', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    const { rows: [account] } = await t.db.sql.query('select id from account where email = $1', [person.email]);
    // The owner's passkey (its public key is not needed: every forged answer fails before it).
    await t.db.sql.query(
      `insert into mfa_method (id, account_id, kind, label, credential_id, public_key, sign_count, created_at)
       values (gen_random_uuid(), $1, 'passkey', 'Laptop', 'known-credential-id', 'AAAA', 0, now())`,
      [account.id],
    );
    const stranger = t.browser();
    const page = await stranger.get('/sign-in');
    for (let i = 0; i < 12; i++) {
      await stranger.post('/sign-in/passkey/options').set('X-CSRF-Token', csrfOf(page.text)).send({});
      const res = await stranger
        .post('/sign-in/passkey')
        .set('X-CSRF-Token', csrfOf(page.text))
        .send({ response: { id: 'known-credential-id', rawId: 'known-credential-id', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } } });
      expect(res.body).toEqual({ ok: false, message: 'Your passkey could not be checked. Try again' });
    }
    const { rows } = await t.db.sql.query(`select failed_attempts, locked_until from mfa_method where credential_id = 'known-credential-id'`);
    expect(rows[0]).toEqual({ failed_attempts: 0, locked_until: null });
    const state = await t.db.sql.query('select consecutive_failures from mfa_account_state where account_id = $1', [account.id]);
    expect(state.rows[0]?.consecutive_failures ?? 0).toBe(0);
  });
});

describe('in the reader’s language', () => {
  /** Signs up and confirms from a browser that asks for `language` (the account keeps it). */
  const createAccountIn = (language: string): Promise<TestPerson> => createAccount(t, newEmail(), PASSWORD, language);

  async function lastText(to: string) {
    return (await lastTextTo(t.db.sql, to))!;
  }

  it('shows the second-factor pages in Spanish and in Arabic (right to left) after Accept-Language', async () => {
    const { browser } = await atSecondStep();
    const setup = await browser.get('/mfa/setup').set('Accept-Language', 'es');
    expect(setup.text).toContain('<html lang="es" dir="ltr">');
    expect(setup.text).toContain('<h1>Agregue una segunda forma de iniciar sesión</h1>');
    expect(setup.text).toContain('Llave de acceso o llave de seguridad <span class="usa-tag">Recomendado</span>');
    expect(setup.text).not.toContain('Code generator app');
    const phone = await browser.get('/mfa/setup/phone').set('Accept-Language', 'es');
    expect(phone.text).toContain('value="Mi teléfono"'); // the suggested name too
    expect(phone.text).toMatch(/<option value="DE">Alemania \(\+49\)<\/option>/); // countries named in Spanish

    const person = await createAccount(t, newEmail());
    await signIn(t, person); // an app and backup codes
    const arabic = t.browser();
    await passwordSignIn(arabic, person);
    const challenge = await arabic.get('/mfa/challenge').set('Accept-Language', 'ar');
    expect(challenge.text).toContain('<html lang="ar" dir="rtl">');
    expect(challenge.text).toContain('<h1>تأكيد أنك أنت</h1>');
    expect(challenge.text).toContain('تذكُّر هذا المتصفح لمدة 30 يومًا');
    expect(challenge.text).toContain('لا أستطيع استخدام أي من وسائلي');
    expect(challenge.text).not.toMatch(/Confirm it|Remember this browser|Other ways/);

    // A refused code says why in Arabic, next to the field and in the error summary.
    const wrong = await arabic
      .post('/mfa/challenge/totp')
      .set('Accept-Language', 'ar')
      .type('form')
      .send({ _csrf: csrfOf(challenge.text), method: await totpMethodId(person.email), code: '000000' });
    expect(wrong.status).toBe(400);
    expect(textOf(wrong.text, 'code-error')).toBe('هذا الرمز غير صحيح. يُرجى التحقق منه والمحاولة مرة أخرى');
    expect(wrong.text).toContain('<a class="usa-link" href="#code">هذا الرمز غير صحيح. يُرجى التحقق منه والمحاولة مرة أخرى</a>');
    expect(wrong.text).toMatch(/<title>خطأ: تأكيد أنك أنت \| Referee<\/title>/);
  });

  it('names each method once, in the page’s language: a name we suggested is not repeated after the kind', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person); // an app named "Phone app", and backup codes
    const id = await totpMethodId(person.email);
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const own = await browser.get('/mfa/challenge');
    expect(own.text).toContain('<p>Enter the 6-digit code from your code generator app (Phone app).</p>'); // the person's own name stays

    await t.db.sql.query(`update mfa_method set label = 'Code generator app' where id = $1`, [id]); // the name suggested in English
    const english = await browser.get('/mfa/challenge');
    expect(english.text).toContain('<p>Enter the 6-digit code from your code generator app.</p>');
    expect(english.text).not.toContain('(Code generator app)');
    const arabic = await browser.get('/mfa/challenge').set('Accept-Language', 'ar');
    expect(arabic.text).toContain('<p>يُرجى إدخال الرمز المكوّن من 6 أرقام من تطبيق توليد الرموز.</p>');
    expect(arabic.text).not.toContain('Code generator app');

    await t.db.sql.query(`update mfa_method set label = 'Aplicación generadora de códigos' where id = $1`, [id]); // set up on a Spanish page
    const again = await browser.get('/mfa/challenge');
    expect(again.text).toContain('<p>Enter the 6-digit code from your code generator app.</p>');
    expect(again.text).not.toContain('Aplicación');
  });

  it('says how long a locked method waits in the reader’s words (plural rules, not English)', async () => {
    const person = await createAccount(t, newEmail());
    await signIn(t, person);
    await t.db.sql.query(`update mfa_method set locked_until = now() + interval '14 minutes 30 seconds' where id = $1`, [await totpMethodId(person.email)]);
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const page = await browser.get('/mfa/challenge').set('Accept-Language', 'fr');
    const res = await browser
      .post('/mfa/challenge/totp')
      .set('Accept-Language', 'fr')
      .type('form')
      .send({ _csrf: csrfOf(page.text), method: await totpMethodId(person.email), code: await codeFor(person.totpSecret!, 1) });
    expect(textOf(res.text, 'code-error')).toBe(
      'Trop de codes incorrects. Pour votre sécurité, cette méthode est verrouillée pendant 15 minutes. Vous pouvez utiliser une autre méthode.',
    );
  });

  it('texts and reads out the code in the account’s language, whatever the page was shown in', async () => {
    const person = await createAccountIn('es');
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const page = await browser.get('/mfa/setup/phone').set('Accept-Language', 'en'); // an English page
    const res = await browser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(page.text), country: 'MX', number: '55 1234 0001', channel: 'sms', label: 'Móvil' });
    expect(res.status).toBe(303);
    const sms = await lastText('+525512340001');
    expect(sms.channel).toBe('sms');
    expect(sms.body).toMatch(/^\d{6} es su código de Referee\. Caduca en 10 minutos\. No lo comparta con nadie\.$/);
    const code = /^(\d{6})/.exec(sms.body)![1];
    const confirm = await browser.get('/mfa/setup/phone/confirm');
    const done = await browser.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(confirm.text), code });
    // Signed in now: pages follow the account's language too.
    expect(done.text).toContain('<h1 class="usa-alert__heading">Método agregado: Mensaje de texto o llamada de voz</h1>');
    // The change is emailed in Spanish too, naming the kind of method in Spanish.
    const mail = await lastEmailTo(t.db.sql, person.email);
    expect(mail?.subject).toBe('Cambiaron sus métodos de inicio de sesión de Referee');
    expect(mail?.body).toContain('Se agregó el método de inicio de sesión «Móvil» (Mensaje de texto o llamada de voz) a su cuenta de Referee.');

    const french = await createAccountIn('fr');
    const other = t.browser();
    await passwordSignIn(other, french);
    const form = await other.get('/mfa/setup/phone');
    await other.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(form.text), country: 'FR', number: '06 12 34 00 01', channel: 'voice', label: 'Fixe' });
    const call = await lastText('+33612340001');
    expect(call.channel).toBe('voice');
    expect(call.body).toMatch(/^Votre code Referee est( \d){6}\. Je répète\u202f:( \d){6}\.$/);
  });
});
