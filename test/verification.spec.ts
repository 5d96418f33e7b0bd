import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config/paths';
import { createTestDatabase, startTestApp, type TestApp } from './harness/app';
import { signIn } from './harness/accounts';
import { csrfOf, textOf } from './harness/forms';
import { lastEmailTo, pathOf } from './harness/outbox';
import { FRENCH_DETAILS, newApplicant, step, toIdentifierStep, type Applicant } from './harness/verification';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

describe('the international journey (no SSN → passport + utility bill → Save & Exit → resume link)', () => {
  it('keeps everything and resumes on the same step', async () => {
    const a = await newApplicant(t);

    // The account page leads to /verify, which starts a case at "Choose how to verify".
    const account = await a.browser.get('/account');
    expect(account.text).toContain('href="/verify"');
    expect(account.text).toContain('Continue verifying your identity');
    const start = await a.browser.get('/verify');
    expect(start.status).toBe(303);
    expect(start.headers.location).toBe('/verify/how');
    const how = await a.browser.get('/verify/how');
    expect(how.text).toContain('Choose how to verify your identity');
    expect(how.text).toContain('Self-Service');
    expect(how.text).toContain('Video Call');
    expect(how.text).toContain("I don't live in the United States");

    await step(a, '/verify/international', { from: 'choose_method' }, '/verify/video-call');
    const overview = await a.browser.get('/verify/video-call');
    for (const stage of ['Confirm Details', 'Send Documents', 'Hold for Document Review', 'Join Video Call', 'Get started']) {
      expect(overview.text).toContain(stage);
    }
    await step(a, '/verify/video-call', {}, '/verify/details');
    const details = await a.browser.get('/verify/details');
    expect(details.text).toMatch(new RegExp(`id="email"[^>]*value="${a.person.email.replace(/[.]/g, '\\.')}"`)); // prefilled from the account
    await step(a, '/verify/details', FRENCH_DETAILS, '/verify/ssn');

    const ssn = await a.browser.get('/verify/ssn');
    expect(ssn.text).toContain('Continue by entering your Individual Taxpayer Identification Number (ITIN)');
    expect(ssn.text).toContain('What is the Federal Fair Credit Reporting Act?');
    const noNumber = await a.browser.get('/verify/no-ssn-or-itin');
    expect(noNumber.text).toContain('12 rue de Rivoli');
    await step(a, '/verify/no-ssn-or-itin', {}, '/verify/documents/primary');

    const primary = await a.browser.get('/verify/documents/primary');
    expect(primary.text).toContain('Select primary document');
    expect(primary.text).toContain('Physically shown on the video call');
    expect(primary.text).toContain('Foreign (non-U.S.) passport');
    expect(primary.text).toContain('side by side'); // the translation tip
    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    const check = await a.browser.get('/verify/documents/primary/check');
    expect(check.text).toContain('Your passport must show');
    expect(check.text).toContain('machine-readable zone');
    expect(check.text).toContain('Does the name on your passport match the name you entered (Amélie D&#39;Artagnan-Poulain)?');
    expect(check.text).toContain('Is your passport unexpired?');
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
    await step(a, '/verify/documents/second', { document: 'utility_bill' }, '/verify/documents/second/check');
    const bill = await a.browser.get('/verify/documents/second/check');
    expect(bill.text).toContain('Your current address');
    expect(bill.text).toContain('Issued within the last 90 days');
    // Living in France, the utility bill is also the proof of that address: no separate document is asked for.
    await step(a, '/verify/documents/second/check', { nameMatches: 'yes', recent: 'yes' }, '/verify/documents/review');
    const review = await a.browser.get('/verify/documents/review');
    expect(review.text).not.toContain('Proof of a non-U.S. address');
    expect(review.text).toContain('Foreign (non-U.S.) passport');
    expect(review.text).toContain('Utility bill');
    expect(review.text).toContain('Next: send your documents');
    expect((await a.row()).status).toBe('documents_chosen');

    // Save & Exit: signed out, the case kept, a resume link by email.
    const saved = await a.post('/verify/save-and-exit');
    expect(saved.status).toBe(303);
    expect(saved.headers.location).toBe('/verify/saved');
    expect((await a.browser.get('/verify/saved')).text).toContain('Your progress is saved');
    expect((await a.browser.get('/verify/documents/review')).headers.location).toMatch(/^\/sign-in/);
    const row = await a.row();
    expect(row.status).toBe('abandoned');
    expect(row.status_before_exit).toBe('documents_chosen');
    const mail = await lastEmailTo(t.db.sql, a.person.email);
    expect(mail?.subject).toBe('Continue verifying your identity with Referee');
    expect(mail?.link).toMatch(/\/verify\/resume\?code=[A-Za-z0-9_-]{43}$/);

    // The link asks to sign in first (with the second factor), then brings the applicant back.
    const link = pathOf(mail!.link!);
    const asked = await a.browser.get(link);
    expect(asked.headers.location).toBe(`/sign-in?next=${encodeURIComponent(link)}`);
    await signIn(t, a.person, a.browser);
    const resumePage = await a.browser.get(link);
    expect(resumePage.status).toBe(200);
    const resumed = await a.browser.post('/verify/resume').type('form').send({ _csrf: csrfOf(resumePage.text), code: new URL(mail!.link!).searchParams.get('code') });
    expect(resumed.status).toBe(303);
    expect(resumed.headers.location).toBe('/verify/documents/review');
    expect((await a.row()).status).toBe('documents_chosen');

    // Everything kept: the review, and the details form as entered.
    expect((await a.browser.get('/verify/documents/review')).text).toContain('Utility bill');
    const kept = await a.browser.get('/verify/details');
    expect(kept.status).toBe(200);
    expect(kept.text).toMatch(/id="firstName"[^>]*value="Amélie"/);
    expect(kept.text).toMatch(/id="line1"[^>]*value="12 rue de Rivoli"/);
    expect(kept.text).toMatch(/id="dateOfBirth-year"[^>]*value="1986"/);
    expect(kept.text).toMatch(/<option value="FR" selected>/);
  });
});

