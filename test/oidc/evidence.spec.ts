/**
 * The evidence organizations receive (verified_claims.verification) names the verification by
 * an opaque reference, and nothing internal: no Jitsi room, no staff account, no call or case
 * id. Referee maps the reference back to the call, case and referee for audits. Driven end to
 * end: a real call verified by a Trusted Referee, then an organization's code flow.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { Client } from 'pg';
import { migrations } from '../../migrations';
import { migrateToLatest } from '../../src/database/migrate';
import { ormConfig } from '../../src/database/mikro-orm.config';
import { PiiCipher } from '../../src/crypto/pii-cipher';
import { startTestApp, type TestApp } from '../harness/app';
import { approvedApplicant, JITSI, newReferee } from '../harness/calls';
import { csrfOf } from '../harness/forms';
import { lastEmailTo } from '../harness/outbox';
import { authorizationRequest, createOrganization, follow, inContext, organizationClient, press, uidOf } from './flow';

let t: TestApp;
let issuer: string;
beforeAll(async () => {
  t = await startTestApp(JITSI, { publicPort: true });
  issuer = `${await t.listen()}/oidc`;
});
afterAll(() => t?.close());

type Browser = ReturnType<TestApp['browser']>;
async function post(browser: Browser, from: string, path: string, fields: Record<string, string> = {}) {
  const page = await browser.get(from);
  return browser.post(path).type('form').send({ _csrf: csrfOf(page.text), ...fields });
}

const REQUEST = JSON.stringify({
  userinfo: { verified_claims: { verification: { trust_framework: null, verification_process: null, evidence: null }, claims: { given_name: null } } },
  id_token: { verified_claims: { verification: { trust_framework: null, verification_process: null, evidence: null }, claims: { family_name: null } } },
});

type Evidence = { check_details: { check_method: string; check_id?: string }[] }[];
type Verification = { verification_process?: string; evidence?: Evidence };

/** A verified call, as in the console: code read back, every item ticked, the recording on. */
async function verifiedByCall() {
  const a = await approvedApplicant(t, 'evidence');
  await a.post('/call');
  const referee = await newReferee(t, 'evidence-referee');
  const b = referee.browser!;
  const consolePath = String((await post(b, '/agent/calls', '/agent/calls/next')).headers.location);
  const callId = consolePath.split('/').pop()!;
  expect((await post(b, consolePath, '/call/events', { callId, event: 'recording_on' })).status).toBe(204);
  await post(b, consolePath, `${consolePath}/code`);
  const code = /(\d{6})/.exec((await lastEmailTo(t.db.sql, 'amelie@example.fr'))!.body)![1];
  const checks = Object.fromEntries(['name', 'dateOfBirth', 'address', 'originals', 'face', 'tilted', 'inView'].map((k) => [`check-${k}`, 'yes']));
  const done = await post(b, consolePath, `${consolePath}/outcome`, { outcome: 'verified', ...checks, code, 'doc-first-country': 'FR', 'doc-first-number': '19AB12345', 'doc-first-expiry': '2031-05-01' });
  expect(done.headers.location).toBe('/agent/calls?done=1');
  const { rows } = await t.db.sql.query('select * from video_call where id = $1', [callId]);
  return { a, call: rows[0], accountId: (await a.row()).account_id as string };
}

/** The organization's view: ID token and userinfo after the applicant allows sharing. */
async function organizationReads(browser: Browser) {
  const { clientId, clientSecret } = await createOrganization(t, { name: 'Evidence Checkers' });
  const config = await organizationClient(issuer, clientId, clientSecret);
  const started = await authorizationRequest(config, { scope: 'openid verified_identity', claims: REQUEST });
  let page = await follow(browser, started.url.toString());
  if (!page.offsite) page = await press(browser, page, `/interaction/${uidOf(page.path)}/allow`);
  const tokens = await client.authorizationCodeGrant(config, new URL(page.offsite!), {
    pkceCodeVerifier: started.verifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
  });
  const idToken = tokens.claims()!;
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
  return { idToken, userinfo, reread: () => client.fetchUserInfo(config, tokens.access_token, idToken.sub) };
}

/** Everything but `sub` (the account's subject identifier, which organizations are meant to get). */
const withoutSubject = (payload: Record<string, unknown>) => JSON.stringify({ ...payload, sub: undefined });

function expectOnlyTheReference(payload: Record<string, unknown>, reference: string, internal: string[]) {
  const verification = (payload.verified_claims as { verification: Verification }).verification;
  expect(verification.verification_process).toBe(reference);
  const checkIds = verification.evidence!.flatMap((e) => e.check_details.map((c) => c.check_id));
  expect(checkIds).toHaveLength(2);
  for (const id of checkIds) expect(id!.startsWith(reference)).toBe(true);
  const text = withoutSubject(payload);
  for (const value of internal) expect({ leaked: text.includes(value), value }).toEqual({ leaked: false, value });
}

