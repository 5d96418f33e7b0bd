import { MikroORM } from '@mikro-orm/postgresql';
import type { Pool, PoolClient } from 'pg';
import { startTestApp, type TestApp } from './harness/app';
import { newApplicant, toIdentifierStep, type Applicant } from './harness/verification';

/**
 * Database work per page (issue 9, item 9): each applicant page costs at most 5 queries.
 * Counted at the pg pool, under MikroORM: every statement that reaches PostgreSQL.
 */
let t: TestApp;
let a: Applicant;
let queries = 0;

beforeAll(async () => {
  t = await startTestApp();
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

async function queriesFor(path: string): Promise<{ status: number; queries: number }> {
  await a.browser.get(path); // warm: first visits may create what later ones read
  queries = 0;
  const res = await a.browser.get(path);
  return { status: res.status, queries };
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