describe('resume links', () => {
  async function savedApplicant() {
    const a = await newApplicant(t, 'resume');
    await toIdentifierStep(a);
    await a.post('/verify/save-and-exit');
    const mail = await lastEmailTo(t.db.sql, a.person.email);
    const code = new URL(mail!.link!).searchParams.get('code')!;
    await signIn(t, a.person, a.browser);
    return { a, code };
  }

  it('are single use, stored hashed, and another account gets a 404 (the link staying usable)', async () => {
    const { a, code } = await savedApplicant();
    const { rows } = await t.db.sql.query("select token_hash from link where purpose = 'resume_case'");
    expect(rows.every((r) => r.token_hash !== code && /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);

    const stranger = await newApplicant(t, 'stranger');
    expect((await stranger.browser.get(`/verify/resume?code=${code}`)).status).toBe(404);
    expect((await stranger.post('/verify/resume', { code })).status).toBe(404);

    const first = await a.post('/verify/resume', { code });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/verify/ssn');
    const second = await a.post('/verify/resume', { code });
    expect(second.status).toBe(410);
    expect(second.text).toContain('This link has expired or was already used');
    expect((await a.browser.get(`/verify/resume?code=${code}`)).status).toBe(410);
  });

  it('expire after 30 days; signing in again resumes at the latest allowed step all the same', async () => {
    const { a, code } = await savedApplicant();
    const { rows } = await t.db.sql.query(`select extract(epoch from expires_at - created_at) / 86400 as days from link where purpose = 'resume_case'`);
    expect(rows.every((r) => Math.round(Number(r.days)) === 30)).toBe(true);
    await t.db.sql.query(`update link set expires_at = now() - interval '1 second' where purpose = 'resume_case'`);
    expect((await a.browser.get(`/verify/resume?code=${code}`)).status).toBe(410);
    expect((await a.browser.get('/verify/resume?code=not-a-code')).status).toBe(404);
    const back = await a.browser.get('/verify');
    expect(back.headers.location).toBe('/verify/ssn');
    expect((await a.row()).status).toBe('started');
  });
});

describe('the error summary', () => {
  it('lists each field’s own message, linked to it, in the order of the fields on the page', async () => {
    const a = await newApplicant(t, 'summary');
    await toIdentifierStep(a);
    const res = await a.post('/verify/details', { ...FRENCH_DETAILS, 'dateOfBirth-day': '31', 'dateOfBirth-month': '2', phone: '12', country: '', line1: '', city: '', nameChanged: '' });
    expect(res.status).toBe(400);
    const summary = /data-error-summary>([\s\S]*?)<\/ul>/.exec(res.text)![1];
    expect([...summary.matchAll(/href="#([^"]+)">([^<]*)</g)].map((m) => `${m[1]} ${m[2]}`)).toEqual([
      'dateOfBirth Enter a real date of birth',
      'phone Enter a valid phone number with its country code, like +44 20 7946 0958',
      'country Select your country',
      'line1 Enter the first line of your address',
      'city Enter your city',
      'nameChanged Select yes if your legal name has changed',
    ]);
  });
});

describe('Save & Exit keeps what was typed on the page', () => {
  /** Save & Exit as the step's own button submits it: the step's form, with the button's name and value. */
  async function saveAndExitFrom(a: Applicant, key: string, fields: Record<string, string>) {
    const saved = await a.post('/verify/save-and-exit', { ...fields, draftStep: key });
    expect(saved.headers.location).toBe('/verify/saved');
    await signIn(t, a.person, a.browser);
  }

  it('shows the details typed before Save & Exit again, encrypted meanwhile, with what is wrong next to its field', async () => {
    const a = await newApplicant(t, 'draft');
    await toIdentifierStep(a);
    await a.browser.get('/verify/details');
    const page = await a.browser.get('/verify/details');
    expect(page.text).toMatch(/id="dateOfBirth-year"[^>]*value="1986"/);
    expect(page.text).toContain('name="draftStep" value="details"');

    await saveAndExitFrom(a, 'details', { ...FRENCH_DETAILS, firstName: 'Zoé', line1: '7 quai Voltaire', city: '', 'dateOfBirth-day': '31', 'dateOfBirth-month': '2' });
    const row = await a.row();
    expect(row.draft).toBeTruthy();
    for (const typed of ['Zoé', 'Voltaire']) expect(row.draft).not.toContain(typed);
    expect(row.first_name).toBe('Amélie'); // the saved details stand until the step is submitted

    const back = await a.browser.get('/verify/details');
    expect(back.status).toBe(200);
    expect(back.text).toMatch(/id="firstName"[^>]*value="Zoé"/);
    expect(back.text).toMatch(/id="line1"[^>]*value="7 quai Voltaire"/);
    expect(textOf(back.text, 'dateOfBirth-error')).toBe('Enter a real date of birth');
    expect(textOf(back.text, 'city-error')).toBe('Enter your city');

    // Submitting the step replaces the draft with the real values.
    await step(a, '/verify/details', { ...FRENCH_DETAILS, firstName: 'Zoé' }, '/verify/ssn');
    expect((await a.row()).draft).toBeNull();
    const after = await a.browser.get('/verify/details');
    expect(after.text).toMatch(/id="firstName"[^>]*value="Zoé"/);
    expect(after.text).toMatch(/id="line1"[^>]*value="12 rue de Rivoli"/);
    expect(after.text).not.toContain('usa-error-message');
  });

  it('keeps a document chosen but not yet continued with, and nothing of a step the case may not show', async () => {
    const a = await newApplicant(t, 'draft-doc');
    await toIdentifierStep(a);
    await step(a, '/verify/no-ssn-or-itin', {}, '/verify/documents/primary');
    await saveAndExitFrom(a, 'check_second', { original: 'yes' }); // a later step: not kept
    expect((await a.row()).draft).toBeNull();
    await saveAndExitFrom(a, 'choose_primary', { document: 'foreign_passport' });
    const back = await a.browser.get('/verify/documents/primary');
    expect(back.text).toMatch(/value="foreign_passport"[^>]*checked/);
  });
});

