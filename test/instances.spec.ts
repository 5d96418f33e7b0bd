import type { NestExpressApplication } from '@nestjs/platform-express';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { AuditService } from '../src/audit/audit.service';
import { NotificationsService } from '../src/notifications/notifications.service';
import { JOBS } from '../src/jobs/jobs';
import { startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { createAccount, passwordSignIn, signIn } from './harness/accounts';
import { csrfOf } from './harness/forms';
import { messagesTo } from './harness/outbox';
import { inContext } from './harness/calls';
import { createOrganization } from './oidc/flow';
import { OrganizationsService } from '../src/oidc/organizations.service';

/**
 * Two Referee instances on one PostgreSQL, as behind a load balancer: nothing that matters
 * lives in one process's memory.
 */
let t: TestApp;
let other: Awaited<ReturnType<typeof startAnotherInstance>>;

beforeAll(async () => {
  t = await startTestApp();
  other = await startAnotherInstance(t);
});
afterAll(async () => {
  await other?.close();
  await t?.close();
});

const on = (app: NestExpressApplication) => request(app.getHttpServer());

function cookieOf(agent: ReturnType<TestApp['browser']>): string {
  const cookie = agent.jar.getCookie('referee', { domain: '127.0.0.1', path: '/', secure: false, script: false });
  if (!cookie) throw new Error('no session cookie');
  return `referee=${cookie.value}`;
}

it('honours a session made on one instance on the other', async () => {
  const person = await createAccount(t, `hop.${Date.now()}@example.org`);
  const browser = await signIn(t, person);
  const res = await on(other.app).get('/account').set('Cookie', cookieOf(browser));
  expect(res.status).toBe(200);
  expect(res.text).toContain(person.email);
});

it('accepts a form from one instance posted to the other (CSRF tokens need no shared memory)', async () => {
  const person = await createAccount(t, `csrf.${Date.now()}@example.org`);
  const browser = t.browser();
  await browser.get('/sign-in');
  const page = await browser.get('/sign-in');
  const res = await on(other.app)
    .post('/sign-in')
    .set('Cookie', cookieOf(browser))
    .type('form')
    .send({ _csrf: csrfOf(page.text), email: person.email, password: person.password });
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/mfa');
});

it('counts rate limits across both instances', async () => {
  const person = await createAccount(t, `limits.${Date.now()}@example.org`);
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) {
    const app = i % 2 === 0 ? t.app : other.app;
    const agent = request.agent(app.getHttpServer());
    const page = await agent.get('/sign-in');
    statuses.push((await agent.post('/sign-in').type('form').send({ _csrf: csrfOf(page.text), email: person.email, password: `wrong password ${i}!` })).status);
  }
  expect(statuses.every((s) => s === 400)).toBe(true);
  expect((await passwordSignIn(t.browser(), person)).status).toBe(429);
  const agent = request.agent(other.app.getHttpServer());
  const page = await agent.get('/sign-in');
  expect((await agent.post('/sign-in').type('form').send({ _csrf: csrfOf(page.text), email: person.email, password: person.password })).status).toBe(429);
});

it('runs a scheduled job once when both instances fire it at the same moment', async () => {
  const delivered: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        delivered.push(session.envelope.rcptTo[0].address);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const mailing = await startTestApp({ SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}` });
  const second = await startAnotherInstance(mailing);
  try {
    // A message the provider has not taken yet, old enough for the retry job.
    await mailing.db.sql.query(
    `insert into outbox_message (id, channel, recipient, subject, body, status, attempts, created_at)
     values (gen_random_uuid(), 'email', 'retry-once@example.org', 'Hello', 'Hi', 'queued', 1, now() - interval '5 minutes')`,
  );
    // While another instance holds the job's lock, neither runs it.
    await mailing.db.sql.query('select pg_advisory_lock($1)', [JOBS['outbox-retry'].lock]);
    await Promise.all([mailing.app.get(NotificationsService).retryQueued(), second.app.get(NotificationsService).retryQueued()]);
    expect(delivered).toHaveLength(0);
    await mailing.db.sql.query('select pg_advisory_unlock($1)', [JOBS['outbox-retry'].lock]);
    // Fired by both at the same moment, it runs once.
    await Promise.all([mailing.app.get(NotificationsService).retryQueued(), second.app.get(NotificationsService).retryQueued()]);
    expect(delivered.filter((to) => to === 'retry-once@example.org')).toHaveLength(1);
    const rows = await messagesTo(mailing.db.sql, 'retry-once@example.org');
    expect(rows[0]).toMatchObject({ status: 'sent', attempts: 2 });
    // The runner recorded the one run that sent it (the supervisor's page shows it).
    const runs = await mailing.db.sql.query(`select rows, failed from job_run where job = 'outbox-retry' and rows > 0`);
    expect(runs.rows).toEqual([{ rows: 1, failed: false }]);
  } finally {
    await second.close();
    await mailing.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  }
});

it('keeps one unbroken audit chain when both instances write at once', async () => {
  const people = await Promise.all([0, 1, 2, 3].map((i) => createAccount(t, `chain${i}.${Date.now()}@example.org`)));
  await Promise.all(
    people.flatMap((person, i) => [
      passwordSignIn(request.agent((i % 2 ? t.app : other.app).getHttpServer()), person),
      passwordSignIn(request.agent((i % 2 ? other.app : t.app).getHttpServer()), { ...person, password: 'not the password at all' }),
    ]),
  );
  const result = await t.app.get(AuditService).verifyChain();
  expect(result.brokenAt).toBeNull();
  expect(result.checked).toBeGreaterThanOrEqual(8);
});

it('applies a change to an organization made through one instance to the OpenID requests the other serves', async () => {
  const { clientId } = await createOrganization(t, { redirectUris: ['https://org.example/old'] });
  const authorize = (redirectUri: string) =>
    on(other.app).get(`/oidc/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: redirectUri, state: 's', nonce: 'n' })}`);
  // The other instance has read (and may keep) the organization as it was.
  for (let i = 0; i < 5; i++) {
    expect((await authorize('https://org.example/old')).status).toBe(303);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await inContext(t, () => t.app.get(OrganizationsService).update(clientId, { redirectUris: ['https://org.example/new'] }));
  // Within moments (the change is announced by the database), the old address is refused there and the new one accepted.
  const deadline = Date.now() + 2000;
  let refused = await authorize('https://org.example/old');
  while (refused.status !== 400 && Date.now() < deadline) refused = await authorize('https://org.example/old');
  expect(refused.status).toBe(400);
  expect(refused.text).toContain('redirect_uri did not match');
  expect((await authorize('https://org.example/new')).status).toBe(303);
});
