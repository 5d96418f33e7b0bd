import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { PROJECT_ROOT } from '../src/config/paths';
import * as client from 'openid-client';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/app';
import { passwordSignIn, signInWith, type TestPerson } from './harness/accounts';
import { applicantAtDocuments, photo } from './harness/documents';
import { csrfOf } from './harness/forms';
import { lastEmailTo, lastTextTo, messagesTo, pathOf, useOutboxKeys } from './harness/outbox';
import { freePort } from './harness/ports';
import { startRefereeProcess, type RefereeProcess } from './harness/process';
import { authorizationRequest, createOrganization, follow, organizationClient, press, uidOf } from './oidc/flow';


/** Referee started the way `npm start` starts it, its JSON log captured from stdout. */
describe('the running service and its logs', () => {
  let db: TestDatabase;
  let child: ChildProcess;
  let stdout = '';
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const piiKey = randomBytes(32);
    useOutboxKeys(db.sql, { currentId: 'logs', keys: { logs: piiKey } });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/src/main.js')], {
      env: { PATH: process.env.PATH!, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'info', SESSION_SECRET: randomBytes(32).toString('base64url'), PII_KEYS: `logs:${piiKey.toString('base64url')}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stdout += d));
    const started = Date.now();
    while (!stdout.includes('Referee is running') && Date.now() - started < 20000) await new Promise((r) => setTimeout(r, 100));
    expect(stdout).toContain('Referee is running');
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await db.drop();
  });

  it('logs requests as JSON without passwords, emails, cookies or link tokens, and stops cleanly on SIGTERM', async () => {
    const email = 'log-check@example.org';
    const password = 'log check passphrase 1234';
    const browser = request.agent(base);
    let page = await browser.get('/sign-up');
    await browser.post('/sign-up').type('form').send({ _csrf: csrfOf(page.text), email, password });
    const link = pathOf((await lastEmailTo(db.sql, email))!.link!);
    const token = new URL(link, base).searchParams.get('token')!;
    page = await browser.get(link);
    await browser.post('/sign-up/confirm').type('form').send({ _csrf: csrfOf(page.text), token });
    const person: TestPerson = { email, password, backupCodes: [] };
    await signInWith(browser, person);
    page = await browser.get('/account');
    expect(page.status).toBe(200);
    const cookie = /referee=([A-Za-z0-9_-]{43})/.exec(String(browser.jar.getCookie('referee', { domain: '127.0.0.1', path: '/', secure: false, script: false })))?.[1];
    expect(cookie).toBeDefined();
    await new Promise((r) => setTimeout(r, 300)); // let the log lines flush

    const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.req);
    expect(requests.map((l) => `${l.req.method} ${l.req.route} ${l.res.statusCode}`)).toEqual(
      expect.arrayContaining(['POST /sign-up 200', 'GET /sign-up/confirm 200', 'POST /sign-in 303', 'POST /mfa/setup/totp 200', 'GET /account 200']),
    );
    for (const secret of [email, password, token, cookie!, csrfOf(page.text), person.totpSecret!, ...person.backupCodes]) {
      expect(stdout).not.toContain(secret);
    }

    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(stdout).toContain('SIGTERM received, shutting down');
  });
});

/**
 * A whole journey through a Referee process logging at info: every secret it hands out (email
 * links, one-time codes, the Take Photo link, the resume link, OpenID interaction ids and
 * codes, tokens, cookies) is looked for in the log, and none is there.
 */
describe('the log of a whole journey', () => {
  let t: TestApp;
  let referee: RefereeProcess;
  let via: TestApp; // the helpers, talking to the process whose log is read

  beforeAll(async () => {
    t = await startTestApp();
    referee = await startRefereeProcess(t, { LOG_LEVEL: 'info' });
    via = { ...t, browser: () => request.agent(referee.base) };
  }, 60_000);
  afterAll(async () => {
    await referee?.stop();
    await t?.close();
  });

  it('holds route patterns, never a link, code, token or id handed to a person or an organization', async () => {
    const secrets: string[] = [];
    const cookieOf = (browser: ReturnType<TestApp['browser']>) => browser.jar.getCookie('referee', { domain: '127.0.0.1', path: '/', secure: false, script: false })!.value;

    // Sign-up with the emailed link, a code generator app and backup codes.
    const a = await applicantAtDocuments(via, 'journey');
    const signUpLink = (await messagesTo(t.db.sql, a.person.email, ['email'])).map((m) => /token=([A-Za-z0-9_-]+)/.exec(m.body)?.[1]).find(Boolean)!;
    secrets.push(a.person.email, a.person.password, signUpLink, a.person.totpSecret!, ...a.person.backupCodes, cookieOf(a.browser));

    // A phone as second factor (a one-time code by text), then a sign-in with a code sent to it.
    let page = await a.browser.get('/mfa/setup/phone');
    await a.browser.post('/mfa/setup/phone').type('form').send({ _csrf: csrfOf(page.text), channel: 'sms', label: 'Phone', country: 'FR', number: '06 12 34 56 78' });
    const setupCode = /(\d{6})/.exec((await lastTextTo(t.db.sql, '+33612345678'))!.body)![1];
    page = await a.browser.get('/mfa/setup/phone/confirm');
    expect((await a.browser.post('/mfa/setup/phone/confirm').type('form').send({ _csrf: csrfOf(page.text), code: setupCode })).status).toBe(200);
    await t.db.sql.query('delete from rate_limit'); // half a minute later: another code may be sent
    const again = via.browser();
    await passwordSignIn(again, a.person);
    page = await again.get('/mfa/challenge');
    const { rows: methods } = await t.db.sql.query(`select m.id from mfa_method m join account a on a.id = m.account_id where a.email = $1 and m.kind = 'phone'`, [a.person.email]);
    const sent = await again.post('/mfa/challenge/phone/send').type('form').send({ _csrf: csrfOf(page.text), method: methods[0].id });
    const signInCode = /(\d{6})/.exec((await lastTextTo(t.db.sql, '+33612345678'))!.body)![1];
    page = await again.get(sent.headers.location);
    expect((await again.post('/mfa/challenge/phone').type('form').send({ _csrf: csrfOf(page.text), method: methods[0].id, code: signInCode })).status).toBe(303);
    secrets.push('+33612345678', '0612345678', setupCode, signInCode, methods[0].id, cookieOf(again), csrfOf(page.text));

    // The Take Photo link, opened on a phone and uploaded to.
    await t.db.sql.query('delete from rate_limit');
    expect((await a.post('/documents/phone', { country: 'FR', number: '06 12 34 56 78' })).status).toBe(303);
    const capture = /\/capture\/([A-Za-z0-9_-]{43})/.exec((await lastTextTo(t.db.sql, '+33612345678'))!.body)![1];
    const phone = via.browser();
    page = await phone.get(`/capture/${capture}`);
    expect(page.status).toBe(200);
    const up = await phone.post(`/capture/${capture}/upload/first/photo_page`).field('_csrf', csrfOf(page.text)).attach('file', await photo(), 'IMG_0001.jpg');
    expect(up.status).toBe(303);
    expect((await phone.get(up.headers.location)).status).toBe(200);
    expect((await phone.get(`/capture/${capture.slice(0, 40)}xyz`)).status).toBe(404); // a mistyped link
    expect((await phone.get(`/captures/${capture}`)).status).toBe(404); // an address no route answers
    secrets.push(capture, capture.slice(0, 40));

    // Save & Exit, and the resume link.
    expect((await a.post('/verify/save-and-exit')).status).toBe(303);
    const resumeLink = pathOf((await lastEmailTo(t.db.sql, a.person.email))!.link!);
    const resume = new URL(resumeLink, referee.base).searchParams.get('code')!;
    await signInWith(a.browser, a.person);
    page = await a.browser.get(resumeLink);
    expect((await a.browser.post('/verify/resume').type('form').send({ _csrf: csrfOf(page.text), code: resume })).status).toBe(303);
    secrets.push(resume);

    // An organization's request: the interaction, Allow, the code, the tokens.
    const { clientId, clientSecret } = await createOrganization(t, { name: 'Log Check Agency' });
    const config = await organizationClient(`${referee.base}/oidc`, clientId, clientSecret);
    const started = await authorizationRequest(config);
    let step = await follow(a.browser, started.url.toString());
    expect(step.path).toMatch(/^\/interaction\/[^/]+$/);
    const uid = uidOf(step.path)!;
    step = await press(a.browser, step, `/interaction/${uid}/allow`);
    const callback = new URL(step.offsite!);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
    await client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck);
    expect((await a.browser.get(`/interaction/${uid}`)).status).toBeGreaterThanOrEqual(200); // a finished interaction opened again
    secrets.push(uid, callback.searchParams.get('code')!, tokens.access_token, tokens.id_token!, clientSecret!, started.state, started.nonce, started.verifier);

    await new Promise((r) => setTimeout(r, 500)); // let the log lines flush
    const log = referee.output();
    if (process.env.SHOW_LOG) console.log(log);
    const requests = log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .filter((l) => l.req && l.res)
      .map((l) => `${l.req.method} ${l.req.route} ${l.res.statusCode}`);
    expect(requests).toEqual(
      expect.arrayContaining([
        'GET /capture/:token 200',
        'POST /capture/:token/upload/:item/:side 303',
        'GET /capture/:token 404',
        'GET /captures/:param 404',
        'GET /interaction/:uid 200',
        'POST /interaction/:uid/allow 200',
        'GET /oidc/auth/:param 303',
        'POST /oidc/token 200',
      ]),
    );
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(6);
      if (log.includes(secret)) throw new Error(`the log holds a secret (${secret.slice(0, 4)}…): ${log.split('\n').find((l) => l.includes(secret))}`);
    }
  });
});
