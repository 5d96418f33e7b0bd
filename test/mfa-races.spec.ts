import { startTestApp, type TestApp } from './harness/app';
import { codeFor, createAccount, passwordSignIn, signIn, type TestPerson } from './harness/accounts';
import { csrfOf, textOf } from './harness/forms';
import { lastEmailTo, lastTextTo, messagesTo, pathOf } from './harness/outbox';

/**
 * Second-factor limits under bursts of simultaneous requests (real HTTP, all in flight at
 * once): every guess the server checks is counted before it is checked, so a burst gets no
 * more guesses than the same requests sent one by one, and nothing answers 500.
 */

let t: TestApp;
let n = 0;
const newEmail = () => `race${++n}.${Date.now()}@example.org`;
type Browser = ReturnType<TestApp['browser']>;

const WRONG = 'That code is not right. Check it and try again';
const BACKUP_WRONG = 'That backup code is not right, or was already used';
const WAIT = /^Please wait \d+ seconds? before trying again$/;
const LOCKED = /this method is locked for 1[45] minutes/;
const ACCOUNT_LOCKED = 'Too many wrong codes on this account. Use "I can\'t use any of my methods" to recover it.';

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

/** An account with a code generator app and backup codes, and a browser past its password. */
async function atChallenge(): Promise<{ person: TestPerson; browser: Browser; csrf: string; accountId: string; totpId: string; backupId: string }> {
  const person = await createAccount(t, newEmail());
  await signIn(t, person);
  const browser = t.browser();
  expect((await passwordSignIn(browser, person)).headers.location).toBe('/mfa');
  const page = await browser.get('/mfa/challenge');
  const { rows } = await t.db.sql.query(
    `select a.id as account_id, m.id, m.kind from account a join mfa_method m on m.account_id = a.id where a.email = $1`,
    [person.email],
  );
  return {
    person,
    browser,
    csrf: csrfOf(page.text),
    accountId: rows[0].account_id,
    totpId: rows.find((r) => r.kind === 'totp').id,
    backupId: rows.find((r) => r.kind === 'backup_codes').id,
  };
}

/** A wrong 6-digit code (never the right one of any step in reach). */
async function wrongCode(secret: string, i: number): Promise<string> {
  const near = await Promise.all([-1, 0, 1, 2].map((s) => codeFor(secret, s)));
  let code = String((123_456 + i * 7_919) % 1_000_000).padStart(6, '0');
  while (near.includes(code)) code = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  return code;
}

async function counters(methodId: string, accountId: string) {
  const method = await t.db.sql.query(`select failed_attempts, locked_until > now() as locked from mfa_method where id = $1`, [methodId]);
  const account = await t.db.sql.query(`select consecutive_failures from mfa_account_state where account_id = $1`, [accountId]);
  return { method: method.rows[0].failed_attempts as number, locked: method.rows[0].locked as boolean | null, account: (account.rows[0]?.consecutive_failures ?? 0) as number };
}

/**
 * As if `failures` wrong codes had been tried earlier on this method and the wait after them
 * had run out: the next try is allowed, and the one after waits 2^(failures-2) s (8 s after 5),
 * longer than any burst lasts, so a burst gets exactly one guess however slow the machine.
 */
async function earlierFailures(methodId: string, accountId: string, failures: number) {
  await t.db.sql.query(`update mfa_method set failed_attempts = $2, next_attempt_at = null where id = $1`, [methodId, failures]);
  await t.db.sql.query(
    `insert into mfa_account_state (account_id, consecutive_failures) values ($1, $2)
     on conflict (account_id) do update set consecutive_failures = $2`,
    [accountId, failures],
  );
}

/** Fires every request at once and waits for all the answers. */
function burst(requests: (() => PromiseLike<{ status: number; text: string }>)[]) {
  return Promise.all(requests.map((send) => send()));
}

const errorsOf = (answers: { text: string }[]) => answers.map((a) => textOf(a.text, 'code-error') ?? '');

