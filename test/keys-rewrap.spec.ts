import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createApp } from '../src/app';
import { PROJECT_ROOT } from '../src/config/paths';
import { columnName, ENCRYPTED_COLUMNS, type EncryptedColumn } from '../src/crypto/encrypted-columns';
import { PiiCipher, type PiiKeyRing } from '../src/crypto/pii-cipher';
import { rewrapAll } from '../src/crypto/rewrap';
import { LOCKS } from '../src/jobs/jobs';
import { VerifiedIdentitiesService } from '../src/verified-identity/verified-identities.service';
import { recordVerified, verifiedIdentity } from './oidc/flow';
import { startTestApp, type TestApp } from './harness/app';
import { codeFor, createAccount, passwordSignIn, signIn, signInWith, type TestPerson } from './harness/accounts';
import { approvedApplicant, JITSI } from './harness/calls';
import { applicantAtDocuments, photo, uploadFile } from './harness/documents';
import { csrfOf } from './harness/forms';
import { lastEmailTo, lastTextTo, useOutboxKeys } from './harness/outbox';
import { FRENCH_DETAILS, newApplicant, step, toIdentifierStep, type Applicant } from './harness/verification';

/**
 * Key rotation finished (issue 17, point 6): after a new key is put first in PII_KEYS,
 * `npm run keys:rewrap` moves every stored encrypted value and document file key under it,
 * so that the old key can be removed and Referee still reads everything.
 */
const run = promisify(execFile);
type Browser = ReturnType<TestApp['browser']>;

const newKey = () => randomBytes(32);
const OLD = newKey();
const NEW = newKey();
const NEWER = newKey();
const ring = (...keys: [string, Buffer][]): PiiKeyRing => ({ currentId: keys[0][0], keys: Object.fromEntries(keys) });
const asSetting = (r: PiiKeyRing) =>
  [r.currentId, ...Object.keys(r.keys).filter((id) => id !== r.currentId)].map((id) => `${id}:${r.keys[id].toString('base64url')}`).join(',');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ PII_KEYS: asSetting(ring(['old1', OLD])), ...JITSI });
});
afterAll(() => t?.close());

/** `npm run keys:rewrap` as an operator runs it (built by pretest), with the given PII_KEYS, on this test's database. */
function rewrapCommand(keys: PiiKeyRing, args: string[] = []) {
  return run(process.execPath, [join(PROJECT_ROOT, 'dist/src/crypto/rewrap-cli.js'), ...args], {
    env: {
      PATH: process.env.PATH!,
      DATABASE_URL: t.db.url,
      BASE_URL: t.config.baseUrl,
      SESSION_SECRET: t.config.sessionSecret.toString('base64url'),
      PII_KEYS: asSetting(keys),
      PII_FINGERPRINT_KEY: t.config.piiFingerprintKey.toString('base64url'),
      DATA_DIR: t.config.dataDir,
      LOG_LEVEL: 'silent',
    },
  });
}

interface Stored {
  column: EncryptedColumn;
  id: string;
  value: string;
  row: Record<string, string>;
}

/** Every value of the registry's columns, as stored. */
async function storedValues(): Promise<Stored[]> {
  const out: Stored[] = [];
  for (const c of ENCRYPTED_COLUMNS) {
    const value = c.field ? `"${c.column}"->>'${c.field}'` : `"${c.column}"`;
    const reads = (c.reads ?? []).map((r) => `, "${r}"::text as "${r}"`).join('');
    const { rows } = await t.db.sql.query(`select "${c.key}"::text as "${c.key}", ${value} as value${reads} from "${c.table}" where ${value} is not null`);
    for (const row of rows) out.push({ column: c, id: row[c.key], value: row.value, row });
  }
  return out;
}

const keyIdsOf = (values: Stored[]) => [...new Set(values.map((v) => v.value.split('.')[1]))].sort();

