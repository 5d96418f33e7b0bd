import type { Response } from 'supertest';
import type { TestApp } from './app';
import { createAccount, signIn, type TestPerson } from './accounts';
import { csrfOf } from './forms';

type Browser = ReturnType<TestApp['browser']>;
let n = 0;

export interface Applicant {
  person: TestPerson;
  browser: Browser;
  /** POSTs a form with this browser's CSRF token, as its page would. */
  post(path: string, fields?: Record<string, string>): Promise<Response>;
  /** The account's case row, as an operator would see it. */
  row(): Promise<Record<string, any>>;
}

/** A new applicant: account, email confirmed, second factor set up, signed in. */
export async function newApplicant(t: TestApp, label = 'applicant'): Promise<Applicant> {
  const person = await createAccount(t, `${label}${++n}.${Date.now()}@example.org`);
  const browser = await signIn(t, person);
  return {
    person,
    browser,
    async post(path, fields = {}) {
      const page = await browser.get('/account');
      return browser.post(path).type('form').send({ _csrf: csrfOf(page.text), ...fields });
    },
    async row() {
      const { rows } = await t.db.sql.query(
        'select c.* from verification_case c join account a on a.id = c.account_id where a.email = $1',
        [person.email],
      );
      return rows[0];
    },
  };
}

/** A French home address and the rest of the details form, valid. */
export const FRENCH_DETAILS = {
  firstName: 'Amélie',
  middleName: '',
  lastName: "D'Artagnan-Poulain",
  'dateOfBirth-month': '4',
  'dateOfBirth-day': '28',
  'dateOfBirth-year': '1986',
  email: 'amelie@example.fr',
  phone: '+33 1 42 68 53 00',
  country: 'FR',
  line1: '12 rue de Rivoli',
  line2: '',
  city: 'Paris',
  region: '',
  postalCode: '75001',
  nameChanged: 'no',
};

/** From a new case to the documents: the international link, "Get started", details, then the path to the SSN/ITIN step. */
export async function toIdentifierStep(a: Applicant, details: Record<string, string> = FRENCH_DETAILS): Promise<void> {
  await a.browser.get('/verify');
  const steps: [string, Record<string, string>][] = [
    ['/verify/international', { from: 'choose_method' }],
    ['/verify/video-call', {}],
    ['/verify/details', details],
  ];
  for (const [path, fields] of steps) {
    const res = await a.post(path, fields);
    if (res.status !== 303) throw new Error(`${path} answered ${res.status}: ${res.text.slice(0, 500)}`);
  }
}

/**
 * The whole intake of the international track, up to the review of the chosen documents:
 * details, no SSN or ITIN, a foreign passport and a utility bill with their requirements
 * confirmed (the bill is also the proof of the non-U.S. address: no supporting documents).
 */
export async function throughIntake(a: Applicant): Promise<void> {
  await toIdentifierStep(a);
  await step(a, '/verify/no-ssn-or-itin', {}, '/verify/documents/primary');
  await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
  await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
  await step(a, '/verify/documents/second', { document: 'utility_bill' }, '/verify/documents/second/check');
  // Living outside the United States, the utility bill is also the proof of that address: no supporting step.
  await step(a, '/verify/documents/second/check', { nameMatches: 'yes', recent: 'yes' }, '/verify/documents/review');
}

/** Takes a step and expects to be sent on to `next`. */
export async function step(a: Applicant, path: string, fields: Record<string, string>, next: string): Promise<void> {
  const res = await a.post(path, fields);
  if (res.status !== 303 || res.headers.location !== next) {
    throw new Error(`${path} → ${res.status} ${res.headers.location ?? ''}, expected 303 ${next}\n${res.text.slice(0, 2000)}`);
  }
}
