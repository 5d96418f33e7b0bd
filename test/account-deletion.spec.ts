/**
 * Deleting an account (issue 17, points 3, 4 and 7): a person with every kind of data asks for
 * the deletion, the job carries it out, and then no column of any table (listed from the
 * database's own catalog) and no stored file holds anything they entered or were given, but
 * the audit log's random ids. Organizations that registered for it hear of the deletion by an
 * OpenID Connect back-channel logout token; during the wait nothing is shared, and signing in
 * or the email's link cancels.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { loadConfig } from '../src/config/config';
import { AccountDeletionService } from '../src/privacy/account-deletion.service';
import { DataExportService } from '../src/privacy/data-export.service';
import { confirmIdentity, createAccount, grantRoles, passwordSignIn, signIn, type TestPerson } from './harness/accounts';
import { startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { approveSentDocuments, JITSI, newReferee } from './harness/calls';
import { storedFiles, submitDocuments, uploadAll } from './harness/documents';
import { csrfOf, textOf } from './harness/forms';
import { lastEmailTo, lastTextTo, messagesTo, pathOf } from './harness/outbox';
import { jaasEvent, jaasSignature, jaasWebhook, RECORDINGS, testVideo, uploadRecording } from './harness/recordings';
import { FRENCH_DETAILS, newApplicant, step, toIdentifierStep, type Applicant } from './harness/verification';
import { authorizationRequest, createOrganization, follow, organizationClient, press, uidOf } from './oidc/flow';

type Browser = ReturnType<TestApp['browser']>;
const BACKCHANNEL_LOGOUT = 'http://schemas.openid.net/event/backchannel-logout';

/** Asks for the deletion as the page does: confirmation, the page, "I understand", the button. */
async function requestDeletion(browser: Browser, person: TestPerson, timeZone = 'Europe/Paris') {
  const confirmed = await confirmIdentity(browser, person, '/account/privacy/delete');
  expect(confirmed.headers.location).toBe('/account/privacy/delete');
  const page = await browser.get('/account/privacy/delete');
  expect(page.status).toBe(200);
  return browser.post('/account/privacy/delete').type('form').send({ _csrf: csrfOf(page.text), understand: 'yes', timeZone });
}

async function accountIdOf(t: TestApp, email: string): Promise<string | undefined> {
  const { rows } = await t.db.sql.query('select id from account where email = $1', [email]);
  return rows[0]?.id;
}