describe('code generator app under a burst', () => {
  it('refuses the right code sent 38th among 40 at once, checks only the guesses the delays allow, and counts each', async () => {
    const { person, browser, csrf, accountId, totpId } = await atChallenge();
    const right = await codeFor(person.totpSecret!, 1);
    const codes = await Promise.all(Array.from({ length: 40 }, (_, i) => (i === 37 ? right : wrongCode(person.totpSecret!, i))));
    const answers = await burst(codes.map((code) => () => browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrf, method: totpId, code })));

    expect(answers.map((a) => a.status).filter((s) => s !== 400)).toEqual([]); // no 500, and the right code did not get in
    const errors = errorsOf(answers);
    expect(errors.filter((e) => !WAIT.test(e) && e !== WRONG)).toEqual([]);
    // Delays start after the 3rd wrong code: 3 guesses are checked at once, then one more
    // each time a wait (1 s, then 2 s) runs out while the burst is still arriving.
    const checked = errors.filter((e) => e === WRONG).length;
    expect(checked).toBeGreaterThanOrEqual(3);
    expect(checked).toBeLessThanOrEqual(5);
    expect(await counters(totpId, accountId)).toEqual({ method: checked, locked: null, account: checked });

    // Once the wait is over the right code works, and clears both counts.
    await t.db.sql.query(`update mfa_method set next_attempt_at = null where id = $1`, [totpId]);
    expect((await browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrf, method: totpId, code: right })).status).toBe(303);
    expect(await counters(totpId, accountId)).toEqual({ method: 0, locked: null, account: 0 });
  });

  it('gives a burst after earlier wrong codes exactly one guess, and counts it once', async () => {
    const { person, browser, csrf, accountId, totpId } = await atChallenge();
    await earlierFailures(totpId, accountId, 5);
    const right = await codeFor(person.totpSecret!, 1);
    const codes = await Promise.all(Array.from({ length: 30 }, (_, i) => (i === 27 ? right : wrongCode(person.totpSecret!, i))));
    const answers = await burst(codes.map((code) => () => browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrf, method: totpId, code })));
    expect(answers.map((a) => a.status).filter((s) => s !== 400)).toEqual([]);
    const errors = errorsOf(answers);
    expect(errors.filter((e) => e === WRONG)).toHaveLength(1);
    expect(errors.filter((e) => e !== WRONG && !WAIT.test(e))).toEqual([]);
    expect(await counters(totpId, accountId)).toEqual({ method: 6, locked: null, account: 6 });
    // The burst is over, the wait (8 s) is not: the right code is refused without being checked.
    const after = await browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrf, method: totpId, code: right });
    expect(textOf(after.text, 'code-error')).toMatch(WAIT);
    expect(await counters(totpId, accountId)).toEqual({ method: 6, locked: null, account: 6 });
  });

  it('locks after exactly 10 checked guesses over bursts, then refuses the right code', async () => {
    const { person, browser, csrf, accountId, totpId } = await atChallenge();
    let checked = 0;
    for (let round = 0; round < 12; round++) {
      const codes = await Promise.all(Array.from({ length: 12 }, (_, i) => wrongCode(person.totpSecret!, round * 12 + i)));
      const answers = await burst(codes.map((code) => () => browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrf, method: totpId, code })));
      expect(answers.map((a) => a.status).filter((s) => s !== 400)).toEqual([]);
      const errors = errorsOf(answers);
      const state = await counters(totpId, accountId);
      // Every answer is a checked wrong code, a wait, or the lock (the try that locks was checked too).
      expect(errors.filter((e) => e !== WRONG && !WAIT.test(e) && !LOCKED.test(e))).toEqual([]);
      checked += errors.filter((e) => e === WRONG).length + (state.locked ? 1 : 0);
      expect(state.account).toBe(checked);
      if (state.locked) break;
      await t.db.sql.query(`update mfa_method set next_attempt_at = null where id = $1`, [totpId]); // the wait passes
    }
    expect(checked).toBe(10);
    expect(await counters(totpId, accountId)).toEqual({ method: 10, locked: true, account: 10 });
    const codes = [await codeFor(person.totpSecret!, 1), ...(await Promise.all([1, 2, 3].map((i) => wrongCode(person.totpSecret!, 500 + i))))];
    const answers = await burst(codes.map((code) => () => browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrf, method: totpId, code })));
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400]);
    for (const error of errorsOf(answers)) expect(error).toMatch(LOCKED);
    expect(await counters(totpId, accountId)).toEqual({ method: 10, locked: true, account: 10 });
  });

  it('stops the whole account at exactly 100 wrong codes in a row, whatever the burst', async () => {
    const { person, browser, csrf, accountId, totpId } = await atChallenge();
    await t.db.sql.query(
      `insert into mfa_account_state (account_id, consecutive_failures) values ($1, 98)
       on conflict (account_id) do update set consecutive_failures = 98`,
      [accountId],
    );
    const right = await codeFor(person.totpSecret!, 1);
    const codes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i === 15 ? right : wrongCode(person.totpSecret!, i))));
    const answers = await burst(codes.map((code) => () => browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrf, method: totpId, code })));
    expect(answers.map((a) => a.status).filter((s) => s !== 400)).toEqual([]);
    const errors = errorsOf(answers);
    expect(errors.filter((e) => e === WRONG)).toHaveLength(2);
    expect(errors.filter((e) => e !== WRONG && e !== ACCOUNT_LOCKED)).toEqual([]);
    // A refused request is not a guess: the method counts the 2 it checked, the account stops at 100.
    expect(await counters(totpId, accountId)).toEqual({ method: 2, locked: null, account: 100 });
    const after = await browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrf, method: totpId, code: right });
    expect(textOf(after.text, 'code-error')).toBe(ACCOUNT_LOCKED);
  });
});

