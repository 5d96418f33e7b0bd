'use strict';
/**
 * page.status: requests per second of GET /documents/review/status, a signed-in applicant's
 * case status page (documents sent, a reviewer checking them; the hold page polls it), as the
 * whole page a browser opens. Each connection is its own applicant: a session after both
 * factors, a case in review with two documents chosen and sent. Against nest.hello, a bare
 * NestJS app answering 'hello', in alternating slices (lib.interleave).
 */
const { createHash, randomBytes } = require('node:crypto');
const { Client } = require('pg');
const { autocannon, formatSeconds, interleave, measureGet, withCpu } = require('./lib');

const CONNECTIONS = 50;
const PATH = '/documents/review/status';
const PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$0000000000000000000000000000000000000000000';
const DOCUMENTS = [
  { slot: 'first', type: 'us_passport_card' },
  { slot: 'second', type: 'us_drivers_license' },
];

/** Applicants with a case in review, written like the flow leaves them; returns their cookies. */
async function seedApplicants(databaseUrl, count) {
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  const cookies = [];
  const run = randomBytes(4).toString('hex');
  try {
    for (let i = 0; i < count; i++) {
      const key = randomBytes(32).toString('base64url');
      const { rows } = await sql.query(
        `insert into account (id, email, password_hash, email_confirmed_at, failed_sign_ins, created_at)
         values (gen_random_uuid(), $1, $2, now(), 0, now()) returning id`,
        [`bench-status-${run}-${i}@bench.referee.test`, PASSWORD_HASH],
      );
      const accountId = rows[0].id;
      await sql.query(
        `insert into session (id, account_id, created_at, last_seen_at, expires_at, authenticated_at, second_factor_at)
         values ($1, $2, now(), now(), now() + interval '12 hours', now(), now())`,
        [createHash('sha256').update(key).digest('hex'), accountId],
      );
      const { rows: cases } = await sql.query(
        `insert into verification_case (id, account_id, status, method, track, international_reason, documents, supporting_confirmed, created_at, updated_at)
         values (gen_random_uuid(), $1, 'in_review', 'international', 'international', 'no_us_residence', $2, '[]', now(), now()) returning id`,
        [accountId, JSON.stringify(DOCUMENTS)],
      );
      const caseId = cases[0].id;
      for (const { slot, type } of DOCUMENTS) {
        for (const side of ['front', 'back']) {
          await sql.query(
            `insert into document_file (id, verification_case_id, item, document_type, side, storage_key, wrapped_key, sha256, mime, bytes, width, height, hints, via, created_at)
             values (gen_random_uuid(), $1, $2, $3, $4, $5, 'bench', $6, 'image/jpeg', 1000, 1600, 1000, '[]', 'upload', now())`,
            [caseId, slot, type, side, `bench/${caseId}/${slot}-${side}`, randomBytes(32).toString('hex')],
          );
        }
      }
      await sql.query(`insert into document_review (case_id, submitted_at, submissions, decisions) values ($1, now(), 1, '{}')`, [caseId]);
      cookies.push(`referee=${key}`);
    }
  } finally {
    await sql.end();
  }
  return cookies;
}

/** Answers during `duration` s ({ count, seconds }); each connection keeps one applicant's cookie. */
async function measureStatus(url, cookies, duration) {
  let next = 0;
  let bad = 0;
  let example;
  const result = await autocannon({
    url,
    connections: cookies.length,
    duration,
    requests: [
      {
        method: 'GET',
        path: PATH,
        setupRequest(request, context) {
          context.cookie ??= cookies[next++ % cookies.length];
          return { ...request, headers: { cookie: context.cookie } };
        },
        onResponse(status, body) {
          if (status !== 200 || !body.includes('A reviewer is checking your documents')) {
            bad++;
            example ??= `${status}: ${body.slice(0, 120)}`;
          }
        },
      },
    ],
  });
  const problems = [];
  if (bad) problems.push(`${bad} answers without the status page (${example})`);
  if (result.errors) problems.push(`${result.errors} errors`);
  if (result.timeouts) problems.push(`${result.timeouts} timeouts`);
  if (!result.requests.total) problems.push('no answer at all');
  if (problems.length) throw new Error(`GET ${PATH}: ${problems.join(', ')}`);
  return { count: result.requests.total, seconds: result.duration };
}

module.exports = {
  name: 'page.status',
  figures: ['page.status'],

  async run(ctx) {
    const hello = await ctx.startServer({ name: 'nest.hello', script: 'nest-hello.js' });
    const referee = await ctx.referee();
    const cookies = await seedApplicants(referee.databaseUrl, CONNECTIONS);
    await measureStatus(referee.url, cookies.slice(0, 1), 0.5); // fails early, with the answer, if the page is not served

    const perSecond = await interleave({
      baseline: (seconds) => withCpu(hello.cpuSeconds, () => measureGet(`${hello.url}/`, { connections: CONNECTIONS, duration: seconds })),
      subject: (seconds) => withCpu(referee.cpuSeconds, () => measureStatus(referee.url, cookies, seconds)),
    });
    await hello.stop();

    ctx.report.add({
      name: 'page.status',
      value: perSecond.subject,
      unit: 'req/s',
      baseline: { name: 'nest.hello', value: perSecond.baseline },
      target: { of: 'ratio', min: 0.2 },
    });
    console.log(
      `  (${CONNECTIONS} signed-in applicants, one per connection, each with a case in review; nest.hello ${Math.round(perSecond.baseline)} req/s in the same run; ` +
        `server CPU per request: ${formatSeconds(perSecond.cpuPer.subject)} Referee (PostgreSQL not counted), ${formatSeconds(perSecond.cpuPer.baseline)} nest.hello)`,
    );
  },
};
