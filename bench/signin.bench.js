'use strict';
/**
 * signin: complete password sign-ins per second, each one as a browser does it: GET
 * /sign-in (a fresh cookie and its CSRF token), then POST /sign-in with the right password,
 * answered 303 to /account (or to /mfa, the second factor, once that is required) with a new cookie. N concurrent clients (N = CPU cores),
 * rotating over pre-created, confirmed accounts.
 *
 * Baseline argon2.verify: bare argon2id verifications per second with @node-rs/argon2's
 * async verify (its own threads), same cost and same concurrency, in this process while
 * the Referee child is idle, in slices alternating with the sign-in ones (lib.interleave).
 */
const os = require('node:os');
const { Client } = require('pg');
const { autocannon, formatSeconds, interleave, requireDist, withCpu } = require('./lib');

const ACCOUNTS = 20;
const PASSWORD = 'bench: correct horse battery staple';
const CSRF = /name="_csrf" value="([^"]+)"/;

const email = (i) => `bench-${i}@bench.referee.test`;

/**
 * Where a right password sends the browser: the account page, or (once a second factor is
 * required after the password) /mfa. Either way the password step of the sign-in is complete.
 */
const SIGNED_IN = /^\/(account|mfa)([/?]|$)/;

/** Confirmed accounts, written straight into the database with the application's own hasher. */
async function createAccounts(databaseUrl, cost) {
  const { PasswordHasher } = requireDist('src/identity/passwords.js');
  const hasher = new PasswordHasher(cost);
  const hashes = await Promise.all(Array.from({ length: ACCOUNTS }, () => hasher.hash(PASSWORD)));
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  try {
    for (let i = 0; i < ACCOUNTS; i++) {
      await sql.query(
        `insert into account (id, email, password_hash, email_confirmed_at, failed_sign_ins, created_at)
         values (gen_random_uuid(), $1, $2, now(), 0, now())
         on conflict (email) do update set password_hash = excluded.password_hash, failed_sign_ins = 0`,
        [email(i), hashes[i]],
      );
    }
  } finally {
    await sql.end();
  }
  return hashes;
}

/** The value of cookie `name` among Set-Cookie headers (string or array), or undefined. */
function cookieFrom(setCookie, name) {
  for (const header of [].concat(setCookie ?? [])) {
    const match = new RegExp(`^${name}=([^;]*)`).exec(header);
    if (match) return match[1];
  }
  return undefined;
}

/** Headers from autocannon keep the server's capitalisation. */
function lower(headers) {
  const out = {};
  for (const [key, value] of Object.entries(headers ?? {})) out[key.toLowerCase()] = value;
  return out;
}