describe('steps taken out of order', () => {
  const STEP_ROUTES = [
    '/verify/self-service/phone',
    '/verify/self-service/address',
    '/verify/self-service/ssn',
    '/verify/video-call',
    '/verify/details',
    '/verify/ssn',
    '/verify/itin',
    '/verify/no-ssn-or-itin',
    '/verify/documents/primary',
    '/verify/documents/primary/check',
    '/verify/documents/second',
    '/verify/documents/second/check',
    '/verify/documents/supporting',
    '/verify/documents/review',
  ];
  const FIELDS: Record<string, Record<string, string>> = {
    '/verify/self-service/phone': { phone: '2025550125' },
    '/verify/details': FRENCH_DETAILS,
    '/verify/ssn': { number: '123-45-6789', confirmNumber: '123-45-6789', fcraConsent: 'yes' },
    '/verify/self-service/ssn': { number: '123-45-6789', confirmNumber: '123-45-6789', fcraConsent: 'yes' },
    '/verify/itin': { number: '912-70-1234', confirmNumber: '912-70-1234' },
    '/verify/documents/primary': { document: 'foreign_passport' },
    '/verify/documents/second': { document: 'utility_bill' },
    '/verify/documents/supporting': { confirm: 'yes' },
  };

  it('sends every later step of a new case back to "Choose how to verify", and saves nothing posted to them', async () => {
    const a = await newApplicant(t, 'order');
    await a.browser.get('/verify');
    const before = await a.row();
    for (const route of STEP_ROUTES) {
      const page = await a.browser.get(route);
      expect([route, page.status, page.headers.location]).toEqual([route, 303, '/verify/how']);
      if (route === '/verify/documents/review') continue;
      const posted = await a.post(route, FIELDS[route] ?? {});
      expect([route, posted.status, posted.headers.location]).toEqual([route, 303, '/verify/how']);
    }
    const after = await a.row();
    expect({ ...after, updated_at: null }).toEqual({ ...before, updated_at: null });
  });

  it('lets the details step be skipped by no URL, and shows earlier steps again to go back', async () => {
    const a = await newApplicant(t, 'order');
    await a.browser.get('/verify');
    await step(a, '/verify/international', { from: 'choose_method' }, '/verify/video-call');
    await step(a, '/verify/video-call', {}, '/verify/details');
    for (const route of ['/verify/ssn', '/verify/documents/primary', '/verify/documents/review']) {
      expect((await a.browser.get(route)).headers.location).toBe('/verify/details');
    }
    expect((await a.browser.get('/verify/video-call')).status).toBe(200); // going back is allowed
    expect((await a.browser.get('/verify/how')).status).toBe(200);
    // The self-service screens are not on the international path at all.
    expect((await a.browser.get('/verify/self-service/phone')).headers.location).toBe('/verify/details');
  });

  it('re-shows the current step when a form from a stale page is posted', async () => {
    const a = await newApplicant(t, 'stale');
    await toIdentifierStep(a);
    // A second tab still showing "Choose how to verify", after the details are confirmed: that step is gone.
    const stale = await a.post('/verify/how', { method: 'self_service' });
    expect(stale.headers.location).toBe('/verify/ssn');
    const escape = await a.post('/verify/international', { from: 'us_phone' });
    expect(escape.headers.location).toBe('/verify/ssn');
    expect((await a.row()).international_reason).toBe('no_us_residence');
  });

  it('does not know a made-up escape step or a step of another module', async () => {
    const a = await newApplicant(t, 'order');
    await a.browser.get('/verify');
    expect((await a.post('/verify/international', { from: 'details' })).headers.location).toBe('/verify');
    expect((await a.post('/verify/international', { from: 'nonsense' })).headers.location).toBe('/verify');
    expect((await a.row()).track).toBeNull();
    expect((await a.browser.get('/verify/documents/third')).status).toBe(404);
  });

  it('asks everyone signed out to sign in first', async () => {
    const res = await t.browser().get('/verify/details');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/sign-in?next=%2Fverify%2Fdetails');
  });
});

describe('going back clears only what the flow table says', () => {
  it('keeps the chosen documents when the details change, but asks the questions again', async () => {
    const a = await newApplicant(t, 'back');
    await toIdentifierStep(a);
    await step(a, '/verify/no-ssn-or-itin', {}, '/verify/documents/primary');
    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
    await step(a, '/verify/details', { ...FRENCH_DETAILS, firstName: 'Amelie' }, '/verify/documents/primary/check');
    const row = await a.row();
    expect(row.documents).toEqual([{ slot: 'first', type: 'foreign_passport' }]);
    expect(row.identifier_kind).toBe('none');
    const check = await a.browser.get('/verify/documents/primary/check');
    expect(check.text).toContain('(Amelie D&#39;Artagnan-Poulain)');
  });

  it('asks again for a national ID card chosen abroad once the address moves to the U.S.', async () => {
    const a = await newApplicant(t, 'back');
    await toIdentifierStep(a);
    await step(a, '/verify/ssn', { number: '456-78-9012', confirmNumber: '456-78-9012', fcraConsent: 'yes' }, '/verify/documents/primary');
    await step(a, '/verify/documents/primary', { document: 'national_id_card' }, '/verify/documents/primary/check');
    const us = { ...FRENCH_DETAILS, country: 'US', line1: '1600 Pennsylvania Ave NW', city: 'Washington', region: 'DC', postalCode: '20500', phone: '+1 202 555 0125' };
    await step(a, '/verify/details', us, '/verify/documents/primary');
    const page = await a.browser.get('/verify/documents/primary');
    expect(page.text).toContain('Choose again');
    expect(page.text).toContain('A national ID card is accepted only if you live outside the U.S.');
  });

  it('moving the address to the U.S. undoes "neither SSN nor ITIN", which needs an international address', async () => {
    const a = await newApplicant(t, 'back');
    await toIdentifierStep(a);
    await step(a, '/verify/no-ssn-or-itin', {}, '/verify/documents/primary');
    const us = { ...FRENCH_DETAILS, country: 'US', line1: '1600 Pennsylvania Ave NW', city: 'Washington', region: 'DC', postalCode: '20500', phone: '+1 202 555 0125' };
    await step(a, '/verify/details', us, '/verify/ssn');
    const refused = await a.post('/verify/no-ssn-or-itin');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('Without an SSN or ITIN, your home address must be outside the United States');
  });
});

