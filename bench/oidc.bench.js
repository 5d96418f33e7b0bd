'use strict';
/**
 * oidc.code-flow: complete OpenID Connect flows per second, as an organization's users make
 * them once they have signed in and consented before: GET /oidc/auth (an existing Referee
 * session and grant: straight back with a code) → POST /oidc/token (client_secret_basic, PKCE)
 * → GET /oidc/me (userinfo). N concurrent clients (N = CPU cores), each its own browser.
 *
 * Baseline oidc-provider.memory: the same three requests against a plain oidc-provider with
 * its memory adapter (bench/servers/oidc-provider-memory.js), measured in the same run.
 */
const { createHash, randomBytes } = require('node:crypto');
const os = require('node:os');
const { Client } = require('pg');
const { autocannon, formatSeconds, interleave, requireDist, withCpu } = require('./lib');

const CALLBACK = 'https://bench.example/cb';
const VERIFIER = 'bench-pkce-verifier-bench-pkce-verifier-0123456789';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
/** The baseline's static client. */
const BASELINE_CLIENT = { client_id: 'bench', client_secret: randomBytes(32).toString('base64url'), redirect_uris: ['https://bench.example/cb'] };
const PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$0000000000000000000000000000000000000000000';

/** Cookies of one simulated browser (names only; paths are ignored: every request gets all of them). */
class Jar {
  constructor(initial = {}) {
    this.cookies = new Map(Object.entries(initial));
  }
  take(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (value) this.cookies.set(name, value);
      else this.cookies.delete(name);
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function get(url, jar) {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.take(response);
  return response;
}

async function post(url, jar, form) {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  jar.take(response);
  return response;
}

const authorizePath = (clientId, i) =>
  `/oidc/auth?${new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: CALLBACK,
    scope: 'openid email',
    state: `s${i}`,
    nonce: `n${i}`,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
  })}`;

/** A confirmed account with a two-factor session (as after sign-in), and an organization; written like an operator would. */
async function seedReferee(databaseUrl, clients) {
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  const clientId = `bench-${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const browsers = [];
  try {
    await sql.query(
      `insert into organization (id, client_id, name, redirect_uris, post_logout_redirect_uris, allowed_scopes, allowed_claims, requires_ssn,
         token_endpoint_auth_method, client_secret_hash, created_at, updated_at)
       values (gen_random_uuid(), $1, 'Bench Agency', $2, '[]', '["openid","email"]', '["email","email_verified"]', false, 'client_secret_basic', $3, now(), now())`,
      [clientId, JSON.stringify([CALLBACK]), createHash('sha256').update(secret).digest('hex')],
    );
    for (let i = 0; i < clients; i++) {
      const key = randomBytes(32).toString('base64url');
      const { rows } = await sql.query(
        `insert into account (id, email, password_hash, email_confirmed_at, failed_sign_ins, created_at)
         values (gen_random_uuid(), $1, $2, now(), 0, now()) returning id`,
        [`bench-oidc-${clientId}-${i}@bench.referee.test`, PASSWORD_HASH],
      );
      await sql.query(
        `insert into session (id, account_id, created_at, last_seen_at, expires_at, authenticated_at, second_factor_at)
         values ($1, $2, now(), now(), now() + interval '12 hours', now(), now())`,
        [createHash('sha256').update(key).digest('hex'), rows[0].id],
      );
      browsers.push(new Jar({ referee: key }));
    }
  } finally {
    await sql.end();
  }
  return { clientId, secret, browsers };
}

/** One full flow with fetch, through sign-in and consent the first time (Referee's interaction pages). */
async function consentOnce(url, clientId, jar) {
  let response = await get(`${url}${authorizePath(clientId, 0)}`, jar);
  for (let hops = 0; hops < 10; hops++) {
    const location = response.headers.get('location');
    if (location?.startsWith(CALLBACK)) return new URL(location).searchParams.get('code');
    if (location) {
      response = await get(new URL(location, url).toString(), jar);
      continue;
    }
    const html = await response.text();
    const refresh = /content="0;url=([^"]+)"/.exec(html);
    if (refresh) {
      response = await get(new URL(refresh[1].replace(/&amp;/g, '&'), url).toString(), jar);
      continue;
    }
    const allow = /action="(\/interaction\/[^"]+\/allow)"/.exec(html);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html);
    if (allow && csrf) {
      response = await post(`${url}${allow[1]}`, jar, { _csrf: csrf[1] });
      continue;
    }
    throw new Error(`unexpected answer ${response.status} during the first flow: ${html.slice(0, 200)}`);
  }
  throw new Error('the first flow did not come back to the organization');
}

/** The same on the baseline's development interactions (any login, then "Continue"). */
async function consentOnceBaseline(url, jar, sub) {
  let response = await get(`${url}${authorizePath('bench', 0).replace('/oidc', '')}`, jar);
  for (let hops = 0; hops < 10; hops++) {
    const location = response.headers.get('location');
    if (location?.startsWith(CALLBACK)) return new URL(location).searchParams.get('code');
    if (location) {
      response = await get(new URL(location, url).toString(), jar);
      continue;
    }
    const html = await response.text();
    const action = /action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`unexpected baseline answer ${response.status}: ${html.slice(0, 200)}`);
    const form = html.includes('value="login"') ? { prompt: 'login', login: sub, password: 'x' } : { prompt: 'consent' };
    response = await post(new URL(action, url).toString(), jar, form);
  }
  throw new Error('the baseline flow did not come back');
}

function lower(headers) {
  const out = {};
  for (const [key, value] of Object.entries(headers ?? {})) out[key.toLowerCase()] = value;
  return out;
}

/**
 * Flows per second with autocannon: each connection is one browser (its own cookies) and its
 * organization, looping authorize → token → userinfo.
 */
async function measureFlows({ url, prefix, clientId, secret, browsers, duration }) {
  let flows = 0;
  let next = 0;
  const failures = [];
  const fail = (what) => {
    if (failures.length < 5) failures.push(what);
    else failures.length++;
  };
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const result = await autocannon({
    url,
    connections: browsers.length,
    duration,
    requests: [
      {
        method: 'GET',
        setupRequest(request, context) {
          context.browser ??= browsers[next++ % browsers.length];
          context.i = (context.i ?? 0) + 1;
          return { ...request, path: authorizePath(clientId, context.i).replace('/oidc', prefix), headers: { cookie: context.browser.header() } };
        },
        onResponse(status, _body, context, headers) {
          const location = lower(headers).location ?? '';
          context.code = location.startsWith(CALLBACK) ? new URL(location).searchParams.get('code') : undefined;
          if (!context.code) fail(`authorize answered ${status} (location ${location.slice(0, 80)})`);
        },
      },
      {
        method: 'POST',
        setupRequest(request, context) {
          if (!context.code) return null;
          return {
            ...request,
            path: `${prefix}/token`,
            headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: 'authorization_code', code: context.code, redirect_uri: CALLBACK, code_verifier: VERIFIER }).toString(),
          };
        },
        onResponse(status, body, context) {
          context.token = status === 200 ? JSON.parse(body).access_token : undefined;
          if (!context.token) fail(`token answered ${status}: ${body.slice(0, 120)}`);
        },
      },
      {
        method: 'GET',
        setupRequest(request, context) {
          if (!context.token) return null;
          return { ...request, path: `${prefix}/me`, headers: { authorization: `Bearer ${context.token}` } };
        },
        onResponse(status, body) {
          if (status === 200 && JSON.parse(body).sub) flows++;
          else fail(`userinfo answered ${status}`);
        },
      },
    ],
  });
  if (result.errors) fail(`${result.errors} connection errors`);
  if (result.timeouts) fail(`${result.timeouts} timeouts`);
  if (failures.length) throw new Error(`flows failed ${failures.length} times: ${failures.filter(Boolean).join('; ')}`);
  if (!flows) throw new Error('no flow completed');
  return { count: flows, seconds: result.duration };
}

module.exports = {
  name: 'oidc.code-flow',
  figures: ['oidc.code-flow', 'oidc-provider.memory'],

  async run(ctx) {
    // Each flow waits on PostgreSQL several times: more browsers than cores keep the CPUs busy.
    const clients = 4 * os.availableParallelism();

    const baseline = await ctx.startServer({
      name: 'oidc-provider.memory',
      script: 'oidc-provider-memory.js',
      env: { BENCH_OIDC_CLIENT: JSON.stringify(BASELINE_CLIENT) },
    });
    const memoryBrowsers = Array.from({ length: clients }, () => new Jar());
    for (const [i, jar] of memoryBrowsers.entries()) await consentOnceBaseline(baseline.url, jar, `user-${i}`);

    const referee = await ctx.referee();
    requireDist('src/oidc/provider.service.js'); // fails early with a clear message when not built
    const seeded = await seedReferee(referee.databaseUrl, clients);
    for (const jar of seeded.browsers) await consentOnce(referee.url, seeded.clientId, jar);

    // Alternating slices: one server is idle while the other is measured.
    const perSecond = await interleave({
      baseline: (seconds) =>
        withCpu(baseline.cpuSeconds, () =>
          measureFlows({ url: baseline.url, prefix: '', clientId: BASELINE_CLIENT.client_id, secret: BASELINE_CLIENT.client_secret, browsers: memoryBrowsers, duration: seconds }),
        ),
      subject: (seconds) => withCpu(referee.cpuSeconds, () => measureFlows({ url: referee.url, prefix: '/oidc', ...seeded, duration: seconds })),
    });
    await baseline.stop();

    ctx.report.add({
      name: 'oidc.code-flow',
      value: perSecond.subject,
      unit: 'flows/s',
      baseline: { name: 'oidc-provider.memory', value: perSecond.baseline },
      target: { of: 'ratio', min: 0.5 },
    });
    ctx.report.add({ name: 'oidc-provider.memory', value: perSecond.baseline, unit: 'flows/s' });
    console.log(
      `  (${clients} concurrent browsers; a flow = authorize with session and grant, token, userinfo; ` +
        `CPU per flow ${formatSeconds(perSecond.cpuPer.subject)} in the Referee process (PostgreSQL not counted), ` +
        `${formatSeconds(perSecond.cpuPer.baseline)} in the plain provider)`,
    );
  },
};
