import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import * as client from 'openid-client';
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from './harness/app';
import { codeFor, confirmIdentity, createAccount, grantRoles, signIn, type TestPerson } from './harness/accounts';
import { csrfOf, textOf } from './harness/forms';
import { lastEmailTo } from './harness/outbox';
import { newReferee } from './harness/calls';
import { newApplicant, throughIntake, type Applicant } from './harness/verification';
import { submitDocuments, uploadAll } from './harness/documents';
import { authorizationRequest, createOrganization, follow, organizationClient, press, uidOf } from './oidc/flow';
import { AppointmentsService } from '../src/scheduling/appointments.service';
import { DataExportService } from '../src/privacy/data-export.service';

let t: TestApp;
let base: string;
let n = 0;
const newEmail = () => `privacy${++n}.${Date.now()}@example.org`;
type Browser = ReturnType<TestApp['browser']>;

/** Firefox on an Android phone, from an address in the United Kingdom (behind one proxy). */
const FIREFOX_ANDROID = 'Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0';
const UK_ADDRESS = '81.2.69.160';

beforeAll(async () => {
  t = await startTestApp({ TRUST_PROXY: '1' }, { publicPort: true }); // organizations fetch tokens over real HTTP
  base = await t.listen();
});
afterAll(() => t?.close());

const inContext = <T>(work: () => Promise<T>) => RequestContext.create(t.app.get(MikroORM).em, work);
const exportsService = () => t.app.get(DataExportService);

async function auditActions(email: string): Promise<string[]> {
  const { rows } = await t.db.sql.query(`select e.action from audit_event e join account a on a.id = e.actor_id where a.email = $1 order by e.id`, [email]);
  return rows.map((r) => r.action);
}

/** Confirms who the person is on this browser, coming back to `next`. */
async function confirmWith(browser: Browser, person: TestPerson, next: string) {
  expect((await confirmIdentity(browser, person, next)).headers.location).toBe(next);
}

/** Asks for the data (confirmed already) and waits for the build this instance started. */
async function requestExport(browser: Browser): Promise<string> {
  const page = await browser.get('/account/privacy/download');
  const asked = await browser.post('/account/privacy/download').type('form').send({ _csrf: csrfOf(page.text) });
  expect(asked.headers.location).toBe('/account/privacy/download');
  await exportsService().settled();
  const ready = await browser.get('/account/privacy/download');
  return /href="\/account\/privacy\/download\/([0-9a-f-]{36})\/file"/.exec(ready.text)![1];
}