describe('the U.S. resident paths', () => {
  it('Self-Service: phone, address and SSN, then the short video call with one primary document', async () => {
    const a = await newApplicant(t, 'selfservice');
    await a.browser.get('/verify');
    await step(a, '/verify/how', { method: 'self_service' }, '/verify/self-service/phone');
    const phonePage = await a.browser.get('/verify/self-service/phone');
    expect(phonePage.text).toContain('Mobile Phone Number');
    expect(phonePage.text).toContain("I don't have a US Phone Number");
    const foreign = await a.post('/verify/self-service/phone', { phone: '+44 20 7946 0958' });
    expect(foreign.status).toBe(400);
    expect(textOf(foreign.text, 'phone-error')).toBe('Enter a valid U.S. phone number, like (202) 555-0125');
    await step(a, '/verify/self-service/phone', { phone: '(202) 555-0125' }, '/verify/self-service/address');
    const addressPage = await a.browser.get('/verify/self-service/address');
    expect(addressPage.text).toContain('No P.O. Boxes');
    expect(addressPage.text).toContain("I don't have a US address");
    const poBox = await a.post('/verify/self-service/address', { line1: 'P.O. Box 123', city: 'Washington', region: 'DC', postalCode: '20500' });
    expect(poBox.status).toBe(400);
    expect(textOf(poBox.text, 'line1-error')).toBe('Enter your home address. A P.O. box is not a home address');
    expect(poBox.text).toMatch(/id="line1"[^>]*value="P.O. Box 123"/);
    await step(a, '/verify/self-service/address', { line1: '1600 Pennsylvania Ave NW', city: 'Washington', region: 'DC', postalCode: '20500' }, '/verify/self-service/ssn');
    const ssnPage = await a.browser.get('/verify/self-service/ssn');
    expect(ssnPage.text).toContain('Enter your Social Security number');
    expect(ssnPage.text).toContain("I don't have a Social Security Number");
    await step(a, '/verify/self-service/ssn', { number: '123-45-6789', confirmNumber: '123456789', fcraConsent: 'yes' }, '/verify/video-call');
    expect((await a.row()).track).toBe('us_video');
    await step(a, '/verify/video-call', {}, '/verify/details');
    const details = await a.browser.get('/verify/details');
    expect(details.text).toMatch(/id="line1"[^>]*value="1600 Pennsylvania Ave NW"/); // from the Self-Service screens
    expect(details.text).toMatch(/id="phone"[^>]*value="\+12025550125"/);
    const us = { ...FRENCH_DETAILS, country: 'US', line1: '1600 Pennsylvania Ave NW', city: 'Washington', region: 'DC', postalCode: '20500', phone: '+1 202 555 0125' };
    // The SSN was given on the Self-Service screen: straight on to the documents.
    await step(a, '/verify/details', us, '/verify/documents/primary');
    const nationalId = await a.post('/verify/documents/primary', { document: 'national_id_card' });
    expect(nationalId.status).toBe(400);
    expect(textOf(nationalId.text, 'document-error')).toBe('A national ID card is accepted only if you live outside the U.S.');
    await step(a, '/verify/documents/primary', { document: 'us_drivers_license' }, '/verify/documents/primary/check');
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/review');
    expect((await a.row()).status).toBe('documents_chosen');
    expect((await a.browser.get('/verify/documents/second')).headers.location).toBe('/verify/documents/review');
  });

  it.each([
    ['choose_method', [], 'no_us_residence'],
    ['us_phone', [['/verify/how', { method: 'self_service' }]], 'no_us_phone'],
    ['us_address', [['/verify/how', { method: 'self_service' }], ['/verify/self-service/phone', { phone: '2025550125' }]], 'no_us_address'],
    [
      'us_ssn',
      [['/verify/how', { method: 'self_service' }], ['/verify/self-service/phone', { phone: '2025550125' }], ['/verify/self-service/address', { line1: '1 Main St', city: 'Boston', region: 'MA', postalCode: '02108' }]],
      'no_ssn',
    ],
  ] as [string, [string, Record<string, string>][], string][])('the link on %s moves the case to the international track, recording why', async (from, before, reason) => {
    const a = await newApplicant(t, 'escape');
    await a.browser.get('/verify');
    for (const [path, fields] of before) expect((await a.post(path, fields)).status).toBe(303);
    await step(a, '/verify/international', { from }, '/verify/video-call');
    const row = await a.row();
    expect([row.track, row.international_reason]).toEqual(['international', reason]);
    const { rows } = await t.db.sql.query(`select action as type, details as detail from audit_event where case_id = $1 and action = 'verification.moved_to_international'`, [row.id]);
    expect(rows).toEqual([{ type: 'verification.moved_to_international', detail: { reason } }]);
  });

  it('Video Call is the short call; a home outside the U.S. moves it to the extended one', async () => {
    const a = await newApplicant(t, 'video');
    await a.browser.get('/verify');
    await step(a, '/verify/how', { method: 'video_call' }, '/verify/video-call');
    expect((await a.row()).track).toBe('us_video');
    await step(a, '/verify/video-call', {}, '/verify/details');
    await step(a, '/verify/details', FRENCH_DETAILS, '/verify/ssn');
    const row = await a.row();
    expect([row.track, row.international_reason]).toEqual(['international', 'no_us_address']);
  });
});

describe('bad input: a field error, the input kept, nothing saved', () => {
  let a: Applicant;
  beforeAll(async () => {
    a = await newApplicant(t, 'bad');
    await a.browser.get('/verify');
    await step(a, '/verify/international', { from: 'choose_method' }, '/verify/video-call');
    await step(a, '/verify/video-call', {}, '/verify/details');
  });

  it.each([
    ['an impossible date', { 'dateOfBirth-month': '2', 'dateOfBirth-day': '30', 'dateOfBirth-year': '1990' }, 'dateOfBirth', 'Enter a real date of birth'],
    ['a future birth date', { 'dateOfBirth-year': String(new Date().getUTCFullYear() + 1) }, 'dateOfBirth', 'Your date of birth must be in the past'],
    ['a date with letters', { 'dateOfBirth-day': 'x1' }, 'dateOfBirth', 'Enter your date of birth as numbers, like 4 28 1986'],
    ['a missing year', { 'dateOfBirth-year': '' }, 'dateOfBirth', 'Your date of birth must include a year'],
    ['a P.O. box', { line1: 'Boîte postale 42' }, 'line1', 'Enter your home address. A P.O. box is not a home address'],
    ['an unknown country code', { country: 'XX' }, 'country', 'Select a country from the list'],
    ['a postal code of the wrong form', { postalCode: '7500' }, 'postalCode', 'Enter a postal code in the right format, like 75008'],
    ['a Japanese address without its prefecture', { country: 'JP', postalCode: '100-8994' }, 'region', 'Select your prefecture'],
    ['a state posted by hand for a U.S. address', { country: 'US', region: 'ZZ', postalCode: '20500' }, 'region', 'Select your state from the list'],
    ['a phone number without its country code', { phone: '555' }, 'phone', 'Enter a valid phone number with its country code, like +44 20 7946 0958'],
    ['digits in a name', { firstName: 'R2D2' }, 'firstName', 'Your first name can only have letters, spaces, hyphens, apostrophes and periods'],
    ['no answer about a name change', { nameChanged: '' }, 'nameChanged', 'Select yes if your legal name has changed'],
  ])('%s', async (_what, change, field, message) => {
    const fields = { ...FRENCH_DETAILS, ...change };
    const res = await a.post('/verify/details', fields);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<title>Error: /);
    expect(textOf(res.text, `${field}-error`)).toBe(message);
    expect(res.text).toContain(`href="#${field}"`);
    expect(res.text).toMatch(/id="lastName"[^>]*value="D&#39;Artagnan-Poulain"/);
    const row = await a.row();
    expect([row.first_name, row.date_of_birth, row.address, row.details_confirmed_at]).toEqual([null, null, null, null]);
  });

  it('lays out the address for the country (no state for France, a prefecture for Japan), with htmx or without', async () => {
    const fragment = (country: string) => a.browser.get(`/verify/details/address-fields?country=${country}&line1=kept`).set('HX-Request', 'true');
    const jp = await fragment('JP');
    expect(jp.text).toContain('Prefecture');
    expect(jp.text).toContain('<option value="Tokyo"');
    expect(jp.text).toMatch(/id="line1"[^>]*value="kept"/);
    expect(jp.text).not.toContain('<html');
    const fr = await fragment('FR');
    expect(fr.text).not.toContain('name="region"');
    expect(fr.text).toContain('Postal code');
    expect((await fragment('GB')).text).toContain('Postcode');
    expect((await a.browser.get('/verify/details/address-fields?country=JP')).headers.location).toBe('/verify/details');
    // Without JavaScript: the "show the fields" button re-renders the page for the country, saving nothing.
    const refreshed = await a.post('/verify/details', { ...FRENCH_DETAILS, country: 'JP', refresh: 'country' });
    expect(refreshed.status).toBe(200);
    expect(refreshed.text).toContain('Prefecture');
    expect(refreshed.text).toMatch(/id="firstName"[^>]*value="Amélie"/);
    expect((await a.row()).details_confirmed_at).toBeNull();
  });
});