it('shares an opaque reference per verification, and no room name, staff account id, call id or case id', async () => {
  const { a, call, accountId } = await verifiedByCall();
  const reference: string = call.evidence_reference;
  expect(reference).toMatch(/^ref-[0-9a-f]{32}$/);
  const internal = [call.room, call.room.replace(/^referee-/, ''), call.agent_id, call.id, call.verification_case_id];

  const { idToken, userinfo, reread } = await organizationReads(a.browser);
  expectOnlyTheReference(idToken, reference, internal);
  expectOnlyTheReference(userinfo, reference, internal);
  // The account id is the subject, and nowhere else.
  expect(idToken.sub).toBe(accountId);
  expect(withoutSubject(userinfo)).not.toContain(accountId);

  // Referee maps the reference back: to the call (and so the case, the room and the referee), and in the audit log.
  expect((await t.db.sql.query('select id from video_call where evidence_reference = $1', [reference])).rows).toEqual([{ id: call.id }]);
  const { rows: audit } = await t.db.sql.query(`select case_id, details from audit_event where action = 'video.outcome_verified' and subject = $1`, [accountId]);
  expect(audit).toHaveLength(1);
  expect(audit[0]).toMatchObject({ case_id: call.verification_case_id, details: { callId: call.id, room: call.room, reference } });

  // An identity recorded before references existed (its evidence named the case, the call, the room
  // and the referee) is shared with the reference its call was given, and nothing internal.
  const cipher = t.app.get(PiiCipher);
  const legacy = {
    verificationProcess: call.verification_case_id,
    claims: { givenName: 'Amélie', familyName: "D'Artagnan-Poulain", birthdate: '1986-04-28' },
    documents: [
      {
        type: 'passport',
        number: '19AB12345',
        issuer: { country: 'FR' },
        checks: [
          { method: 'vri', checkId: `case:${call.verification_case_id}:documents`, time: new Date().toISOString() },
          { method: 'pvr', checkId: `call:${call.id}:room:${call.room}:recorded:referee:${call.agent_id}`, time: new Date().toISOString() },
        ],
      },
    ],
  };
  const sealed = await inContext(t, async () => cipher.encrypt(JSON.stringify(legacy), `verified_identity:${accountId}:details`));
  await t.db.sql.query('update verified_identity set details_sealed = $2 where account_id = $1', [accountId, sealed]);
  expectOnlyTheReference(await reread(), reference, internal);
});

it('gives calls made before the change a reference, and their verified identities the reference of the call that verified them', async () => {
  const { call, accountId } = await verifiedByCall();
  // A database at the migration before references, holding this verification's rows as they were then.
  const adminUrl = process.env.TEST_POSTGRES_ADMIN_URL!;
  const name = `referee_t_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  const old = new Client({ connectionString: url });
  try {
    const orm = await MikroORM.init({ ...ormConfig(url), logger: () => undefined });
    await orm.migrator.up({ to: 'Migration20261126200000_support_language' });
    await orm.close(true);
    await old.connect();
    const copy = async (table: string, where: string, params: unknown[], leave: string[] = []) => {
      for (const row of (await t.db.sql.query(`select * from ${table} where ${where}`, params)).rows) {
        // Only the columns the old schema had: later migrations add columns these rows need not carry.
        const then = (await old.query('select column_name from information_schema.columns where table_name = $1', [table])).rows.map((r) => r.column_name as string);
        const columns = Object.keys(row).filter((c) => then.includes(c) && !leave.includes(c));
        // jsonb values go as JSON text (pg would send a JavaScript array as a PostgreSQL array).
        const values = columns.map((c) => (row[c] !== null && typeof row[c] === 'object' && !(row[c] instanceof Date) && !Buffer.isBuffer(row[c]) ? JSON.stringify(row[c]) : row[c]));
        await old.query(`insert into ${table} (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, values);
      }
    };
    await copy('account', 'id = any($1)', [[accountId, call.agent_id]]);
    await copy('verification_case', 'id = $1', [call.verification_case_id]);
    await copy('video_call', 'id = $1', [call.id], ['evidence_reference']);
    await copy('verified_identity', 'account_id = $1', [accountId], ['verification_reference']);

    // The references' migration, and those after it (none of which touches these rows' references).
    const names = migrations.map((m) => m.name);
    expect(await migrateToLatest(url)).toEqual(names.slice(names.indexOf('Migration20261205020000_evidence_reference')));
    const { rows: calls } = await old.query('select evidence_reference from video_call');
    expect(calls).toHaveLength(1);
    expect(calls[0].evidence_reference).toMatch(/^ref-[0-9a-f]{32}$/);
    expect(calls[0].evidence_reference).not.toBe(call.evidence_reference);
    const { rows: identities } = await old.query('select verification_reference from verified_identity');
    expect(identities).toEqual([{ verification_reference: calls[0].evidence_reference }]);
  } finally {
    await old.end().catch(() => undefined);
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
});