/** A stand-in for an organization's back-channel logout endpoint: it keeps every logout token it is sent. */
async function logoutReceiver(): Promise<{ server: Server; url: string; tokens: string[] }> {
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (req.method === 'POST' && req.headers['content-type'] === 'application/x-www-form-urlencoded' && token) tokens.push(token);
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`, tokens };
}

/** An organization's code flow through consent; its tokens (and the access token's reading of userinfo). */
async function shareWith(config: client.Configuration, browser: Browser, scope = 'openid email profile') {
  const started = await authorizationRequest(config, { scope });
  let page = await follow(browser, started.url.toString());
  if (!page.offsite) page = await press(browser, page, `/interaction/${uidOf(page.path)}/allow`);
  expect(page.offsite).toBeDefined();
  return client.authorizationCodeGrant(config, new URL(page.offsite!), { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce, idTokenExpected: true });
}

describe('the deletion itself (ACCOUNT_DELETION_WAIT_HOURS=0)', () => {
  let t: TestApp;
  let issuer: string;
  let receiver: Awaited<ReturnType<typeof logoutReceiver>>;
  beforeAll(async () => {
    receiver = await logoutReceiver();
    // Recordings from Jibri and JaaS (the JaaS download host is a closed loopback port: the download stays pending).
    t = await startTestApp({ ...JITSI, ...RECORDINGS, JAAS_DOWNLOAD_HOST: '127.0.0.1:9', ACCOUNT_DELETION_WAIT_HOURS: '0' }, { publicPort: true });
    issuer = `${await t.listen()}/oidc`;
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  const post = async (b: Browser, from: string, path: string, fields: Record<string, string> = {}) =>
    b.post(path).type('form').send({ _csrf: csrfOf((await b.get(from)).text), ...fields });

  /** What this person typed or was given, as unusual as possible so that a hit means their data. */
  const DETAILS = {
    ...FRENCH_DETAILS,
    firstName: 'Zéphyrine',
    middleName: 'Octavie',
    lastName: 'Quillfeather-Brassac',
    'dateOfBirth-month': '7',
    'dateOfBirth-day': '19',
    'dateOfBirth-year': '1983',
    email: 'zephyrine.quillfeather@example.fr',
    phone: '+33 1 45 67 89 12',
    line1: '27 quai Voltaire',
    postalCode: '75007',
  };
  const SSN = '456-71-2389';
  const DOCUMENT_NUMBER = 'QX7731942';
  const SUPPORT_MESSAGE = 'Ma demande porte le mot xylophonique-azalée';
  const PHONE_FACTOR = { country: 'FR', number: '06 98 76 54 32', e164: '+33698765432' };

  it('removes every row and file about the person, tells the organization, and keeps only random ids in the audit log', async () => {
    // ---- A whole journey ----
    const a: Applicant = await newApplicant(t, 'to-be-deleted');
    await toIdentifierStep(a, DETAILS);
    await step(a, '/verify/ssn', { number: SSN, confirmNumber: SSN, fcraConsent: 'yes' }, '/verify/documents/primary');
    await step(a, '/verify/documents/primary', { document: 'foreign_passport' }, '/verify/documents/primary/check');
    await step(a, '/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' }, '/verify/documents/second');
    await step(a, '/verify/documents/second', { document: 'utility_bill' }, '/verify/documents/second/check');
    await step(a, '/verify/documents/second/check', { nameMatches: 'yes', recent: 'yes' }, '/verify/documents/review');
    await uploadAll(a);
    expect((await submitDocuments(a)).status).toBe(303);
    const caseRow = await a.row();
    await approveSentDocuments(t, caseRow.id);

    // A phone as second sign-in method.
    const setup = await post(a.browser, '/mfa/setup/phone', '/mfa/setup/phone', { channel: 'sms', label: 'Mon téléphone', country: PHONE_FACTOR.country, number: PHONE_FACTOR.number });
    expect(setup.headers.location).toBe('/mfa/setup/phone/confirm');
    const code = /(\d{6})/.exec((await lastTextTo(t.db.sql, PHONE_FACTOR.e164))!.body)![1];
    expect((await post(a.browser, '/mfa/setup/phone/confirm', '/mfa/setup/phone/confirm', { code })).text).toContain('Text message or voice call added');

    // A support request, and one sent signed out with the account's address to answer to.
    expect((await post(a.browser, '/support', '/support', { category: 'verification', message: SUPPORT_MESSAGE })).status).toBeLessThan(400);
    const stranger = t.browser();
    const form = await stranger.get('/support');
    const signedOut = await stranger.post('/support').type('form').send({ _csrf: csrfOf(form.text), category: 'account', message: `${SUPPORT_MESSAGE} (déconnectée)`, email: a.person.email });
    expect(signedOut.status).toBe(200);

    // An appointment with a Trusted Referee (booked, then given up for the queue), then a recorded call that verifies.
    const referee = await newReferee(t, 'deletion-referee');
    const b = referee.browser!;
    for (const weekday of ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']) {
      await post(b, '/agent/calls/schedule', '/agent/calls/shifts', { weekday, start: '00:00', end: '24:00', timeZone: 'UTC' });
    }
    const schedule = await a.browser.get('/call/schedule?tz=Europe/Paris');
    const slot = /name="slot" value="([^"]+)"/.exec(schedule.text)![1];
    expect((await a.post('/call/schedule', { slot, timeZone: 'Europe/Paris' })).headers.location).toBe('/call?booked=1');
    expect((await a.post('/call/appointment/cancel')).status).toBe(303);
    await a.post('/call');
    const consolePath = String((await post(b, '/agent/calls', '/agent/calls/next')).headers.location);
    const callId = consolePath.split('/').pop()!;
    expect((await a.post('/call/join', { recordingConsent: 'yes' })).status).toBeLessThan(400);
    await post(b, consolePath, '/call/events', { callId, event: 'recording_on' });
    await post(b, consolePath, `${consolePath}/code`);
    const callCode = /(\d{6})/.exec((await lastEmailTo(t.db.sql, DETAILS.email))!.body)![1];
    const checks = Object.fromEntries(['name', 'dateOfBirth', 'address', 'identifier', 'originals', 'face', 'tilted', 'inView'].map((k) => [`check-${k}`, 'yes']));
    const outcome = await post(b, consolePath, `${consolePath}/outcome`, { outcome: 'verified', ...checks, code: callCode, 'doc-first-country': 'FR', 'doc-first-number': DOCUMENT_NUMBER, 'doc-first-expiry': '2031-05-01' });
    expect(outcome.headers.location).toBe('/agent/calls?done=1');

    // Its recording, sent by Jibri's finalize script; and a second one JaaS announced, its download still pending.
    const { room } = (await t.db.sql.query('select room from video_call where id = $1', [callId])).rows[0];
    expect((await uploadRecording(t, room, await testVideo(2))).status).toBe(201);
    const announced = jaasEvent(room, 'deletion-jaas-event', 'http://127.0.0.1:9/recording.mp4?token=pre-authenticated');
    expect((await jaasWebhook(t, announced, jaasSignature(announced))).body).toEqual({ queued: true });

    // Sharing with an organization that registered a back-channel logout URI, and its tokens.
    const org = await createOrganization(t, { name: 'Deletion Listeners', backchannelLogoutUri: receiver.url });
    const config = await organizationClient(issuer, org.clientId, org.clientSecret);
    const tokens = await shareWith(config, a.browser);
    const sub = tokens.claims()!.sub;
    expect((await client.fetchUserInfo(config, tokens.access_token, sub)).email).toBe(a.person.email);

    // A "Download my data" ZIP, built and stored (encrypted) beside the document images.
    await confirmIdentity(a.browser, a.person, '/account/privacy/download');
    const download = await a.browser.get('/account/privacy/download');
    expect((await a.browser.post('/account/privacy/download').type('form').send({ _csrf: csrfOf(download.text) })).headers.location).toBe('/account/privacy/download');
    await t.app.get(DataExportService).settled();

    // ---- What identifies the person and their rows, read before the deletion ----
    const accountId = (await accountIdOf(t, a.person.email))!;
    expect(sub).toBe(accountId);
    const ids = async (query: string) => (await t.db.sql.query(query, [accountId])).rows.map((r) => String(r.id));
    const rowIds = {
      account: [accountId],
      case: [caseRow.id as string],
      documents: await ids('select f.id from document_file f join verification_case c on c.id = f.verification_case_id where c.account_id = $1'),
      calls: await ids('select id from video_call where applicant_id = $1'),
      appointments: await ids('select id from appointment where account_id = $1'),
      supportRequests: [
        ...(await ids('select id from support_request where account_id = $1')),
        ...(await t.db.sql.query(`select id from support_request where account_id is null`)).rows.map((r) => String(r.id)),
      ],
      factors: await ids('select id from mfa_method where account_id = $1'),
      recordings: [
        ...(await ids('select r.id from recording r join video_call c on c.id = r.call_id where c.applicant_id = $1')),
        ...(await ids('select d.id from recording_download d join video_call c on c.id = d.call_id where c.applicant_id = $1 and d.finished_at is null')),
      ],
    };
    expect(rowIds.documents.length).toBeGreaterThanOrEqual(2);
    expect(rowIds.calls).toHaveLength(1);
    expect(rowIds.appointments).toHaveLength(1);
    expect(rowIds.supportRequests).toHaveLength(2);
    expect(rowIds.recordings).toHaveLength(2); // the stored recording and the pending download
    const storageKeys = (
      await t.db.sql.query(
        `select storage_key from document_file where verification_case_id = $1
         union all select storage_key from data_export where account_id = $2 and storage_key is not null
         union all select storage_key from recording where call_id = $3`,
        [caseRow.id, accountId, callId],
      )
    ).rows.map((r) => r.storage_key as string);
    expect(storageKeys.length).toBe(rowIds.documents.length + 2); // the images, the ZIP and the recording
    const evidenceReference = (await t.db.sql.query('select evidence_reference from video_call where id = $1', [callId])).rows[0].evidence_reference as string;
    const fingerprint = (await t.db.sql.query('select identifier_fingerprint from verification_case where id = $1', [caseRow.id])).rows[0].identifier_fingerprint as string;
    expect(fingerprint).toBeTruthy();
    expect(storedFiles(t).filter((f) => storageKeys.some((k) => f.includes(k)))).toHaveLength(storageKeys.length);

    // ---- The deletion, asked for and carried out ----
    const asked = await requestDeletion(a.browser, a.person);
    expect(asked.headers.location).toBe('/account/privacy/delete/scheduled');
    const mail = await lastEmailTo(t.db.sql, a.person.email);
    expect(mail!.subject).toBe('Your Referee account will be deleted');
    expect(mail!.body).toContain('Central European'); // the time in the zone the browser said
    expect(mail!.link).toContain('/account/privacy/delete/cancel?token=');
    // Nothing shared from the request on: the organization's access token no longer works.
    await expect(client.fetchUserInfo(config, tokens.access_token, sub)).rejects.toThrow();

    await t.app.get(AccountDeletionService).deleteDue();
    expect(await accountIdOf(t, a.person.email)).toBeUndefined();

    // ---- The organization was told, in a logout token it can verify ----
    expect(receiver.tokens).toHaveLength(1);
    const { payload, protectedHeader } = await jwtVerify(receiver.tokens[0], createRemoteJWKSet(new URL(`${issuer}/jwks`)), { issuer, audience: org.clientId });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toBe(accountId);
    expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT]: {} });
    expect(payload.jti).toBeTruthy();
    expect(payload.nonce).toBeUndefined();

    // ---- The scan: every column of every table, from the catalog ----
    const values: Record<string, string[]> = {
      email: [a.person.email, DETAILS.email],
      names: [DETAILS.firstName, DETAILS.middleName, DETAILS.lastName],
      phones: ['+33145678912', '145678912', PHONE_FACTOR.e164, '698765432'],
      dateOfBirth: ['1983-07-19', '07/19/1983'],
      address: [DETAILS.line1],
      ssn: [SSN, SSN.replace(/-/g, ''), fingerprint],
      documentNumber: [DOCUMENT_NUMBER],
      support: ['xylophonique'],
      files: storageKeys,
    };
    const idValues: Record<string, string[]> = { ...rowIds, evidence: [evidenceReference] };
    const { rows: columns } = await t.db.sql.query(
      `select table_name, column_name from information_schema.columns c
       where table_schema = 'public' and exists (select 1 from information_schema.tables x where x.table_schema = 'public' and x.table_name = c.table_name and x.table_type = 'BASE TABLE')
       order by table_name, ordinal_position`,
    );
    expect(columns.length).toBeGreaterThan(200);
    const found: string[] = [];
    const foundIds: string[] = [];
    for (const { table_name: table, column_name: column } of columns) {
      const { rows } = await t.db.sql.query(`select "${column}"::text as v from "${table}" where "${column}" is not null`);
      for (const { v } of rows as { v: string }[]) {
        for (const [kind, list] of Object.entries(values)) if (list.some((x) => v.includes(x))) found.push(`${table}.${column} holds their ${kind}`);
        for (const [kind, list] of Object.entries(idValues)) if (list.some((x) => v.includes(x))) foundIds.push(`${table}.${column} names their ${kind}`);
      }
    }
    // Nothing they entered or were given, anywhere (the audit log included).
    expect(found).toEqual([]);
    // Their rows' random ids: only in the audit log, the documented keeper.
    expect([...new Set(foundIds)].filter((hit) => !hit.startsWith('audit_event.'))).toEqual([]);
    expect(foundIds.some((hit) => hit.startsWith('audit_event.'))).toBe(true);

    // No message addressed to them is left, and no stored file of theirs (document images, the ZIP, the recording).
    expect((await t.db.sql.query('select id from recording where id = any($1) union all select id from recording_download where id = any($1)', [rowIds.recordings])).rows).toEqual([]);
    for (const address of [a.person.email, DETAILS.email, PHONE_FACTOR.e164, '+33145678912']) expect(await messagesTo(t.db.sql, address)).toEqual([]);
    expect(storedFiles(t).filter((f) => storageKeys.some((k) => f.includes(k)))).toEqual([]);

    // The deletion is in the audit log, by id only, and the chain still holds.
    const { rows: events } = await t.db.sql.query(`select actor_id, subject, details from audit_event where action = 'account.deleted'`);
    expect(events).toEqual([{ actor_id: null, subject: accountId, details: { organizationsTold: 1, organizationsNotReached: 0 } }]);
  });

  it('deletes the account even when an organization\'s back-channel endpoint fails, and records that it was not reached', async () => {
    const failing = createServer((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const person = await createAccount(t, `unreached.${Date.now()}@example.org`);
      const browser = await signIn(t, person);
      const org = await createOrganization(t, { name: 'Unreachable Agency', backchannelLogoutUri: `http://127.0.0.1:${(failing.address() as AddressInfo).port}/logout` });
      await shareWith(await organizationClient(issuer, org.clientId, org.clientSecret), browser);
      const accountId = (await accountIdOf(t, person.email))!;
      await requestDeletion(browser, person);
      await t.app.get(AccountDeletionService).deleteDue();
      expect(await accountIdOf(t, person.email)).toBeUndefined();
      const { rows } = await t.db.sql.query(`select details from audit_event where action = 'account.deleted' and subject = $1`, [accountId]);
      expect(rows).toEqual([{ details: { organizationsTold: 0, organizationsNotReached: 1 } }]);
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  it('deletes once when the job runs on two instances at once', async () => {
    const person = await createAccount(t, `twice.${Date.now()}@example.org`);
    const browser = await signIn(t, person);
    expect((await requestDeletion(browser, person)).status).toBe(303);
    const accountId = (await accountIdOf(t, person.email))!;
    const other = await startAnotherInstance(t);
    try {
      const runs = await Promise.all([t.app.get(AccountDeletionService).deleteDue(), other.app.get(AccountDeletionService).deleteDue()]);
      expect(runs.reduce((sum, r) => sum + r.deleted, 0)).toBeLessThanOrEqual(1); // the minute's own run may have done it
      expect(runs.every((r) => r.failed === 0)).toBe(true);
    } finally {
      await other.close();
    }
    expect(await accountIdOf(t, person.email)).toBeUndefined();
    const { rows } = await t.db.sql.query(`select count(*)::int as n from audit_event where action = 'account.deleted' and subject = $1`, [accountId]);
    expect(rows[0].n).toBe(1);
  });
});