describe('each step’s form with missing fields or the wrong types', () => {
  /** A script's post: JSON, whatever its shape, with the page's CSRF token. */
  async function sendJson(a: Applicant, path: string, body: unknown) {
    const page = await a.browser.get('/account');
    return a.browser.post(path).set('X-CSRF-Token', csrfOf(page.text)).send(body as object);
  }
  /** What the operator sees of the case, but its timestamp of the last read. */
  const caseOf = async (a: Applicant) => ({ ...(await a.row()), updated_at: null });

  /**
   * Posts the step's form with no fields, then the fields as lists and objects: each time the
   * step again (400) with `field`'s own message next to it, and the case as it was.
   */
  async function refusesOddInput(a: Applicant, path: string, odd: Record<string, unknown>, messages: Record<string, string>) {
    const before = await caseOf(a);
    for (const res of [await a.post(path), await sendJson(a, path, odd), await sendJson(a, path, Object.values(odd))]) {
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.text).toMatch(/<title>Error: /);
      for (const [field, message] of Object.entries(messages)) expect([path, field, textOf(res.text, `${field}-error`)]).toEqual([path, field, message]);
    }
    expect(await caseOf(a)).toEqual(before);
  }

  it('Self-Service: how to verify, the phone, the address and the SSN each say what is missing and save nothing', async () => {
    const a = await newApplicant(t, 'odd-self');
    await a.browser.get('/verify');
    await refusesOddInput(a, '/verify/how', { method: ['self_service', 'video_call'] }, { method: 'Select how you want to verify your identity' });
    await step(a, '/verify/how', { method: 'self_service' }, '/verify/self-service/phone');
    await refusesOddInput(a, '/verify/self-service/phone', { phone: ['2025550125'] }, { phone: 'Enter your mobile phone number' });
    await step(a, '/verify/self-service/phone', { phone: '2025550125' }, '/verify/self-service/address');
    await refusesOddInput(
      a,
      '/verify/self-service/address',
      { line1: ['1 Main St', '2 Main St'], city: { name: 'Boston' }, region: ['MA'], postalCode: { zip: '02108' } },
      { line1: 'Enter the first line of your address', city: 'Enter your city', region: 'Select your state', postalCode: 'Enter your ZIP code' },
    );
    await step(a, '/verify/self-service/address', { line1: '1 Main St', city: 'Boston', region: 'MA', postalCode: '02108' }, '/verify/self-service/ssn');
    await refusesOddInput(a, '/verify/self-service/ssn', { number: ['123-45-6789'], confirmNumber: { n: '123-45-6789' }, fcraConsent: ['yes'] }, {
      number: 'Enter your Social Security number',
    });
    const unconfirmed = await sendJson(a, '/verify/self-service/ssn', { number: '321-54-9876', confirmNumber: ['321-54-9876'], fcraConsent: { yes: true } });
    expect(unconfirmed.status).toBe(400);
    expect(textOf(unconfirmed.text, 'confirmNumber-error')).toBe('Enter your Social Security number again to confirm it');
    expect(unconfirmed.text).not.toContain('9876'); // the number typed is not written back
    expect((await a.row()).identifier).toBeNull();
  });

  it('the details: every required field says what it needs, in the order of the page', async () => {
    const a = await newApplicant(t, 'odd-details');
    await a.browser.get('/verify');
    await step(a, '/verify/international', { from: 'choose_method' }, '/verify/video-call');
    await step(a, '/verify/video-call', {}, '/verify/details');
    const odd = { firstName: ['Amélie', 'Zoé'], lastName: { family: 'Poulain' }, 'dateOfBirth-month': ['4'], 'dateOfBirth-day': { d: 28 }, 'dateOfBirth-year': [1986], email: ['a@example.fr'], phone: { n: '+33 1 42 68 53 00' }, country: ['FR'], line1: { l: 'x' }, city: ['Paris'], nameChanged: ['no'] };
    const messages = {
      firstName: 'Enter your first name',
      lastName: 'Enter your last name',
      dateOfBirth: 'Enter your date of birth',
      email: 'Enter your email address',
      phone: 'Enter your phone number',
      country: 'Select your country',
      line1: 'Enter the first line of your address',
      city: 'Enter your city',
      nameChanged: 'Select yes if your legal name has changed',
    };
    await refusesOddInput(a, '/verify/details', odd, messages);
    const res = await sendJson(a, '/verify/details', odd);
    const summary = /data-error-summary>([\s\S]*?)<\/ul>/.exec(res.text)![1];
    expect([...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1])).toEqual(Object.keys(messages));
    // What was text is kept; the lists and objects are not shown as text.
    const kept = await sendJson(a, '/verify/details', { ...FRENCH_DETAILS, firstName: ['x'], line1: { a: 1 } });
    expect(textOf(kept.text, 'firstName-error')).toBe('Enter your first name');
    expect(kept.text).toMatch(/id="lastName"[^>]*value="D&#39;Artagnan-Poulain"/);
    expect(kept.text).not.toMatch(/\[object Object\]|undefined/);
    expect((await a.row()).details_confirmed_at).toBeNull();
  });

  it('the SSN and the ITIN, then each document’s choice, questions and supporting documents', async () => {
    const a = await newApplicant(t, 'odd-docs');
    await toIdentifierStep(a);
    await refusesOddInput(a, '/verify/ssn', { number: ['321-54-9876'], confirmNumber: ['321-54-9876'], fcraConsent: ['yes'] }, {
      number: 'Enter your Social Security number',
    });
    const noConsent = await sendJson(a, '/verify/ssn', { number: '321-54-9876', confirmNumber: '321-54-9876', fcraConsent: ['yes'] });
    expect(textOf(noConsent.text, 'fcraConsent-error')).toBe('Select the box to accept the use of your Social Security number under the Fair Credit Reporting Act');
    expect(noConsent.text).not.toMatch(/9876/);
    await refusesOddInput(a, '/verify/itin', { number: { n: '912-78-6543' }, confirmNumber: ['912-78-6543'] }, { number: 'Enter your ITIN' });
    await step(a, '/verify/itin', { number: '912-78-6543', confirmNumber: '912-78-6543' }, '/verify/documents/primary');

    await refusesOddInput(a, '/verify/documents/primary', { document: ['foreign_passport'] }, { document: 'Select one primary document from the list' });
    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    const answers = { original: 'Select yes or no', nameMatches: 'Select yes or no', unexpired: 'Select yes or no' };
    await refusesOddInput(a, '/verify/documents/primary/check', { original: ['yes'], nameMatches: { yes: true }, unexpired: [true] }, answers);
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
    await refusesOddInput(a, '/verify/documents/second', { document: { key: 'national_id_card' } }, { document: 'Select one document from the list' });
    await step(a, '/verify/documents/second', { document: 'national_id_card' }, '/verify/documents/second/check');
    await refusesOddInput(a, '/verify/documents/second/check', { original: ['yes', 'no'], nameMatches: ['yes'], unexpired: { a: 'yes' } }, answers);
    await step(a, '/verify/documents/second/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/supporting');
    await refusesOddInput(a, '/verify/documents/supporting', { confirm: ['yes'] }, { confirm: 'Select the box to confirm you will send this document' });
    await step(a, '/verify/documents/supporting', { confirm: 'yes' }, '/verify/documents/review');
  });

  it('Save & Exit keeps only what was text, and the resume link’s code must be one', async () => {
    const a = await newApplicant(t, 'odd-exit');
    await toIdentifierStep(a);
    await a.browser.get('/verify/details');
    const saved = await sendJson(a, '/verify/save-and-exit', { ...FRENCH_DETAILS, firstName: 'Zoé', line1: ['7 quai Voltaire'], city: { c: 'Paris' }, draftStep: 'details' });
    expect(saved.headers.location).toBe('/verify/saved');
    await signIn(t, a.person, a.browser);
    const back = await a.browser.get('/verify/details');
    expect(back.text).toMatch(/id="firstName"[^>]*value="Zoé"/);
    expect(textOf(back.text, 'line1-error')).toBe('Enter the first line of your address');
    expect(textOf(back.text, 'city-error')).toBe('Enter your city');
    expect(back.text).not.toContain('Voltaire');
    expect((await a.browser.get('/verify/resume?code[]=x')).status).toBe(404);
    expect((await sendJson(a, '/verify/resume', { code: ['x'] })).status).toBe(404);
  });
});

