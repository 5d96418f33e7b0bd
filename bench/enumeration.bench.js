'use strict';
/**
 * enumeration.reset, enumeration.sign-in: can response times tell whether an email address
 * has an account? For each form, 200 requests for addresses that have one and 200 for
 * addresses that do not, interleaved over one keep-alive connection to the running Referee
 * (one request at a time, 15 ms apart), each timed from sending to the last byte of the
 * answer. The figure is the absolute difference of the two medians; target < 0.5 ms. It is
 * printed beside the same figure between two halves of the known requests: the noise of the
 * moment, which on a busy machine can be larger than the target.
 *
 * Interleaved as known, known, unknown, unknown, … rather than shuffled or strictly
 * alternating: a burst of load from elsewhere on the machine then covers both kinds alike (a
 * shuffle lets it fall on one kind more, by chance), and each kind follows each kind equally
 * often, so work a request leaves the server doing after its answer (strict alternation would
 * always put it on the other kind) weighs on both kinds alike.
 *
 *   POST /password-reset   a known address, or an unknown one
 *   POST /sign-in          a known address with a wrong password, or an unknown address
 *                          (a stranger does not know the password)
 */
const { Client } = require('pg');
const { formatSeconds, requireDist, sleep } = require('./lib');

const REQUESTS = 200;
const WARMUP = 20;
const TARGET_MS = 0.5;
const PAUSE_MS = 15;
const PASSWORD = 'bench: correct horse battery staple';
const CSRF = /name="_csrf" value="([^"]+)"/;

const known = (i) => `enum-known-${i}@bench.referee.test`;
const unknown = (run, i) => `enum-unknown-${run}-${i}@bench.referee.test`;

/**
 * Confirmed accounts, each with its own argon2 hash at the server's cost (argon2id's time
 * varies a little with the salt, so one hash shared by all would be one account's time).
 */
async function createAccounts(databaseUrl, cost, count) {
  const { PasswordHasher } = requireDist('src/identity/passwords.js');
  const hasher = new PasswordHasher(cost);
  const hashes = await Promise.all(Array.from({ length: count }, () => hasher.hash(PASSWORD)));
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  try {
    await sql.query(
      `insert into account (id, email, password_hash, email_confirmed_at, failed_sign_ins, created_at)
       select gen_random_uuid(), 'enum-known-' || (i - 1) || '@bench.referee.test', h, now(), 0, now() from unnest($1::text[]) with ordinality as t(h, i)
       on conflict (email) do update set password_hash = excluded.password_hash, failed_sign_ins = 0`,
      [hashes],
    );
  } finally {
    await sql.end();
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A browser's cookie and the CSRF token of the form at `page`. */
async function openForm(url, page) {
  const answer = await fetch(`${url}${page}`);
  const cookie = /^referee=([^;]*)/.exec(answer.headers.getSetCookie().find((c) => c.startsWith('referee=')) ?? '')?.[1];
  const csrf = CSRF.exec(await answer.text())?.[1];
  if (answer.status !== 200 || !cookie || !csrf) throw new Error(`GET ${page}: ${answer.status}, cookie ${!!cookie}, _csrf ${!!csrf}`);
  return { cookie: `referee=${cookie}`, csrf };
}

/**
 * Times one POST (ms) and checks its answer: `expected` is the status both kinds must get
 * (the forms answer alike; a difference would be a bug of its own, not a timing).
 */
async function timedPost(url, path, form, fields, expected) {
  const body = new URLSearchParams({ _csrf: form.csrf, ...fields }).toString();
  const start = performance.now();
  const answer = await fetch(`${url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    body,
  });
  await answer.arrayBuffer();
  const ms = performance.now() - start;
  if (answer.status !== expected) throw new Error(`POST ${path} answered ${answer.status} instead of ${expected}`);
  return ms;
}

/** Medians (ms) of the known and unknown requests, interleaved. */
async function measure(url, { page, path, expected, fields }, run) {
  const form = await openForm(url, page);
  // known, known, unknown, unknown, again and again (from a random point of the cycle): any
  // 4 requests in a row hold 2 of each kind, so noise that comes and goes (other processes on
  // the machine) weighs on both alike, and each kind follows each kind equally often, so
  // work a request leaves the server doing after its answer weighs on both alike too.
  const start = Math.floor(Math.random() * 4);
  const next = { known: 0, unknown: 0 };
  const order = Array.from({ length: 2 * REQUESTS }, (_, i) => {
    const kind = (start + i) % 4 < 2 ? 'known' : 'unknown';
    const n = next[kind]++;
    return { kind, email: kind === 'known' ? known(n) : unknown(run, n) };
  });
  // Warm-up on both paths (JIT, connection pool, first rendering), not counted.
  for (let i = 0; i < WARMUP; i++) {
    const email = i % 2 ? known(REQUESTS + i) : unknown(`${run}-warm`, i);
    await timedPost(url, path, form, fields(email), expected);
  }
  const times = { known: [], unknown: [] };
  for (const { kind, email } of order) {
    times[kind].push(await timedPost(url, path, form, fields(email), expected));
    // A pause after each: what a request leaves the server doing (mail after the answer) is
    // done before the next one starts, so no request is timed against another's work.
    await sleep(PAUSE_MS);
  }
  // The same figure between two halves of one kind (every other request with an account, so
  // both halves see the same moments): what noise alone gives at this load, for reading the figure.
  const halves = [0, 1].map((h) => times.known.filter((_, i) => i % 2 === h));
  return { known: median(times.known), unknown: median(times.unknown), noise: Math.abs(median(halves[0]) - median(halves[1])) };
}

const FORMS = {
  'enumeration.reset': { page: '/password-reset', path: '/password-reset', expected: 200, fields: (email) => ({ email }) },
  'enumeration.sign-in': { page: '/sign-in', path: '/sign-in', expected: 400, fields: (email) => ({ email, password: 'not the password of anyone here' }) },
};

module.exports = {
  name: 'enumeration',
  figures: Object.keys(FORMS),

  async run(ctx) {
    const { loadConfig } = requireDist('src/config/config.js');
    const referee = await ctx.referee();
    await createAccounts(referee.databaseUrl, loadConfig(referee.env).argon2, REQUESTS + WARMUP);
    const wanted = process.argv.slice(2);
    for (const [name, form] of Object.entries(FORMS)) {
      if (wanted.length && !wanted.some((w) => w === name || w === 'enumeration' || 'enumeration.bench.js'.startsWith(w))) continue;
      const medians = await measure(referee.url, form, name);
      ctx.report.add({ name, value: Math.abs(medians.known - medians.unknown), unit: 'ms', target: { of: 'value', max: TARGET_MS } });
      console.log(
        `  (median of ${REQUESTS} each: ${formatSeconds(medians.known / 1e3)} with an account, ${formatSeconds(medians.unknown / 1e3)} without; ` +
          `POST ${form.path}, one request at a time, ${PAUSE_MS} ms apart; the same figure between two halves of the known ones: ${formatSeconds(medians.noise / 1e3)})`,
      );
    }
  },
};