const binary = (res: any, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

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

    // Confirmed: a page behind the check opens (an unknown export: 404); five minutes later it asks again.
    const someExport = '/account/privacy/download/00000000-0000-4000-8000-000000000000/file';
    expect((await browser.get(someExport)).status).toBe(404);
    await t.db.sql.query(`update session set confirmed_at = now() - interval '301 seconds' where account_id = (select id from account where email = $1)`, [person.email]);
    expect((await browser.get(someExport)).headers.location).toBe(`/account/confirm?next=${encodeURIComponent(someExport)}`);

    const actions = await auditActions(person.email);
    expect(actions.filter((a) => a === 'account.confirm_refused')).toHaveLength(2); // the password, then the code
    expect(actions.filter((a) => a === 'account.confirmed')).toHaveLength(1);
    expect(actions.filter((a) => a === 'sign_in.completed')).toHaveLength(1); // the first sign-in only: a confirmation is not a sign-in
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

describe('the Privacy Rights Center', () => {
  let a: Applicant;
  let phone: Browser;
  let reviewerEmail: string;
  let reviewerId: string;
  let storedSha: string;

  /**
   * A person with data of every kind: details, documents sent and reviewed (a reviewer opened
   * their details and an image), an appointment, a support request, an organization that
   * received their email, and a sign-in from Firefox on Android in the United Kingdom.
   */
  beforeAll(async () => {
    const agent = await newReferee(t, 'privacy-agent', false);
    const appointments = t.app.get(AppointmentsService);
    for (let weekday = 0; weekday < 7; weekday++) {
      await inContext(() => appointments.addShift(agent.accountId, { weekday, startMinute: 0, endMinute: 24 * 60, timeZone: 'UTC' }));
    }
    a = await newApplicant(t, 'everything');
    await throughIntake(a);
    await uploadAll(a);
    expect((await submitDocuments(a)).headers.location).toBe('/documents/review');

    const reviewer = await createAccount(t, `reviewer.${Date.now()}@referee.example`);
    reviewerEmail = reviewer.email;
    await grantRoles(t, reviewer.email, ['reviewer']);
    const rb = await signIn(t, reviewer);
    reviewerId = (await t.db.sql.query('select id from account where email = $1', [reviewer.email])).rows[0].id;
    const queue = await rb.get('/agent/review');
    const next = await rb.post('/agent/review/next').type('form').send({ _csrf: csrfOf(queue.text) });
    const review = await rb.get(next.headers.location);
    const fileId = /\/file\/([0-9a-f-]{36})/.exec(review.text)![1];
    expect((await rb.get(`${next.headers.location}/file/${fileId}`)).status).toBe(200);
    storedSha = (await t.db.sql.query('select sha256 from document_file where id = $1', [fileId])).rows[0].sha256;
    const decided = await rb.post(next.headers.location).type('form').send({ _csrf: csrfOf(review.text), 'decision-0': 'accepted', 'decision-1': 'accepted' });
    expect(decided.headers.location).toBe('/agent/review?decided=approved');

    const schedule = await a.browser.get('/call/schedule?tz=America/Mexico_City');
    const slot = [...schedule.text.matchAll(/name="slot" value="([^"]+)"/g)].map((m) => m[1])[3];
    expect((await a.post('/call/schedule', { slot, timeZone: 'America/Mexico_City' })).status).toBe(303);

    expect((await a.post('/support', { category: 'verification', message: 'How long does the review take?' })).status).toBe(303);

    const { clientId, clientSecret } = await createOrganization(t, { name: 'Example Agency' });
    const config = await organizationClient(`${base}/oidc`, clientId, clientSecret);
    const started = await authorizationRequest(config);
    let page = await follow(a.browser, started.url.toString());
    if (!page.offsite) page = await press(a.browser, page, `/interaction/${uidOf(page.path)}/allow`);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.offsite!), { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce, idTokenExpected: true });
    await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);

    await signIn(t, a.person); // from this machine's own (loopback) address
    phone = t.browser().set('User-Agent', FIREFOX_ANDROID).set('X-Forwarded-For', UK_ADDRESS);
    await signIn(t, a.person, phone);
  }, 120_000);

  it('is linked from every page\'s footer and from the account page', async () => {
    const account = await phone.get('/account');
    expect(account.text.match(/href="\/account\/privacy"/g)).toHaveLength(2);
    expect((await t.browser().get('/help')).text).toContain('href="/account/privacy">Privacy Rights Center</a>');
    const center = await phone.get('/account/privacy');
    expect(center.text).toContain('<h1>Privacy Rights Center</h1>');
    expect(center.text).toContain('href="/account/privacy/delete"');
  });

  it('shows who saw the data: the reviewer by role only, the organization and the claims it received, the sign-in with browser and country', async () => {
    const page = await phone.get('/account/privacy/access');
    expect(page.status).toBe(200);
    const rows = [...page.text.matchAll(/<tr data-kind="([a-z-]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({ kind: m[1], text: m[2].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() }));
    const staff = rows.filter((r) => r.kind === 'staff');
    expect(staff.map((r) => r.text)).toEqual(expect.arrayContaining([expect.stringContaining('Reviewer Opened your personal details'), expect.stringContaining('Reviewer Opened one of your document images')]));
    expect(page.text).not.toContain(reviewerEmail);
    expect(page.text).not.toContain(reviewerId);
    expect(rows.find((r) => r.kind === 'sharing')?.text).toContain('Example Agency (organization) Received: Your email address');
    expect(rows.find((r) => r.kind === 'sign-in')?.text).toContain('Signed in with Firefox on Android. Country of the network address: United Kingdom.');
    // The sign-in from the test's own address: a loopback address has no country.
    expect(rows.filter((r) => r.kind === 'sign-in').some((r) => r.text.includes('Country of the network address: unknown.'))).toBe(true);
    // Every sign-in, the first one too (when the person set up their first second factor).
    expect(rows.filter((r) => r.kind === 'sign-in')).toHaveLength(3);
    // Newest first, in the zone the person booked their call in.
    expect(rows[0].kind).toBe('sign-in');
    expect(page.text).toContain('Times are shown in');
    expect(page.text).toMatch(/Mexico/);
    // The sign-in event keeps the browser family, never the raw header.
    const { rows: events } = await t.db.sql.query(`select details from audit_event where action = 'sign_in.completed' and details->>'browser' = 'Firefox'`);
    expect(events[0].details).toMatchObject({ browser: 'Firefox', os: 'Android' });
    expect(JSON.stringify(events)).not.toContain('Gecko');
  });

  it('without a fresh confirmation, asking for the data goes to confirm first and comes back', async () => {
    const page = await phone.get('/account/privacy/download');
    const asked = await phone.post('/account/privacy/download').type('form').send({ _csrf: csrfOf(page.text), returnTo: '/account/privacy/download' });
    expect(asked.headers.location).toBe('/account/confirm?next=%2Faccount%2Fprivacy%2Fdownload');
    // Only to a page of this site.
    const elsewhere = await phone.post('/account/privacy/download').type('form').send({ _csrf: csrfOf(page.text), returnTo: 'https://evil.example/' });
    expect(elsewhere.headers.location).toBe('/account/confirm?next=%2Faccount');
  });

  it('builds the ZIP in the background, emails when ready, and lets it be downloaded once', async () => {
    await confirmWith(phone, a.person, '/account/privacy/download');
    const id = await requestExport(phone);
    const mail = await lastEmailTo(t.db.sql, a.person.email);
    expect(mail!.subject).toBe('Your Referee data is ready to download');
    expect(mail!.body).toContain('/account/privacy/download');

    const progress = await phone.get('/account/privacy/download/progress').set('HX-Request', 'true');
    expect(progress.text).not.toContain('data-hx-trigger'); // ready: no more polling
    expect(progress.text).toContain(`/account/privacy/download/${id}/file`);

    const res = await phone.get(`/account/privacy/download/${id}/file`).buffer(true).parse(binary);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe('attachment; filename="referee-data.zip"');
    const zip = unzipSync(new Uint8Array(res.body as Buffer));
    const data = JSON.parse(strFromU8(zip['referee-data.json']));
    expect(data.account.email).toBe(a.person.email);
    expect(data.personalDetails).toMatchObject({ firstName: 'Amélie', lastName: "D'Artagnan-Poulain", dateOfBirth: '1986-04-28' });
    expect(data.personalDetails.address).toMatchObject({ city: 'Paris' });
    expect(data.signInMethods.map((m: { kind: string }) => m.kind)).toEqual(expect.arrayContaining(['password', 'totp']));
    expect(JSON.stringify(data.signInMethods)).not.toContain(a.person.totpSecret!);
    expect(data.case.history.length).toBeGreaterThan(3);
    expect(data.appointments).toHaveLength(1);
    expect(data.appointments[0].timeZone).toBe('America/Mexico_City');
    expect(data.supportRequests[0].messages[0].text).toBe('How long does the review take?');
    // Received twice: in the ID token and from userinfo.
    expect(data.organizations).toEqual([expect.objectContaining({ name: 'Example Agency', received: [expect.objectContaining({ claims: ['email'] }), expect.objectContaining({ claims: ['email'] })] })]);
    expect(data.accessHistory.some((e: { kind: string; role?: string }) => e.kind === 'staff' && e.role === 'reviewer')).toBe(true);
    expect(JSON.stringify(data)).not.toContain(reviewerId);
    const images = Object.keys(zip).filter((name) => name.startsWith('documents/'));
    expect(images).toHaveLength(2);
    expect(images.map((name) => createHash('sha256').update(zip[name]).digest('hex'))).toContain(storedSha);

    // A second click: a clear page saying it was used, offering a new copy.
    const again = await phone.get(`/account/privacy/download/${id}/file`);
    expect(again.status).toBe(410);
    expect(again.text).toContain('This download link was already used');
    expect(again.text).toContain('action="/account/privacy/download"');
    expect(await auditActions(a.person.email)).toEqual(expect.arrayContaining(['privacy.export_requested', 'privacy.export_ready', 'privacy.export_downloaded']));
    const { rows } = await t.db.sql.query('select storage_key from data_export where id = $1', [id]);
    expect(rows[0].storage_key).toBeNull(); // its file deleted once downloaded
  });

  it('refuses a link after 24 hours, and its file is gone', async () => {
    const id = await requestExport(phone); // still confirmed: within five minutes
    const { rows } = await t.db.sql.query('select storage_key from data_export where id = $1', [id]);
    const stored = join(t.config.documents.dir, rows[0].storage_key.slice(0, 2), rows[0].storage_key);
    expect(existsSync(stored)).toBe(true);
    expect(await exportsService().expire(new Date(Date.now() + 24 * 3_600_000 + 60_000))).toBe(1);
    expect(existsSync(stored)).toBe(false);
    const late = await phone.get(`/account/privacy/download/${id}/file`);
    expect(late.status).toBe(410);
    expect(late.text).toContain('This download link expired');
  });

  it('builds an export an instance left unfinished, once, on one instance', async () => {
    const accountId = (await t.db.sql.query('select id from account where email = $1', [a.person.email])).rows[0].id;
    // What a crashed instance leaves: a build whose heartbeat stopped three minutes ago.
    const { rows } = await t.db.sql.query(
      `insert into data_export (id, account_id, status, progress, requested_at, heartbeat_at) values (gen_random_uuid(), $1, 'building', 40, now(), now() - interval '3 minutes') returning id`,
      [accountId],
    );
    // Meanwhile the page shows the progress, and htmx asks again until it is done.
    const building = await phone.get('/account/privacy/download/progress').set('HX-Request', 'true');
    expect(building.text).toContain('data-hx-trigger="every 2s"');
    expect(building.text).toMatch(/<progress id="export-progress"[^>]*max="100" value="40">40% done.<\/progress>/);
    const [first, second] = await Promise.all([exportsService().resumeStale(), exportsService().resumeStale()]);
    expect(first + second).toBe(1);
    const row = (await t.db.sql.query('select status, progress, storage_key from data_export where id = $1', [rows[0].id])).rows[0];
    expect(row).toMatchObject({ status: 'ready', progress: 100 });
    expect(row.storage_key).toBeTruthy();
  });

  it("gives 404 for someone else's export, and sends the unconfirmed to confirm first", async () => {
    const { rows } = await t.db.sql.query(`select e.id from data_export e join account a on a.id = e.account_id where a.email = $1 and e.status = 'ready'`, [a.person.email]);
    const other = await createAccount(t, newEmail());
    const browser = await signIn(t, other);
    const unconfirmed = await browser.get(`/account/privacy/download/${rows[0].id}/file`);
    expect(unconfirmed.headers.location).toBe(`/account/confirm?next=${encodeURIComponent(`/account/privacy/download/${rows[0].id}/file`)}`);
    await confirmWith(browser, other, '/account/privacy');
    expect((await browser.get(`/account/privacy/download/${rows[0].id}/file`)).status).toBe(404);
    expect((await browser.get('/account/privacy/download/not-an-id/file')).status).toBe(404);
  });
});