describe('SSN and ITIN', () => {
  it('refuses a mismatched confirmation and an invalid number, keeping nothing', async () => {
    const a = await newApplicant(t, 'ssn');
    await toIdentifierStep(a);
    const cases: [Record<string, string>, string, string][] = [
      [{ number: '321-54-9876', confirmNumber: '321-54-9870', fcraConsent: 'yes' }, 'confirmNumber', 'The Social Security numbers you entered do not match. Enter the same number twice'],
      [{ number: '666-54-9876', confirmNumber: '666-54-9876', fcraConsent: 'yes' }, 'number', 'A Social Security number cannot start with 000 or 666'],
      [{ number: '321-54-9876', confirmNumber: '321-54-9876' }, 'fcraConsent', 'Select the box to accept the use of your Social Security number under the Fair Credit Reporting Act'],
      [{ number: '98765', confirmNumber: '98765', fcraConsent: 'yes' }, 'number', 'Enter a Social Security number of 9 digits, like 123-45-6789'],
    ];
    for (const [fields, field, message] of cases) {
      const res = await a.post('/verify/ssn', fields);
      expect(res.status).toBe(400);
      expect(textOf(res.text, `${field}-error`)).toBe(message);
      expect(res.text).not.toMatch(/9876|98765/); // a typed number is never written back into the page
    }
    const itin = await a.post('/verify/itin', { number: '912-69-1234', confirmNumber: '912-69-1234' });
    expect(textOf(itin.text, 'number-error')).toMatch(/^The 4th and 5th digits of an ITIN are 50 to 65, 70 to 88, 90 to 92 or 94 to 99/);
    const row = await a.row();
    expect([row.identifier_kind, row.identifier, row.identifier_fingerprint]).toEqual([null, null, null]);
  });

  it('stores the number encrypted, shows only its last four digits, and needs proof of an ITIN', async () => {
    const a = await newApplicant(t, 'itin');
    await toIdentifierStep(a);
    await step(a, '/verify/itin', { number: '912 70 4321', confirmNumber: '912-70-4321' }, '/verify/documents/primary');
    const row = await a.row();
    expect(row.identifier_kind).toBe('itin');
    expect(row.identifier).toMatch(/^pii1\.test1\./);
    expect(row.identifier).not.toContain('912704321');
    expect(row.identifier_last4).toBe('4321');
    expect(row.date_of_birth).toMatch(/^pii1\./);
    expect(row.address).toMatch(/^pii1\./);
    expect(row.address).not.toContain('Rivoli');
    const dump = JSON.stringify(await t.db.sql.query('select * from verification_case, audit_event where audit_event.case_id = verification_case.id').then((r) => r.rows));
    expect(dump).not.toContain('912704321');
    expect(dump).not.toContain('1986-04-28');
    const page = await a.browser.get('/verify/itin');
    expect(page.text).toContain('ending in <strong>4321</strong>');
    expect(page.text).not.toContain('912');

    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
    await step(a, '/verify/documents/second', { document: 'national_id_card' }, '/verify/documents/second/check');
    await step(a, '/verify/documents/second/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/supporting');
    expect((await a.browser.get('/verify/documents/supporting')).text).toContain('Proof of Individual Taxpayer Identification Number (ITIN)');
  });

  it('flags both cases for the agent when two accounts give the same number, telling neither', async () => {
    const first = await newApplicant(t, 'same');
    const second = await newApplicant(t, 'same');
    for (const a of [first, second]) {
      await toIdentifierStep(a);
      await step(a, '/verify/ssn', { number: '234-56-7890', confirmNumber: '234-56-7890', fcraConsent: 'yes' }, '/verify/documents/primary');
    }
    const [r1, r2] = [await first.row(), await second.row()];
    expect(r1.identifier_fingerprint).toBe(r2.identifier_fingerprint);
    expect(r1.identifier).not.toBe(r2.identifier); // a fresh data key and IV each time
    expect(r1.duplicate_identifier_at).not.toBeNull();
    expect(r2.duplicate_identifier_at).not.toBeNull();
    const { rows } = await t.db.sql.query(`select count(*)::int as n from audit_event where action = 'verification.same_number_flagged'`);
    expect(rows[0].n).toBe(2);
  });

  it('pauses after 10 SSN attempts in an hour', async () => {
    const a = await newApplicant(t, 'limit');
    await toIdentifierStep(a);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await a.post('/verify/ssn', { number: '000-00-0000', confirmNumber: '000-00-0000', fcraConsent: 'yes' })).status);
    expect(statuses.slice(0, 10).every((s) => s === 400)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});

describe('choosing documents', () => {
  let a: Applicant;
  beforeEach(async () => {
    a = await newApplicant(t, 'docs');
    await toIdentifierStep(a);
    await step(a, '/verify/ssn', { number: '345-67-8901', confirmNumber: '345-67-8901', fcraConsent: 'yes' }, '/verify/documents/primary');
  });

  it('refuses an unknown document type posted by hand, and a secondary document as the primary', async () => {
    for (const document of ['passport_of_atlantis', 'utility_bill', 'proof_of_itin', '']) {
      const res = await a.post('/verify/documents/primary', { document });
      expect(res.status).toBe(400);
      expect(textOf(res.text, 'document-error')).toBe('Select one primary document from the list');
    }
    expect((await a.row()).documents).toEqual([]);
  });

  it('explains an expired document or a copy instead of going on', async () => {
    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    const expired = await a.post('/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'no' });
    expect(expired.status).toBe(200);
    expect(expired.text).toContain('Expired documents are not accepted. Choose another document.');
    expect(expired.text).toContain('Choose another document');
    const copy = await a.post('/verify/documents/primary/check', { original: 'no', nameMatches: 'yes', unexpired: 'yes' });
    expect(copy.text).toContain('You must physically show the original on the video call');
    const unanswered = await a.post('/verify/documents/primary/check', { original: 'yes' });
    expect(unanswered.status).toBe(400);
    expect(textOf(unanswered.text, 'nameMatches-error')).toBe('Select yes or no');
    expect((await a.row()).documents).toEqual([{ slot: 'first', type: 'foreign_passport' }]);
  });

  it('goes on with a name that differs only with legal name change documentation', async () => {
    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    const differs = await a.post('/verify/documents/primary/check', { original: 'yes', nameMatches: 'no', unexpired: 'yes' });
    expect(differs.status).toBe(200);
    expect(differs.text).toContain('legal name change documentation');
    expect(differs.text).toContain('name="nameChangeDocumentation"');
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'no', unexpired: 'yes', nameChangeDocumentation: 'yes' }, '/verify/documents/second');
    await step(a, '/verify/documents/second', { document: 'bank_statement' }, '/verify/documents/second/check');
    await step(a, '/verify/documents/second/check', { nameMatches: 'yes', recent: 'yes' }, '/verify/documents/supporting');
    expect((await a.browser.get('/verify/documents/supporting')).text).toContain('Legal name change documentation');
  });

  it('does not count the same document twice', async () => {
    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
    const again = await a.post('/verify/documents/second', { document: 'foreign_passport' });
    expect(again.status).toBe(400);
    expect(textOf(again.text, 'document-error')).toBe('Select one document from the list');
    await step(a, '/verify/documents/second', { document: 'us_passport_card' }, '/verify/documents/second/check');
    await step(a, '/verify/documents/second/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/review');
  });
});