describe('backup codes under a burst', () => {
  it('gives a burst after earlier wrong codes one guess and refuses the right code sent among wrong ones', async () => {
    const { person, browser, csrf, accountId, backupId } = await atChallenge();
    await earlierFailures(backupId, accountId, 5);
    const right = person.backupCodes[0];
    const codes = Array.from({ length: 30 }, (_, i) => (i === 27 ? right : `wrong${String(i).padStart(5, '0')}`));
    const answers = await burst(codes.map((code) => () => browser.post('/mfa/challenge/backup').type('form').send({ _csrf: csrf, code })));
    expect(answers.map((a) => a.status).filter((s) => s !== 400)).toEqual([]);
    const errors = errorsOf(answers);
    expect(errors.filter((e) => e === BACKUP_WRONG)).toHaveLength(1);
    expect(errors.filter((e) => !WAIT.test(e) && e !== BACKUP_WRONG)).toEqual([]);
    expect(await counters(backupId, accountId)).toEqual({ method: 6, locked: null, account: 6 });
    const { rows } = await t.db.sql.query(`select count(*)::int as n from backup_code where method_id = $1 and used_at is null`, [backupId]);
    expect(rows[0].n).toBe(10); // the right code was never checked, so it is still unused
  });
});

describe('phone codes under a burst', () => {
  async function lastCode(to: string): Promise<string> {
    const text = await lastTextTo(t.db.sql, to);
    return /(\d{6}) is your Referee code/.exec(text!.body)![1];
  }

  it('signing in: gives a burst one guess after earlier wrong codes, counted on the method, the account and the code', async () => {
    const person = await createAccount(t, newEmail());
    const setup = t.browser();
    await passwordSignIn(setup, person);
    const form = await setup.get('/mfa/setup/phone');
    await setup.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(form.text), country: 'IN', number: '98765 00777', channel: 'sms', label: 'Phone' });
    const confirm = await setup.get('/mfa/setup/phone/confirm');
    expect((await setup.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(confirm.text), code: await lastCode('+919876500777') })).status).toBe(200);
    await t.db.sql.query(`delete from rate_limit`); // half a minute later

    const browser = t.browser();
    await passwordSignIn(browser, person);
    const page = await browser.get('/mfa/challenge');
    const { rows: [method] } = await t.db.sql.query(`select m.id, m.account_id from mfa_method m join account a on a.id = m.account_id where a.email = $1`, [person.email]);
    expect((await browser.post('/mfa/challenge/phone/send').type('form').send({ _csrf: csrfOf(page.text), method: method.id })).status).toBe(303);
    const right = await lastCode('+919876500777');
    await earlierFailures(method.id, method.account_id, 5);
    const codes = Array.from({ length: 20 }, (_, i) => (i === 16 ? right : String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0')));
    const answers = await burst(codes.map((code) => () => browser.post('/mfa/challenge/phone').type('form').send({ _csrf: csrfOf(page.text), method: method.id, code })));
    expect(answers.map((a) => a.status).filter((s) => s !== 400)).toEqual([]);
    const errors = errorsOf(answers);
    expect(errors.filter((e) => e === 'That code is not right. Check the code we sent and try again')).toHaveLength(1);
    expect(errors.filter((e) => !WAIT.test(e) && e !== 'That code is not right. Check the code we sent and try again')).toEqual([]);
    expect(await counters(method.id, method.account_id)).toEqual({ method: 6, locked: null, account: 6 });
    const pending = await t.db.sql.query(`select (data->>'tries')::int as tries from mfa_pending where purpose = 'phone_challenge' and account_id = $1`, [method.account_id]);
    expect(pending.rows[0].tries).toBe(1);
  });

  it('checks 5 codes of 20 sent at once when confirming a new phone; the right code no longer works after', async () => {
    const person = await createAccount(t, newEmail());
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const form = await browser.get('/mfa/setup/phone');
    const sent = await browser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(form.text), country: 'GB', number: '07400 654321', channel: 'sms', label: 'Phone' });
    expect(sent.status).toBe(303);
    const right = await lastCode('+447400654321');
    const page = await browser.get('/mfa/setup/phone/confirm');
    const wrong = (i: number) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0');
    const answers = await burst(Array.from({ length: 20 }, (_, i) => () => browser.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(page.text), code: wrong(i) })));
    expect(answers.map((a) => a.status).filter((s) => s !== 400)).toEqual([]);
    const errors = errorsOf(answers);
    expect(errors.filter((e) => e === 'That code is not right. Check the code we sent and try again')).toHaveLength(5);
    expect(errors.filter((e) => e === 'Too many wrong tries for this code. Send a new code')).toHaveLength(15);
    const { rows } = await t.db.sql.query(`select (data->>'tries')::int as tries from mfa_pending where purpose = 'phone_setup' and account_id = (select id from account where email = $1)`, [person.email]);
    expect(rows[0].tries).toBe(5);
    const late = await browser.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(page.text), code: right });
    expect(late.status).toBe(400);
    expect(textOf(late.text, 'code-error')).toBe('Too many wrong tries for this code. Send a new code');
    const methods = await t.db.sql.query(`select count(*)::int as n from mfa_method where account_id = (select id from account where email = $1)`, [person.email]);
    expect(methods.rows[0].n).toBe(0);
  });
});

