import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { PROJECT_ROOT } from '../src/config/paths';
import { createTestDatabase, type TestDatabase } from './harness/app';
import { signInWith, type TestPerson } from './harness/accounts';
import { csrfOf } from './harness/forms';
import { lastEmailTo, pathOf } from './harness/outbox';
import { freePort } from './harness/ports';


/** Referee started the way `npm start` starts it, its JSON log captured from stdout. */
describe('the running service and its logs', () => {
  let db: TestDatabase;
  let child: ChildProcess;
  let stdout = '';
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/src/main.js')], {
      env: { PATH: process.env.PATH!, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'info', SESSION_SECRET: randomBytes(32).toString('base64url') },
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
    expect(requests.map((l) => `${l.req.method} ${l.req.path} ${l.res.statusCode}`)).toEqual(
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