describe('in the reader’s language', () => {
  /** A new applicant who chose `language` with the switcher (kept on their account). */
  async function applicantIn(language: string) {
    const a = await newApplicant(t, `lang-${language}`);
    const chosen = await a.post('/language', { language, returnTo: '/verify' });
    expect(chosen.status).toBe(303);
    return a;
  }
  /** Text that did not come through the catalogs: an object printed raw, or a key of any catalog. */
  const LEAKED_TEXT = new RegExp(
    `\\[object Object\\]|\\b(${readdirSync(join(PROJECT_ROOT, 'content/messages/en')).map((f) => f.replace(/\\.json$/, '')).join('|')})\\.[a-zA-Z_]+\\.[a-zA-Z_]`,
  );
  /** A page of the applicant's, checked for text that did not come through the catalogs (a key, or an object printed raw). */
  async function pageOf(a: Applicant, path: string) {
    const res = await a.browser.get(path);
    expect(res.status).toBe(200);
    expect(res.text).not.toMatch(LEAKED_TEXT);
    return res;
  }
  /** The text of the error summary's link to a field. */
  const summaryFor = (html: string, field: string) => new RegExp(`href="#${field}">([^<]*)<`).exec(html)?.[1];

  it('walks the intake in Spanish: steps, months, countries and document names translated', async () => {
    const a = await applicantIn('es');
    const how = await pageOf(a, '/verify/how');
    expect(how.text).toContain('<html lang="es" dir="ltr">');
    expect(how.text).toContain('<h1>Elija cómo verificar su identidad</h1>');
    expect(how.text).toContain('No vivo en Estados Unidos');
    await step(a, '/verify/international', { from: 'choose_method' }, '/verify/video-call');
    const overview = await pageOf(a, '/verify/video-call');
    for (const stage of ['Confirmar datos', 'Enviar documentos', 'Espera de la revisión de documentos', 'Unirse a la videollamada', 'Comenzar']) {
      expect(overview.text).toContain(stage);
    }
    await step(a, '/verify/video-call', {}, '/verify/details');
    const details = await pageOf(a, '/verify/details');
    expect(details.text).toContain('<option value="4">04 - abril</option>');
    expect(details.text).toMatch(/<option value="DE">Alemania<\/option>/);
    expect(details.text).toMatch(/<option value="FR">Francia<\/option>/);
    // Sorted as Spanish sorts: Alemania before Francia before Japón.
    expect(details.text.indexOf('value="DE"')).toBeLessThan(details.text.indexOf('value="FR"'));
    expect(details.text.indexOf('value="FR"')).toBeLessThan(details.text.indexOf('value="JP"'));
    await step(a, '/verify/details', FRENCH_DETAILS, '/verify/ssn');
    await step(a, '/verify/no-ssn-or-itin', {}, '/verify/documents/primary');

    const primary = await pageOf(a, '/verify/documents/primary');
    expect(primary.text).toContain('<h1>Seleccione el documento principal</h1>');
    for (const name of ['Pasaporte extranjero (no estadounidense)', 'Licencia de conducir de EE. UU.', 'Documento nacional de identidad', 'Solo si reside fuera de EE. UU.']) {
      expect(primary.text).toContain(name);
    }
    expect(primary.text).not.toContain('Foreign (non-U.S.) passport');
    expect(primary.text).toContain('uno al lado del otro'); // the translation tip
    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    const check = await pageOf(a, '/verify/documents/primary/check');
    expect(check.text).toContain('Su pasaporte debe mostrar');
    expect(check.text).toContain('¿Tendrá consigo el original de su pasaporte durante la videollamada?');
    expect(check.text).toContain('las dos líneas de letras, números y &lt;&lt;&lt;');
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
    const second = await pageOf(a, '/verify/documents/second');
    expect(second.text).toContain('Factura de servicios públicos');
    expect(second.text).toContain('Eligió su <strong>Pasaporte extranjero (no estadounidense)</strong>');
    await step(a, '/verify/documents/second', { document: 'national_id_card' }, '/verify/documents/second/check');
    const expired = await a.post('/verify/documents/second/check', { original: 'yes', nameMatches: 'yes', unexpired: 'no' });
    expect(expired.status).toBe(200);
    expect(expired.text).toContain('No se aceptan documentos vencidos. Elija otro documento.');
    expect(expired.text).toContain('Elegir otro documento');
  });

  it('lays the intake out right to left in Arabic, with Arabic document and country names', async () => {
    const a = await applicantIn('ar');
    await a.browser.get('/verify');
    await step(a, '/verify/international', { from: 'choose_method' }, '/verify/video-call');
    await step(a, '/verify/video-call', {}, '/verify/details');
    const details = await pageOf(a, '/verify/details');
    expect(details.text).toContain('<html lang="ar" dir="rtl">');
    expect(details.text).toContain('<h1>تأكيد معلوماتك الشخصية</h1>');
    expect(details.text).toMatch(/<option value="FR">فرنسا<\/option>/);
    expect(details.text).toContain('أبريل');
    await step(a, '/verify/details', FRENCH_DETAILS, '/verify/ssn');
    const noNumber = await pageOf(a, '/verify/no-ssn-or-itin');
    expect(noNumber.text).toContain('12 rue de Rivoli');
    expect(noNumber.text).toContain('فرنسا'); // the country line of the address
    await step(a, '/verify/no-ssn-or-itin', {}, '/verify/documents/primary');
    const primary = await pageOf(a, '/verify/documents/primary');
    for (const name of ['جواز سفر أجنبي (غير أمريكي)', 'رخصة القيادة الأمريكية', 'بطاقة الهوية الوطنية']) expect(primary.text).toContain(name);
    expect(primary.text).not.toContain('Foreign (non-U.S.) passport');
    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    const check = await pageOf(a, '/verify/documents/primary/check');
    expect(check.text).toContain('<h1>جواز سفر أجنبي (غير أمريكي)</h1>');
    expect(check.text).toContain('هل سيكون أصل جواز السفر معك أثناء مكالمة الفيديو؟');
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
    await step(a, '/verify/documents/second', { document: 'utility_bill' }, '/verify/documents/second/check');
    const bill = await pageOf(a, '/verify/documents/second/check');
    expect(bill.text).toContain('هل صدر مستندك (فاتورة الخدمات) خلال آخر 90 يومًا، وهل يظهر فيه عنوانك الحالي؟');
    // The utility bill is also the proof of the non-U.S. address: straight to the review of the choices.
    await step(a, '/verify/documents/second/check', { nameMatches: 'yes', recent: 'yes' }, '/verify/documents/review');
    const review = await pageOf(a, '/verify/documents/review');
    expect(review.text).not.toContain('إثبات عنوان خارج الولايات المتحدة');
    expect(review.text).toContain('لا يوجد: سيتم التحقق باستخدام جواز سفرك غير الأمريكي');
    expect(review.text).toContain('فاتورة خدمات (كهرباء أو ماء أو غاز)');
  });

  it('shows a validation error in French next to its field and in the error summary', async () => {
    const a = await applicantIn('fr');
    await a.browser.get('/verify');
    await step(a, '/verify/international', { from: 'choose_method' }, '/verify/video-call');
    await step(a, '/verify/video-call', {}, '/verify/details');
    const future = await a.post('/verify/details', { ...FRENCH_DETAILS, 'dateOfBirth-year': String(new Date().getUTCFullYear() + 1), country: 'GB', postalCode: '' });
    expect(future.status).toBe(400);
    expect(future.text).toMatch(/<title>Erreur\s?: /);
    expect(textOf(future.text, 'dateOfBirth-error')).toBe('Votre date de naissance doit être dans le passé');
    expect(summaryFor(future.text, 'dateOfBirth')).toBe('Votre date de naissance doit être dans le passé');
    // An error naming an address line, the line named in French.
    expect(textOf(future.text, 'postalCode-error')).toBe('Saisissez votre code postal');
    expect(summaryFor(future.text, 'postalCode')).toBe('Saisissez votre code postal');
    // The date as French writes it: day, month, year.
    const [day, month, year] = ['dateOfBirth-day', 'dateOfBirth"', 'dateOfBirth-year'].map((id) => future.text.indexOf(`id="${id.replace('"', '')}"`));
    expect(day).toBeLessThan(month);
    expect(month).toBeLessThan(year);

    await step(a, '/verify/details', FRENCH_DETAILS, '/verify/ssn');
    const ssn = await a.post('/verify/ssn', { number: '666-12-3456', confirmNumber: '666-12-3456', fcraConsent: 'yes' });
    expect(ssn.status).toBe(400);
    expect(textOf(ssn.text, 'number-error')).toBe('Un numéro de sécurité sociale américain (SSN) ne peut pas commencer par 000 ni par 666');
    expect(summaryFor(ssn.text, 'number')).toBe('Un numéro de sécurité sociale américain (SSN) ne peut pas commencer par 000 ni par 666');
    expect(ssn.text).not.toContain('666-12');
  });

  it('sends the Save & Exit email in the account’s language', async () => {
    const a = await applicantIn('es');
    await toIdentifierStep(a);
    await a.post('/verify/save-and-exit');
    const mail = await lastEmailTo(t.db.sql, a.person.email);
    expect(mail?.subject).toBe('Continúe verificando su identidad con Referee');
    expect(mail?.body).toContain('Se guardó su progreso. Cuando lo desee, continúe donde lo dejó:');
    expect(mail?.body).toContain('«Continuar verificando su identidad»');
    expect(mail?.body).not.toContain('Your progress is saved');
    expect(mail?.link).toMatch(/\/verify\/resume\?code=[A-Za-z0-9_-]{43}$/);

    // Another browser, whatever its own language: the account's choice decides.
    const arabic = await applicantIn('ar');
    await toIdentifierStep(arabic);
    await arabic.browser.post('/verify/save-and-exit').set('Accept-Language', 'en').type('form')
      .send({ _csrf: csrfOf((await arabic.browser.get('/account')).text) });
    const arabicMail = await lastEmailTo(t.db.sql, arabic.person.email);
    expect(arabicMail?.subject).toBe('متابعة التحقق من هويتك مع Referee');
    expect(arabicMail?.link).toMatch(/\/verify\/resume\?code=/);
  });
});

