import { NotificationsService } from '../src/notifications/notifications.service';
import { startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { createAccount, signIn } from './harness/accounts';
import { csrfOf } from './harness/forms';
import { lastEmailTo, lastTextTo } from './harness/outbox';
import { FRENCH_DETAILS, newApplicant, step, toIdentifierStep } from './harness/verification';

/**
 * After applicants have entered everything intake asks for, no text column of any table
 * holds an SSN, an ITIN, a date of birth or a street address in the clear (issue 9, item 7).
 * Logs are checked the same way by test/logs.spec.ts on a running process.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const SSN = '456-78-9012';
const ITIN = '912-78-1234';

/** Every value of every text, varchar and json column in the database, as one string per row. */
async function everyTextValue(): Promise<string[]> {
  const { rows: columns } = await t.db.sql.query(
    `select table_name, column_name from information_schema.columns
     where table_schema = 'public' and data_type in ('text', 'character varying', 'json', 'jsonb')`,
  );
  const values: string[] = [];
  for (const { table_name, column_name } of columns) {
    const { rows } = await t.db.sql.query(`select "${column_name}"::text as v from "${table_name}" where "${column_name}" is not null`);
    for (const row of rows) values.push(`${table_name}.${column_name}: ${row.v}`);
  }
  return values;
}

it('keeps no SSN, ITIN, date of birth or address in the clear anywhere in the database', async () => {
  const withSsn = await newApplicant(t, 'ssn');
  await toIdentifierStep(withSsn);
  await step(withSsn, '/verify/ssn', { number: SSN, confirmNumber: SSN, fcraConsent: 'yes' }, '/verify/documents/primary');

  const withItin = await newApplicant(t, 'itin');
  await toIdentifierStep(withItin, { ...FRENCH_DETAILS, line1: '7 avenue Foch', 'dateOfBirth-year': '1979' });
  const itinPage = await withItin.browser.get('/verify/itin');
  expect(itinPage.status).toBe(200);
  const res = await withItin.post('/verify/itin', { number: ITIN, confirmNumber: ITIN });
  expect(res.status).toBe(303);

  const values = await everyTextValue();
  expect(values.length).toBeGreaterThan(50); // the scan does see the data
  const secrets = [SSN, SSN.replace(/-/g, ''), ITIN, ITIN.replace(/-/g, ''), '1986-04-28', '04/28/1986', '1979-04-28', '12 rue de Rivoli', '7 avenue Foch'];
  const leaks = values.filter((v) => secrets.some((s) => v.includes(s)));
  expect(leaks).toEqual([]);
});

it('keeps no phone number or email address in the clear in the outbox', async () => {
  // A code sent by text message to the phone being set up as a second factor.
  const person = await createAccount(t, 'outbox.pii@example.org');
  const browser = await signIn(t, person);
  const setup = await browser.get('/mfa/setup/phone');
  const sent = await browser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(setup.text), channel: 'sms', label: 'Phone', country: 'FR', number: '06 12 34 56 78' });
  expect(sent.status).toBe(303);
  // A support request from someone without an account: the acknowledgement goes to their address.
  const stranger = t.browser();
  const form = await stranger.get('/support');
  const asked = await stranger.post('/support').type('form').send({ _csrf: csrfOf(form.text), category: 'other', message: 'Where is my code?', email: 'no.account.pii@example.org' });
  expect(asked.status).toBe(200);

  // The messages are there, and still reach their recipients...
  expect((await lastTextTo(t.db.sql, '+33612345678'))?.body).toMatch(/\d{6}/);
  expect(await lastEmailTo(t.db.sql, 'no.account.pii@example.org')).toBeDefined();
  expect(await lastEmailTo(t.db.sql, person.email)).toBeDefined();
  // ...but no column of the outbox holds a number or an address in the clear.
  const outbox = (await everyTextValue()).filter((v) => v.startsWith('outbox_message.'));
  expect(outbox.filter((v) => v.startsWith('outbox_message.recipient')).length).toBeGreaterThanOrEqual(3);
  const secrets = ['+33612345678', '33612345678', '612345678', 'outbox.pii@example.org', 'no.account.pii@example.org', '@example.org'];
  expect(outbox.filter((v) => secrets.some((s) => v.includes(s)))).toEqual([]);
});

it('encrypts the recipients an older version left in the clear, when Referee starts', async () => {
  const id = '0e6c8f1e-5d2a-4c1b-9a57-3f4b2c1d0e9f';
  await t.db.sql.query(
    `insert into outbox_message (id, channel, recipient, subject, body, status, attempts, created_at)
     values ($1, 'email', 'written.before@example.org', 'Hello', 'Hi', 'queued', 0, now())`,
    [id],
  );
  const next = await startAnotherInstance(t); // an upgraded instance starting on this database
  try {
    const { rows } = await t.db.sql.query('select recipient from outbox_message where id = $1', [id]);
    expect(rows[0].recipient).not.toContain('written.before');
    expect(await lastEmailTo(t.db.sql, 'written.before@example.org')).toMatchObject({ subject: 'Hello', body: 'Hi' });
    // Encrypted once: the next pass finds nothing left in the clear.
    expect(await next.app.get(NotificationsService).sealOlderRecipients()).toBe(0);
    expect(await lastEmailTo(t.db.sql, 'no.account.pii@example.org')).toBeDefined();
  } finally {
    await next.close();
  }
});
