import { startTestApp, type TestApp } from './harness/app';
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