/** One sign-in with fetch, checked end to end (including the account page); returns the signed-in Cookie header. */
async function signInOnce(url, account) {
  const page = await fetch(`${url}/sign-in`);
  const cookie = cookieFrom(page.headers.getSetCookie(), 'referee');
  const csrf = CSRF.exec(await page.text())?.[1];
  if (page.status !== 200 || !cookie || !csrf) throw new Error(`GET /sign-in: ${page.status}, cookie ${!!cookie}, _csrf ${!!csrf}`);
  const answer = await fetch(`${url}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `referee=${cookie}` },
    body: new URLSearchParams({ _csrf: csrf, email: account, password: PASSWORD }).toString(),
  });
  const signedIn = cookieFrom(answer.headers.getSetCookie(), 'referee');
  const location = answer.headers.get('location');
  if (answer.status !== 303 || !SIGNED_IN.test(location ?? '') || !signedIn) {
    throw new Error(`POST /sign-in answered ${answer.status} (location ${location}) instead of 303 to /account`);
  }
  // The signed-in browser reaches a page there (/mfa may send it on to /mfa/setup or /mfa/challenge).
  let path = location;
  for (let hops = 0; ; hops++) {
    const page = await fetch(`${url}${path}`, { redirect: 'manual', headers: { cookie: `referee=${signedIn}` } });
    if (page.status === 200) break;
    const to = page.headers.get('location');
    if (page.status !== 303 || !SIGNED_IN.test(to ?? '') || hops === 3) {
      throw new Error(`GET ${path} after signing in answered ${page.status}${to ? ` (to ${to})` : ''}`);
    }
    path = to;
  }
  return `referee=${signedIn}`;
}

/** Sign-ins during `duration` s with autocannon ({ count, seconds }): each connection is one client doing GET then POST, again and again. */
async function measureSignIns(url, connections, duration) {
  let next = 0;
  let signIns = 0;
  let failures = 0;
  const examples = new Set();
  const fail = (what) => {
    failures++;
    if (examples.size < 5) examples.add(what);
  };
  const result = await autocannon({
    url,
    connections,
    duration,
    requests: [
      {
        method: 'GET',
        path: '/sign-in',
        onResponse(status, body, context, headers) {
          context.cookie = cookieFrom(lower(headers)['set-cookie'], 'referee');
          context.csrf = CSRF.exec(body)?.[1];
          if (status !== 200 || !context.cookie || !context.csrf) fail(`GET /sign-in answered ${status}`);
        },
      },
      {
        method: 'POST',
        path: '/sign-in',
        setupRequest(request, context) {
          if (!context.cookie || !context.csrf) return null; // start again with a GET
          const account = email(next++ % ACCOUNTS);
          return {
            ...request,
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `referee=${context.cookie}` },
            body: new URLSearchParams({ _csrf: context.csrf, email: account, password: PASSWORD }).toString(),
          };
        },
        onResponse(status, _body, _context, headers) {
          const h = lower(headers);
          if (status === 303 && SIGNED_IN.test(h.location ?? '') && cookieFrom(h['set-cookie'], 'referee')) signIns++;
          else fail(`POST /sign-in answered ${status} (location ${h.location})`);
        },
      },
    ],
  });
  if (result.errors) fail(`${result.errors} connection errors`);
  if (result.timeouts) fail(`${result.timeouts} timeouts`);
  if (failures) throw new Error(`sign-in failed ${failures} times: ${[...examples].join('; ')}`);
  if (!signIns) throw new Error('no sign-in completed');
  return { count: signIns, seconds: result.duration };
}

/** Bare argon2id verifications ({ count, seconds }): `concurrency` loops of async verify for `seconds`. */
async function measureVerify(hashes, concurrency, seconds) {
  const { verify } = require('@node-rs/argon2');
  let count = 0;
  let i = 0;
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (!(await verify(hashes[i++ % hashes.length], PASSWORD))) throw new Error('argon2 verify said the right password was wrong');
        count++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { count, seconds: (performance.now() - start) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

module.exports = {
  name: 'signin',
  // For later benchmarks that need signed-in browsers (e.g. oidc.code-flow).
  helpers: { ACCOUNTS, PASSWORD, email, createAccounts, signInOnce, measureSignIns, measureVerify },
  figures: ['signin', 'argon2.verify'],

  async run(ctx) {
    const clients = os.availableParallelism();
    const { loadConfig } = requireDist('src/config/config.js');
    const referee = await ctx.referee();
    // The cost Referee uses (config.argon2), read from the server's own environment.
    const cost = loadConfig(referee.env).argon2;
    const hashes = await createAccounts(referee.databaseUrl, cost);

    await signInOnce(referee.url, email(0));
    // Alternating slices: the Referee child is idle while the baseline runs, and vice versa.
    const perSecond = await interleave({
      baseline: (seconds) => measureVerify(hashes, clients, seconds), // reports its own CPU time
      subject: (seconds) => withCpu(referee.cpuSeconds, () => measureSignIns(referee.url, clients, seconds)),
    });

    ctx.report.add({
      name: 'signin',
      value: perSecond.subject,
      unit: 'sign-ins/s',
      baseline: { name: 'argon2.verify', value: perSecond.baseline },
      target: { of: 'ratio', min: 0.6 },
    });
    ctx.report.add({ name: 'argon2.verify', value: perSecond.baseline, unit: 'verifications/s' });
    console.log(
      `  (${clients} concurrent clients, ${ACCOUNTS} accounts, argon2id m=${cost.memoryKiB} KiB t=${cost.passes} p=${cost.parallelism}; ` +
        `CPU per sign-in ${formatSeconds(perSecond.cpuPer.subject)} in the Referee process (PostgreSQL not counted), ` +
        `per bare verification ${formatSeconds(perSecond.cpuPer.baseline)})`,
    );
  },
};