describe('during the wait (ACCOUNT_DELETION_WAIT_HOURS=24)', () => {
  let t: TestApp;
  let issuer: string;
  beforeAll(async () => {
    t = await startTestApp({}, { publicPort: true });
    issuer = `${await t.listen()}/oidc`;
  });
  afterAll(() => t?.close());

  async function scheduled(label: string) {
    const person = await createAccount(t, `${label}.${Date.now()}@example.org`);
    const browser = await signIn(t, person);
    const asked = await requestDeletion(browser, person, 'America/Chicago');
    expect(asked.headers.location).toBe('/account/privacy/delete/scheduled');
    return { person, browser, accountId: (await accountIdOf(t, person.email))! };
  }

  async function actions(accountId: string): Promise<{ action: string; details: unknown }[]> {
    return (await t.db.sql.query(`select action, details from audit_event where actor_id = $1 and action like 'account.deletion%' order by id`, [accountId])).rows;
  }

  it('explains what is deleted and kept, and asks the box to be ticked, after confirming who you are', async () => {
    const person = await createAccount(t, `page.${Date.now()}@example.org`);
    const browser = await signIn(t, person);
    expect((await browser.get('/account/privacy/delete')).headers.location).toBe('/account/confirm?next=%2Faccount%2Fprivacy%2Fdelete');
    await confirmIdentity(browser, person, '/account/privacy/delete');
    const page = await browser.get('/account/privacy/delete');
    expect(page.text).toContain('It happens 24 hours after you ask');
    expect(page.text).toContain('The audit log, for 7 years');
    expect(page.text).toContain('the network (IP) addresses the actions came from, the kind of browser');
    expect(page.text).toContain('keep the copy they received');
    const unticked = await browser.post('/account/privacy/delete').type('form').send({ _csrf: csrfOf(page.text), timeZone: 'Europe/Paris' });
    expect(unticked.status).toBe(400);
    expect(textOf(unticked.text, 'understand-error')).toBe('Check the box to confirm that you understand what is deleted');
    expect(unticked.text).toContain('href="#understand"'); // in the error summary too
    expect(unticked.text).toContain('value="Europe/Paris"'); // nothing lost
    expect(await t.db.sql.query('select 1 from account_deletion').then((r) => r.rowCount)).toBe(0);
  });

  it('refuses a staff account: its calls and reviews belong to other people\'s cases', async () => {
    const person = await createAccount(t, `staff.${Date.now()}@referee.example`);
    await grantRoles(t, person.email, ['reviewer']);
    const browser = await signIn(t, person);
    await confirmIdentity(browser, person, '/account/privacy/delete');
    const page = await browser.get('/account/privacy/delete');
    expect(page.status).toBe(403);
    expect(page.text).toContain('Staff accounts are closed by an administrator');
    const posted = await browser.post('/account/privacy/delete').type('form').send({ _csrf: csrfOf(page.text), understand: 'yes' });
    expect(posted.status).toBe(403);
    expect(await t.db.sql.query('select 1 from account_deletion').then((r) => r.rowCount)).toBe(0);
  });

  it('shows "will be deleted on …" at sign-in, in the person\'s zone; "Keep my account" cancels, is audited and confirmed by email', async () => {
    const { person, accountId } = await scheduled('keep');
    const again = t.browser();
    await passwordSignIn(again, person);
    const challenge = await again.get('/mfa/challenge?method=backup');
    const done = await again.post('/mfa/challenge/backup').type('form').send({ _csrf: csrfOf(challenge.text), code: person.backupCodes.shift() });
    const landing = await again.get(done.headers.location);
    expect(landing.headers.location).toBe('/account/privacy/delete/scheduled');
    const page = await again.get('/account/privacy/delete/scheduled');
    const due = (await t.db.sql.query('select due_at from account_deletion where account_id = $1', [accountId])).rows[0].due_at as Date;
    expect(due.getTime() - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    const inChicago = new Intl.DateTimeFormat('en', { dateStyle: 'full', timeStyle: 'short', timeZone: 'America/Chicago' }).format(due);
    expect(page.text).toContain(`Your account will be deleted on ${inChicago}, Central Time (Chicago)`);

    const kept = await again.post('/account/privacy/delete/keep').type('form').send({ _csrf: csrfOf(page.text) });
    expect(kept.status).toBe(200);
    expect(kept.text).toContain('You kept your account: the deletion is cancelled.');
    expect((await again.get('/account')).status).toBe(200);
    expect((await lastEmailTo(t.db.sql, person.email))!.subject).toBe('Your Referee account will not be deleted');
    expect(await actions(accountId)).toEqual([
      { action: 'account.deletion_requested', details: { dueAt: due.toISOString() } },
      { action: 'account.deletion_cancelled', details: { by: 'sign_in' } },
    ]);
  });

  it('cancels from the email\'s link, once, and says so', async () => {
    const { person, accountId } = await scheduled('link');
    const mail = await lastEmailTo(t.db.sql, person.email);
    expect(mail!.body).toContain('Central Time (Chicago)');
    const stranger = t.browser(); // the link works without signing in
    const page = await stranger.get(pathOf(mail!.link!));
    expect(page.text).toContain('Cancel the deletion');
    const token = /name="token" value="([^"]+)"/.exec(page.text)![1];
    const cancelled = await stranger.post('/account/privacy/delete/cancel').type('form').send({ _csrf: csrfOf(page.text), token });
    expect(cancelled.text).toContain('The link in the email cancelled the deletion: your account will not be deleted.');
    expect(await t.db.sql.query('select 1 from account_deletion where account_id = $1', [accountId]).then((r) => r.rowCount)).toBe(0);
    const again = await stranger.post('/account/privacy/delete/cancel').type('form').send({ _csrf: csrfOf(page.text), token });
    expect(again.status).toBe(410);
    expect((await stranger.get(pathOf(mail!.link!))).status).toBe(410); // the link's page says it no longer works
    expect((await stranger.get('/account/privacy/delete/cancel?token=not-a-token')).status).toBe(410);
    expect((await actions(accountId)).map((e) => e.details)).toContainEqual({ by: 'email_link' });
    expect((await lastEmailTo(t.db.sql, person.email))!.subject).toBe('Your Referee account will not be deleted');
  });

  it('shares nothing meanwhile: tokens revoked at once, no new sign-in through an organization until the person keeps the account', async () => {
    const person = await createAccount(t, `openid.${Date.now()}@example.org`);
    const browser = await signIn(t, person);
    const org = await createOrganization(t, { name: 'Waiting Room Agency' });
    const config = await organizationClient(issuer, org.clientId, org.clientSecret);
    const tokens = await shareWith(config, browser);
    const sub = tokens.claims()!.sub;
    await requestDeletion(browser, person);

    await expect(client.fetchUserInfo(config, tokens.access_token, sub)).rejects.toThrow();
    const started = await authorizationRequest(config, { scope: 'openid email' });
    const page = await follow(browser, started.url.toString());
    expect(page.offsite).toBeUndefined(); // no code goes back
    expect(page.path).toMatch(/^\/interaction\/[^/]+/);
    expect(page.text).toContain('Your account is being deleted');

    // Keeping the account goes on with the sign-in: the consent stood, so a code comes back, and claims again.
    const on = await press(browser, page, '/account/privacy/delete/keep', { next: `/interaction/${uidOf(page.path)}` });
    expect(on.offsite).toBeDefined();
    const fresh = await client.authorizationCodeGrant(config, new URL(on.offsite!), { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce, idTokenExpected: true });
    expect((await client.fetchUserInfo(config, fresh.access_token, sub)).email).toBe(person.email);
  });
});

it('refuses ACCOUNT_DELETION_WAIT_HOURS=0 in production, with a clear message', () => {
  const base = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://x@127.0.0.1/x', SESSION_SECRET: 'a'.repeat(43), PII_KEYS: `k1:${'b'.repeat(43)}`, PII_FINGERPRINT_KEY: 'c'.repeat(43) };
  expect(() => loadConfig({ ...base, ACCOUNT_DELETION_WAIT_HOURS: '0' })).toThrow(/ACCOUNT_DELETION_WAIT_HOURS must be at least 1 in production/);
  expect(loadConfig({ ...base, ACCOUNT_DELETION_WAIT_HOURS: '0', NODE_ENV: 'test' }).accountDeletionWaitHours).toBe(0);
  expect(loadConfig({ ...base, NODE_ENV: 'test' }).accountDeletionWaitHours).toBe(24);
});