describe('passkeys under a burst', () => {
  it('checks one of the forged answers sent at once from several browsers after earlier failures, and counts it', async () => {
    const { person, accountId } = await atChallenge();
    const { rows: [passkey] } = await t.db.sql.query(
      `insert into mfa_method (id, account_id, kind, label, credential_id, public_key, sign_count, created_at)
       values (gen_random_uuid(), $1, 'passkey', 'Laptop', 'burst-credential-id', 'AAAA', 0, now()) returning id`,
      [accountId],
    );
    // An attacker with the password opens the second step in 6 browsers, each with its own challenge.
    const browsers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const browser = t.browser();
        await passwordSignIn(browser, person);
        const csrf = csrfOf((await browser.get('/mfa/challenge')).text);
        expect((await browser.post('/mfa/challenge/passkey/options').set('X-CSRF-Token', csrf).send({})).status).toBe(201);
        return { browser, csrf };
      }),
    );
    await earlierFailures(passkey.id, accountId, 5);
    const forged = { id: 'burst-credential-id', rawId: 'burst-credential-id', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } };
    const answers = await burst(browsers.map(({ browser, csrf }) => () => browser.post('/mfa/challenge/passkey').set('X-CSRF-Token', csrf).send({ response: forged })));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    const messages = answers.map((a) => (a as unknown as { body: { ok: boolean; message: string } }).body);
    expect(messages.filter((m) => m.ok)).toEqual([]);
    expect(messages.filter((m) => m.message === 'Your passkey could not be checked. Try again')).toHaveLength(1);
    expect(messages.filter((m) => m.message !== 'Your passkey could not be checked. Try again' && !WAIT.test(m.message))).toEqual([]);
    expect(await counters(passkey.id, accountId)).toEqual({ method: 6, locked: null, account: 6 });
  });
});

describe('recovery under a burst', () => {
  it('starts one recovery for 10 simultaneous requests: no 500, one email, and its link cancels it', async () => {
    const { person, browser, csrf, accountId } = await atChallenge();
    const answers = await burst(Array.from({ length: 10 }, () => () => browser.post('/mfa/recovery').type('form').send({ _csrf: csrf })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const emails = await messagesTo(t.db.sql, person.email, ['email']);
    expect(emails.filter((m) => m.subject === 'Someone asked to remove your Referee sign-in methods')).toHaveLength(1);
    const owner = t.browser();
    const page = await owner.get(pathOf((await lastEmailTo(t.db.sql, person.email))!.link!));
    const token = /name="token" value="([^"]+)"/.exec(page.text)![1];
    const cancelled = await owner.post('/mfa/recovery/cancel').type('form').send({ _csrf: csrfOf(page.text), token });
    expect(cancelled.status).toBe(200);
    const state = await t.db.sql.query(`select recovery_due_at from mfa_account_state where account_id = $1`, [accountId]);
    expect(state.rows[0].recovery_due_at).toBeNull();
  });

  it('completes a due recovery once for simultaneous visits: one email, one audit record', async () => {
    const { person, browser, csrf, accountId } = await atChallenge();
    await browser.post('/mfa/recovery').type('form').send({ _csrf: csrf });
    await t.db.sql.query(`update mfa_account_state set recovery_due_at = now() - interval '1 minute' where account_id = $1`, [accountId]);
    const answers = await burst(Array.from({ length: 8 }, () => () => browser.get('/mfa')));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(303));
    const audit = await t.db.sql.query(`select count(*)::int as n from audit_event where action = 'mfa.recovery_completed' and actor_id = $1`, [accountId]);
    expect(audit.rows[0].n).toBe(1);
    const emails = await messagesTo(t.db.sql, person.email, ['email']);
    expect(emails.filter((m) => m.body.includes('as requested 24 hours ago'))).toHaveLength(1);
  });
});

