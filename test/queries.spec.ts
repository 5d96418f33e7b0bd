import { MikroORM } from '@mikro-orm/postgresql';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Pool, PoolClient } from 'pg';
import { randomUUID } from 'node:crypto';
import { createAccount, grantRoles, signIn } from './harness/accounts';
import { startTestApp, type TestApp } from './harness/app';
import { newApplicant, toIdentifierStep, type Applicant } from './harness/verification';

/**
 * Database work per page: each applicant page costs at most 5 queries.
 * Counted at the pg pool, under MikroORM: every statement that reaches PostgreSQL.
 */
let t: TestApp;
let a: Applicant;
let queries = 0;

beforeAll(async () => {
  t = await startTestApp();
  // Counted process-wide: a scheduled job or the signing keys' refresh firing meanwhile would count as the page's.
  const scheduler = t.app.get(SchedulerRegistry);
  for (const job of scheduler.getCronJobs().values()) void job.stop();
  for (const name of scheduler.getIntervals()) scheduler.deleteInterval(name);
  const pool = (await t.app.get(MikroORM).em.getConnection().getNativeClient()) as Pool;
  const counted = new WeakSet<PoolClient>();
  const count = (client: PoolClient) => {
    if (counted.has(client)) return client;
    counted.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      queries++;
      return query(...args);
    };
    return client;
  };
  // pg's pool hands out clients by promise (kysely) or by callback (pool.query, the rate limiter).
  const connect = pool.connect.bind(pool) as (callback?: (err: Error | undefined, client: PoolClient, done: unknown) => void) => Promise<PoolClient> | void;
  (pool as unknown as { connect: unknown }).connect = (callback?: (err: Error | undefined, client: PoolClient, done: unknown) => void) =>
    callback ? connect((err, client, done) => callback(err, client && count(client), done)) : (connect() as Promise<PoolClient>).then(count);
  a = await newApplicant(t);
  await toIdentifierStep(a);
}, 60_000);
afterAll(() => t?.close());

async function queriesFor(path: string, browser = a.browser): Promise<{ status: number; queries: number; text: string }> {
  await browser.get(path); // warm: first visits may create what later ones read
  queries = 0;
  const res = await browser.get(path);
  return { status: res.status, queries, text: res.text };
}

it.each(['/', '/account', '/verify', '/verify/ssn', '/verify/details', '/mfa/methods', '/help', '/support/requests', '/account/organizations'])(
  'serves %s to a signed-in applicant with at most 5 queries',
  async (path) => {
    const { status, queries: count } = await queriesFor(path);
    expect(status).toBeLessThan(400);
    expect(count).toBeLessThanOrEqual(5);
    console.log(`queries ${path}: ${count}`);
  },
);

describe("the supervisor's page", () => {
  /**
   * A fixed number of queries, whatever the number of agents: one per table for the per-agent
   * figures (decisions, calls, then the agents' emails together), one per chart and per kind of
   * claimed work. Agents with work are added, and the count must not move.
   */
  it('costs at most 18 queries (16, and the recordings’ two lists; 12 for the 10-second refresh), and no more with more agents at work', async () => {
    const supervisor = await createAccount(t, `supervisor.${Date.now()}@example.org`);
    await grantRoles(t, supervisor.email, ['supervisor']);
    const browser = await signIn(t, supervisor);
    // Agents, each with decisions, finished calls, a claimed review and a call in progress.
    const caseId = (await a.row()).id;
    const applicantId = (await a.row()).account_id;
    const addAgents = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const agent = await createAccount(t, `agent${randomUUID().slice(0, 8)}@referee.example`);
        const { rows } = await t.db.sql.query('select id from account where email = $1', [agent.email]);
        const id = rows[0].id;
        await t.db.sql.query(
          `insert into document_decision (id, verification_case_id, reviewer_id, submitted_at, claimed_at, decided_at, outcome)
           values ($1, $2, $3, now() - interval '20 minutes', now() - interval '10 minutes', now(), 'approved'),
                  ($4, $2, $3, now() - interval '3 days', now() - interval '3 days', now() - interval '3 days' + interval '5 minutes', 'documents_rejected')`,
          [randomUUID(), caseId, id, randomUUID()],
        );
        await t.db.sql.query(`insert into document_review (case_id, submitted_at, claimed_by, claimed_at, last_activity_at, decisions) values ($1, now(), $2, now(), now(), '{}')`, [randomUUID(), id]);
        for (const status of ['ended', 'active']) {
          await t.db.sql.query(
            `insert into video_call (id, verification_case_id, applicant_id, agent_id, room, status, started_at, ended_at, outcome, events)
             values ($1, $2, $3, $4, $5, $6, now() - interval '15 minutes', $7, $8, '[]')`,
            [randomUUID(), caseId, applicantId, id, `room-${randomUUID()}`, status, status === 'ended' ? new Date() : null, status === 'ended' ? 'verified' : null],
          );
        }
      }
    };
    await addAgents(1);
    const one = await queriesFor('/supervisor', browser);
    const oneLive = await queriesFor('/supervisor?live=1', browser);
    expect(one.status).toBe(200);
    await addAgents(3);
    const busy = await queriesFor('/supervisor', browser);
    const busyLive = await queriesFor('/supervisor?live=1', browser);
    expect(busy.text.match(/<tr data-agent=/g)).toHaveLength(4);
    expect(busy.text.match(/<tr data-case=/g)).toHaveLength(4);
    expect(busy.text.match(/<tr data-call=/g)).toHaveLength(4);
    expect(busy.queries).toBe(one.queries);
    expect(busyLive.queries).toBe(oneLive.queries);
    expect(busy.queries).toBeLessThanOrEqual(18);
    expect(busyLive.queries).toBeLessThanOrEqual(12);
    console.log(`queries /supervisor: ${busy.queries}, /supervisor?live=1: ${busyLive.queries}`);
  });
});
