'use strict';
/**
 * queue.claim: 50 agents at once pressing "Next applicant" against 10,000 waiting applicants,
 * each claim the exact statement of QueueService.claimNext (UPDATE … FROM (SELECT … FOR UPDATE
 * SKIP LOCKED)) in its own transaction on its own connection. Reports claims per second,
 * the p99 latency of one claim, and double claims (an applicant given to two agents: must be 0).
 */
const { randomUUID } = require('node:crypto');
const { requireDist } = require('./lib');

const AGENTS = 50;
const WAITING = 10_000;

module.exports = {
  name: 'queue.claim',
  figures: ['queue.claim', 'queue.claim.p99', 'queue.claim.double'],

  async run(ctx) {
    const { Client, Pool } = require('pg');
    const { CLAIM_SQL } = requireDist('src/scheduling/queue.queries.js');
    const { url } = await ctx.postgres();
    const setup = new Client({ connectionString: url });
    await setup.connect();
    setup.on('error', () => {});
    const stopSetup = ctx.cleanup.add('the queue.claim setup connection', () => setup.end());
    // 10,000 applicants with approved documents, waiting in the queue, a second apart.
    await setup.query(`delete from queue_entry`);
    await setup.query(`
      with a as (
        insert into account (id, email, password_hash, created_at)
        select gen_random_uuid(), 'bench-queue-' || g || '-' || extract(epoch from now())::bigint || '@example.org', 'x', now()
          from generate_series(1, $1) g
        returning id
      ), c as (
        insert into verification_case (id, account_id, status, documents, supporting_confirmed, created_at, updated_at)
        select gen_random_uuid(), a.id, 'queued', '[]', '[]', now(), now() from a
        returning id, account_id
      )
      insert into queue_entry (id, verification_case_id, account_id, status, joined_at, last_seen_at)
      select gen_random_uuid(), c.id, c.account_id, 'waiting', now() - make_interval(secs => row_number() over ()), now() from c`, [WAITING]);

    let n = 0;
    const sql = CLAIM_SQL.replace(/\?/g, () => `$${++n}`);
    const pool = new Pool({ connectionString: url, max: AGENTS });
    pool.on('error', () => {}); // idle connections closed when PostgreSQL stops at the end
    const stopPool = ctx.cleanup.add('the queue.claim pool', () => pool.end());
    const latencies = [];
    const claimedIds = [];
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: AGENTS }, async () => {
        const agent = randomUUID();
        const client = await pool.connect();
        try {
          for (;;) {
            const t0 = process.hrtime.bigint();
            await client.query('begin');
            const { rows } = await client.query(sql, [agent, new Date(Date.now() - 60 * 60_000)]);
            await client.query('commit');
            if (!rows.length) break;
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            claimedIds.push(rows[0].id);
          }
        } finally {
          client.release();
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await stopPool();
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
    const double = claimedIds.length - new Set(claimedIds).size;
    const { rows: [left] } = await setup.query(`select count(*)::int as n from queue_entry where status = 'waiting'`);
    await stopSetup();
    if (claimedIds.length !== WAITING || left.n !== 0) throw new Error(`claimed ${claimedIds.length} of ${WAITING}, ${left.n} left waiting`);

    ctx.report.add({ name: 'queue.claim', value: claimedIds.length / seconds, unit: 'claims/s', target: { of: 'value', min: 1000 } });
    ctx.report.add({ name: 'queue.claim.p99', value: p99, unit: 'ms', target: { of: 'value', max: 50 } });
    ctx.report.add({ name: 'queue.claim.double', value: double, unit: 'claims', target: { of: 'value', max: 0 } });
    console.log(`  (${AGENTS} agents, ${WAITING} applicants claimed in ${seconds.toFixed(2)} s)`);
  },
};