describe('passkey options', () => {
  it('are never cached (each holds a one-time challenge)', async () => {
    const { browser, csrf } = await atChallenge();
    const challenge = await browser.post('/mfa/challenge/passkey/options').set('X-CSRF-Token', csrf).send({});
    expect(challenge.status).toBe(201);
    expect(challenge.body.challenge).toEqual(expect.any(String));
    expect(challenge.headers['cache-control']).toBe('no-store');

    const stranger = t.browser();
    const signInPage = await stranger.get('/sign-in');
    const passwordless = await stranger.post('/sign-in/passkey/options').set('X-CSRF-Token', csrfOf(signInPage.text)).send({});
    expect(passwordless.body.challenge).toEqual(expect.any(String));
    expect(passwordless.headers['cache-control']).toBe('no-store');

    const person = await createAccount(t, newEmail());
    const fresh = t.browser();
    await passwordSignIn(fresh, person);
    const setup = await fresh.get('/mfa/setup/passkey');
    const registration = await fresh.post('/mfa/setup/passkey/options').set('X-CSRF-Token', csrfOf(setup.text)).send({});
    expect(registration.body.challenge).toEqual(expect.any(String));
    expect(registration.headers['cache-control']).toBe('no-store');
  });
});

describe('changing factors under a burst', () => {
  it('keeps one set of backup codes when new ones are asked for several times at once', async () => {
    const person = await createAccount(t, newEmail());
    const browser = await signIn(t, person);
    const page = await browser.get('/mfa/methods');
    const answers = await burst(Array.from({ length: 5 }, () => () => browser.post('/mfa/setup/backup-codes').type('form').send({ _csrf: csrfOf(page.text) })));
    expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
    const { rows } = await t.db.sql.query(
      `select m.id, (select count(*)::int from backup_code c where c.method_id = m.id and c.used_at is null) as codes
       from mfa_method m join account a on a.id = m.account_id where a.email = $1 and m.kind = 'backup_codes'`,
      [person.email],
    );
    expect(rows.map((r) => r.codes)).toEqual([10]);
    // The codes of exactly one answer work: the set that was stored last (the others were replaced).
    const shown = answers.map((a) => [...a.text.matchAll(/<code>([a-z0-9]{5}-[a-z0-9]{5})<\/code>/g)].map((m) => m[1]));
    expect(shown.map((codes) => codes.length)).toEqual(Array(5).fill(10));
    const working: boolean[] = [];
    for (const codes of shown) {
      const other = t.browser();
      await passwordSignIn(other, person);
      const challenge = await other.get('/mfa/challenge?method=backup');
      working.push((await other.post('/mfa/challenge/backup').type('form').send({ _csrf: csrfOf(challenge.text), code: codes[0] })).status === 303);
      await t.db.sql.query(`update mfa_method set next_attempt_at = null where id = $1`, [rows[0].id]); // the wait passes
    }
    expect(working.filter(Boolean)).toHaveLength(1);
  });

  it('never removes the last two sign-in methods at once', async () => {
    const person = await createAccount(t, newEmail());
    const browser = await signIn(t, person);
    const { rows: [app] } = await t.db.sql.query(`select m.id, m.account_id from mfa_method m join account a on a.id = m.account_id where a.email = $1 and m.kind = 'totp'`, [person.email]);
    const { rows: [key] } = await t.db.sql.query(
      `insert into mfa_method (id, account_id, kind, label, credential_id, public_key, sign_count, created_at)
       values (gen_random_uuid(), $1, 'passkey', 'Laptop', 'removal-race-credential', 'AAAA', 0, now()) returning id`,
      [app.account_id],
    );
    const page = await browser.get('/mfa/methods');
    const answers = await burst([app.id, key.id].map((id) => () => browser.post(`/mfa/methods/${id}/remove`).type('form').send({ _csrf: csrfOf(page.text) })));
    expect(answers.map((a) => (a as unknown as { headers: Record<string, string> }).headers.location).sort()).toEqual(['/mfa/methods?notice=last', '/mfa/methods?notice=removed']);
    const { rows } = await t.db.sql.query(`select count(*)::int as n from mfa_method where account_id = $1 and kind <> 'backup_codes'`, [app.account_id]);
    expect(rows[0].n).toBe(1);
  });
});