describe('the case', () => {
  it('is one per account, even when the first two visits come at once', async () => {
    const a = await newApplicant(t, 'race');
    const pages = await Promise.all([a.browser.get('/verify'), a.browser.get('/verify'), a.browser.get('/verify/how')]);
    expect(pages.map((p) => p.status)).toEqual([303, 303, 200]);
    const row = await a.row();
    const { rows } = await t.db.sql.query(`select action as type from audit_event where case_id = $1 and action like 'verification.%'`, [row.id]);
    expect(rows).toEqual([{ type: 'verification.started' }]);
  });
});

describe('development PII keys', () => {
  it('are generated under DATA_DIR when none are set, with a warning in the log', async () => {
    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'referee-pii-dev-'));
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/src/main.js')], {
      env: { PATH: process.env.PATH!, DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', SESSION_SECRET: randomBytes(32).toString('base64url') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const started = Date.now();
      while (!out.includes('Referee is running') && child.exitCode === null && Date.now() - started < 20000) await new Promise((r) => setTimeout(r, 100));
      const warning = out.split('\n').map((line) => { try { return JSON.parse(line); } catch { return undefined; } }).find((entry) => entry?.msg?.includes('PII_KEYS'));
      expect(warning).toMatchObject({ level: 40, variables: ['PII_KEYS', 'PII_FINGERPRINT_KEY'] });
      expect(warning.msg).toContain('development keys kept under DATA_DIR/secrets');
      expect(existsSync(join(dataDir, 'secrets', 'pii_keys.key'))).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