/** A browser signed in with the code generator app (its secret is read back from the database). */
async function signInWithApp(browser: Browser, person: TestPerson): Promise<Browser> {
  const step1 = await passwordSignIn(browser, person);
  expect(step1.status).toBe(303);
  const page = await browser.get('/mfa/challenge');
  const { rows } = await t.db.sql.query(`select m.id from mfa_method m join account a on a.id = m.account_id where a.email = $1 and m.kind = 'totp'`, [person.email]);
  // The next time step's code: the one that set the app up may have been this step's.
  const done = await browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrfOf(page.text), method: rows[0].id, code: await codeFor(person.totpSecret!, 1) });
  expect(done.status).toBe(303);
  return browser;
}

const SSN = '456-78-9012';
const PHONE = '+33612345678';
const PENDING_PHONE = '+447400123459';

describe('rotating the personal-data keys', () => {
  let withSsn: Applicant;
  let withDocs: Applicant;
  let withDraft: Applicant;
  let withHelper: Applicant;
  let withPhone: TestPerson;
  let pendingPhone: Browser;
  let image: { id: string; sha256: string };
  let supportPath: string;

  beforeAll(async () => {
    // Details with an SSN and a home address.
    withSsn = await newApplicant(t, 'rewrap.ssn');
    await toIdentifierStep(withSsn);
    await step(withSsn, '/verify/ssn', { number: SSN, confirmNumber: SSN, fcraConsent: 'yes' }, '/verify/documents/primary');
    // A verified identity, as a call ending "verified" records it for sharing.
    await recordVerified(t, (await withSsn.row()).account_id);
    // Details typed, then Save & Exit: kept as a draft.
    withDraft = await newApplicant(t, 'rewrap.draft');
    await toIdentifierStep(withDraft);
    const saved = await withDraft.post('/verify/save-and-exit', { ...FRENCH_DETAILS, line1: '7 quai Voltaire', draftStep: 'details' });
    expect(saved.headers.location).toBe('/verify/saved');
    // A helper declared for the video call.
    withHelper = await approvedApplicant(t, 'rewrap.helper');
    const helper = await withHelper.post('/call/preferences', { language: 'en', hasHelper: 'yes', helperName: 'Kenji Sato', helperRelationship: 'Son', helperRole: 'Holds the phone' });
    expect(helper.headers.location).toBe('/call?saved=1');
    // A support request with its message, signed in; and one from someone without an account.
    const form = await withSsn.browser.get('/support');
    const asked = await withSsn.browser.post('/support').type('form').send({ _csrf: csrfOf(form.text), category: 'other', message: 'My passport was renewed last week.' });
    expect(asked.status).toBe(303);
    supportPath = asked.headers.location.replace(/\?.*$/, '');
    const stranger = t.browser();
    const strangerForm = await stranger.get('/support');
    await stranger.post('/support').type('form').send({ _csrf: csrfOf(strangerForm.text), category: 'other', message: 'Where is my code?', email: 'rewrap.stranger@example.org' });
    // A document image, stored encrypted under a key of its own.
    withDocs = await applicantAtDocuments(t, 'rewrap.docs');
    expect((await uploadFile(withDocs, 'first', 'photo_page', await photo())).status).toBe(303);
    const { rows } = await t.db.sql.query('select f.id from document_file f join verification_case c on c.id = f.verification_case_id where c.id = $1', [(await withDocs.row()).id]);
    const downloaded = await withDocs.browser.get(`/documents/file/${rows[0].id}`).buffer(true);
    expect(downloaded.status).toBe(200);
    image = { id: rows[0].id, sha256: createHash('sha256').update(downloaded.body).digest('hex') };
    // A phone as second factor (and a code generator app, as every test person has).
    withPhone = await createAccount(t, `rewrap.phone.${Date.now()}@example.org`);
    const phoneBrowser = await signIn(t, withPhone);
    let page = await phoneBrowser.get('/mfa/setup/phone');
    await phoneBrowser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(page.text), channel: 'sms', label: 'My phone', country: 'FR', number: '06 12 34 56 78' });
    const setupCode = /(\d{6}) is your/.exec((await lastTextTo(t.db.sql, PHONE))!.body)![1];
    page = await phoneBrowser.get('/mfa/setup/phone/confirm');
    const added = await phoneBrowser.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(page.text), code: setupCode });
    expect(added.text).toContain('Text message or voice call added');
    // A phone being set up, its code sent but not yet entered (mfa_pending).
    pendingPhone = await signIn(t, await createAccount(t, `rewrap.pending.${Date.now()}@example.org`));
    page = await pendingPhone.get('/mfa/setup/phone');
    await pendingPhone.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(page.text), channel: 'sms', label: 'Work phone', country: 'GB', number: '07400 123459' });
    expect(await lastTextTo(t.db.sql, PENDING_PHONE)).toBeDefined();
  });

  it('names every column that holds encrypted personal data in the one registry', async () => {
    const { rows: columns } = await t.db.sql.query(
      `select table_name, column_name, data_type from information_schema.columns
       where table_schema = 'public' and data_type in ('text', 'character varying', 'json', 'jsonb')`,
    );
    const found = new Set<string>();
    for (const { table_name, column_name, data_type } of columns) {
      const { rows } = await t.db.sql.query(`select "${column_name}"::text as v from "${table_name}" where "${column_name}"::text like '%pii1.%'`);
      for (const { v } of rows) {
        if (!data_type.startsWith('json')) found.add(`${table_name}.${column_name}`);
        else for (const [field, value] of Object.entries(JSON.parse(v))) if (String(value).startsWith('pii1.')) found.add(`${table_name}.${column_name}.${field}`);
      }
    }
    const registered = new Set(ENCRYPTED_COLUMNS.map(columnName));
    expect([...found].filter((name) => !registered.has(name))).toEqual([]);
    // ...and the registry names only columns that exist (a typo would leave a column behind).
    const existing = new Set(columns.map((c: { table_name: string; column_name: string }) => `${c.table_name}.${c.column_name}`));
    expect(ENCRYPTED_COLUMNS.filter((c) => !existing.has(`${c.table}.${c.column}`)).map(columnName)).toEqual([]);
    // The journey above stored every kind the test reads back.
    expect([...found].sort()).toEqual(
      expect.arrayContaining([
        'verification_case.identifier',
        'verification_case.date_of_birth',
        'verification_case.address',
        'verification_case.draft',
        'verified_identity.details_sealed',
        'call_preference.helper_cipher',
        'document_file.wrapped_key',
        'support_message.body_cipher',
        'support_request.email_cipher',
        'outbox_message.recipient',
        'mfa_method.secret_sealed',
        'mfa_pending.data.phoneSealed',
        'oidc_signing_key.private_jwk_sealed',
      ]),
    );
  });

  it('rewraps everything under the new key; with the old key removed, Referee reads it all back', async () => {
    const before = await storedValues();
    expect(keyIdsOf(before)).toEqual(['old1']);
    const files = await t.db.sql.query('select storage_key from document_file where id = $1', [image.id]);

    // The new key first, the old one still there to decrypt; then the command.
    const rotated = ring(['new1', NEW], ['old1', OLD]);
    const { stdout } = await rewrapCommand(rotated);
    expect(stdout).toContain('Rewrapping under key new1');
    expect(stdout).toMatch(/^verification_case\.identifier: 1 rewrapped, 0 already current$/m);
    expect(stdout).toMatch(new RegExp(`^document_file\\.wrapped_key: 1 rewrapped, 0 already current$`, 'm'));
    expect(stdout).toContain('key new1: ');
    expect(stdout).toContain('key old1: 0 values; it can be removed from PII_KEYS.');
    expect(stdout).not.toContain('\r'); // not a terminal: no progress bar, one line per column

    // Every value moved, the same value under the new key alone; the file's bytes were not rewritten.
    const after = await storedValues();
    expect(after).toHaveLength(before.length);
    expect(keyIdsOf(after)).toEqual(['new1']);
    const oldCipher = new PiiCipher(ring(['old1', OLD]));
    const newCipher = new PiiCipher(ring(['new1', NEW]));
    for (const v of after) {
      const was = before.find((b) => b.column === v.column && b.id === v.id)!;
      expect(newCipher.decrypt(v.value, v.column.context(v.row))).toBe(oldCipher.decrypt(was.value, was.column.context(was.row)));
    }
    expect((await t.db.sql.query('select storage_key from document_file where id = $1', [image.id])).rows).toEqual(files.rows);

    // Referee restarted with only the new key.
    const withSsnAccount: string = (await withSsn.row()).account_id;
    const next: NestExpressApplication = await createApp({ ...t.config, piiKeys: ring(['new1', NEW]) });
    useOutboxKeys(t.db.sql, ring(['new1', NEW]));
    try {
      const browser = () => request.agent(next.getHttpServer());
      // The details as entered, and the SSN step done (its last four digits).
      const ssnBrowser = await signInWithApp(browser(), withSsn.person);
      const details = await ssnBrowser.get('/verify/details');
      expect(details.status).toBe(200);
      expect(details.text).toContain('12 rue de Rivoli');
      expect(details.text).toContain('value="1986"');
      // The verified identity organizations are given.
      const shared = await RequestContext.create(next.get(MikroORM).em, () => next.get(VerifiedIdentitiesService).findVerified(withSsnAccount));
      expect(shared?.claims).toEqual(verifiedIdentity().claims);
      // The draft kept at Save & Exit, and the helper declared for the call.
      const draftBrowser = await signInWith(browser(), withDraft.person);
      expect((await draftBrowser.get('/verify/details')).text).toMatch(/id="line1"[^>]*value="7 quai Voltaire"/);
      const helperBrowser = await signInWith(browser(), withHelper.person);
      expect((await helperBrowser.get('/call/preferences')).text).toContain('Kenji Sato');
      // The support message.
      const support = await ssnBrowser.get(supportPath);
      expect(support.text).toContain('My passport was renewed last week.');
      // The image, the same bytes.
      const docsBrowser = await signInWith(browser(), withDocs.person);
      const downloaded = await docsBrowser.get(`/documents/file/${image.id}`).buffer(true);
      expect(downloaded.status).toBe(200);
      expect(createHash('sha256').update(downloaded.body).digest('hex')).toBe(image.sha256);
      // A code texted to the phone factor (its number decrypted to send it).
      await t.db.sql.query('delete from rate_limit');
      const phoneBrowser = browser();
      await passwordSignIn(phoneBrowser, withPhone);
      const challenge = await phoneBrowser.get('/mfa/challenge');
      const { rows: methods } = await t.db.sql.query(`select m.id from mfa_method m join account a on a.id = m.account_id where a.email = $1 and m.kind = 'phone'`, [withPhone.email]);
      const textsBefore = (await lastTextTo(t.db.sql, PHONE))!.id;
      const sent = await phoneBrowser.post('/mfa/challenge/phone/send').type('form').send({ _csrf: csrfOf(challenge.text), method: methods[0].id });
      expect(sent.status).toBe(303);
      expect((await lastTextTo(t.db.sql, PHONE))!.id).not.toBe(textsBefore);
      // The phone being set up (same browser, its session in the database): a new code to the number the pending step keeps.
      const pendingBrowser = browser();
      pendingBrowser.jar.setCookie(`referee=${pendingPhone.jar.getCookie('referee', { domain: '127.0.0.1', path: '/', secure: false, script: false })!.value}`, '127.0.0.1', '/');
      const confirmPage = await pendingBrowser.get('/mfa/setup/phone/confirm');
      expect(confirmPage.status).toBe(200);
      const pendingBefore = (await lastTextTo(t.db.sql, PENDING_PHONE))!.id;
      const resent = await pendingBrowser.post('/mfa/setup/phone/resend').type('form').send({ _csrf: csrfOf(confirmPage.text) });
      expect(resent.status).toBeLessThan(400);
      expect((await lastTextTo(t.db.sql, PENDING_PHONE))!.id).not.toBe(pendingBefore);
      // The outbox's recipients (read here with the new key alone) and the signing keys.
      expect(await lastEmailTo(t.db.sql, 'rewrap.stranger@example.org')).toBeDefined();
      const jwks = await browser().get('/oidc/jwks');
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys.length).toBeGreaterThan(0);
    } finally {
      useOutboxKeys(t.db.sql, ring(['new1', NEW], ['old1', OLD]));
      await next.close();
    }
  });

  it('finishes a rewrap stopped after one batch when run again', async () => {
    const cipher = new PiiCipher(ring(['newer', NEWER], ['new1', NEW]));
    const orm = t.app.get(MikroORM);
    const total = (await storedValues()).length;
    // A crash right after the first batch committed.
    let committed = 0;
    const killed = rewrapAll(orm.em, cipher, {
      onBatch: (_column, done) => {
        committed = done;
        throw new Error('killed');
      },
    }, 2);
    await expect(killed).rejects.toThrow('killed');
    const halfway = await storedValues();
    expect(committed).toBeGreaterThan(0);
    expect(halfway.filter((v) => v.value.startsWith('pii1.newer.'))).toHaveLength(committed);
    expect(halfway.filter((v) => v.value.startsWith('pii1.new1.'))).toHaveLength(total - committed);

    const report = await rewrapAll(orm.em, cipher, {}, 2);
    expect(report.columns.reduce((n, c) => n + c.rewrapped, 0)).toBe(total - committed);
    expect(report.columns.reduce((n, c) => n + c.alreadyCurrent, 0)).toBe(committed);
    expect(report.keys).toEqual(expect.arrayContaining([{ keyId: 'new1', values: 0, inPiiKeys: true }]));
    expect(keyIdsOf(await storedValues())).toEqual(['newer']);
  });

  it('refuses a second run while one is running', async () => {
    await t.db.sql.query('select pg_advisory_lock($1)', [LOCKS.piiRewrap]);
    try {
      await expect(rewrapCommand(ring(['new1', NEW]))).rejects.toMatchObject({ code: 3, stderr: expect.stringContaining('another keys:rewrap is running') });
    } finally {
      await t.db.sql.query('select pg_advisory_unlock($1)', [LOCKS.piiRewrap]);
    }
  });

  it('names the table, column and row of a value no key opens, without the value', async () => {
    const LOST = newKey();
    const caseId: string = (await withDocs.row()).id;
    const sealed = new PiiCipher(ring(['lost', LOST])).encrypt('912781234', `verification_case:${caseId}:identifier`);
    await t.db.sql.query('update verification_case set identifier = $1 where id = $2', [sealed, caseId]);
    try {
      const failed = await rewrapCommand(ring(['new2', newKey()], ['newer', NEWER])).catch((error) => error);
      expect(failed.code).toBe(2);
      expect(failed.stderr).toContain(`verification_case.identifier, row ${caseId}: personal data could not be decrypted: key "lost" is not in PII_KEYS`);
      expect(failed.stdout).toContain('key lost: 1 values, but it is not in PII_KEYS');
      expect(failed.stdout + failed.stderr).not.toContain(sealed.split('.')[5]);
      expect(failed.stdout + failed.stderr).not.toContain('912781234');
    } finally {
      await t.db.sql.query('update verification_case set identifier = null where id = $1', [caseId]);
    }
  });
});
