import { randomUUID } from 'node:crypto';
import { maxHeaderSize } from 'node:http';
import { startTestApp, type TestApp } from './harness/app';
import { createAccount, signIn } from './harness/accounts';
import { csrfOf } from './harness/forms';
import { ENDS_SESSION, registeredRoutes } from './harness/routes';

/**
 * Hostile input against every route: wrong types, huge strings, unicode edge cases,
 * missing and repeated fields, bad tokens and content types, path traversal, SQL and
 * template injection, truncated multipart. No answer may be a 5xx or show a stack trace,
 * and the process must stay up. Seeded, so a failure can be replayed.
 */
const REQUESTS = 2100;

/** mulberry32: a small seeded generator. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = [
  '',
  ' ',
  'a'.repeat(70_000),
  '\u0000',
  '\uFEFF\u200B\u202E',
  '😀'.repeat(300),
  'e\u0301\u0301\u0301',
  "' OR 1=1 --",
  '"; drop table account; --',
  '{{ 7*7 }}',
  '{% raw %}{{ constructor.constructor("return process")() }}',
  '${process.exit()}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  'C:\\Windows\\win.ini',
  '%00',
  '%',
  '%E0%A4%A',
  '-1',
  '1e309',
  'NaN',
  'true',
  '[]',
  '{}',
  '2026-02-30',
  '9999-99-99',
  '000-00-0000',
  '+999 999',
  'null',
  '__proto__',
  'constructor',
];

let t: TestApp;
let applicant: ReturnType<TestApp['browser']>;
let token: string;

beforeAll(async () => {
  // Rate limits raised: they would answer 429 long before the fuzzing is done. A real port:
  // the demo organization talks to /oidc over HTTP.
  t = await startTestApp({ RATE_LIMIT_SCALE: '100000' }, { publicPort: true });
  await t.listen();
  const person = await createAccount(t, `fuzz.${Date.now()}@example.org`);
  applicant = await signIn(t, person);
  token = csrfOf((await applicant.get('/account')).text);
}, 60_000);
afterAll(() => t?.close());

/** Every route but those that end the session: they would turn the rest of the run into anonymous requests. */
const routes = () => registeredRoutes(t).filter((r) => !ENDS_SESSION.includes(`${r.method} ${r.path}`));

it(`answers ${REQUESTS} malformed requests without a 5xx or a stack trace`, async () => {
  const next = random(20261126);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const all = routes();
  const failures: string[] = [];
  let serverErrors = 0;

  for (let i = 0; i < REQUESTS; i++) {
    const route = all[i % all.length];
    const path = route.path.replace(/:[A-Za-z]+/g, () => encodeURIComponent(pick([randomUUID(), ...NASTY.slice(0, 20)]) || 'x'));
    const anonymous = next() < 0.2;
    const browser = anonymous ? t.browser() : applicant;
    const fields: Record<string, unknown> = {};
    const names = ['email', 'password', 'code', 'token', 'label', 'number', 'country', 'ssn', 'itin', 'firstName', 'dateOfBirth', 'next', 'method', 'role', 'message', 'category', 'document', 'choice', 'response', pick(NASTY).slice(0, 30)];
    for (let f = 0; f < 1 + Math.floor(next() * 6); f++) {
      const value = next() < 0.15 ? [pick(NASTY), pick(NASTY)] : next() < 0.1 ? { nested: pick(NASTY) } : pick(NASTY);
      fields[pick(names)] = value;
    }
    const csrf = next() < 0.85 ? token : pick(['', 'forged', token.slice(1)]);
    let req;
    // Node refuses a request line past its header limit before Referee sees it: with a 431,
    // or (newer Node 24 releases, when far past it) by closing the connection.
    let overHeaderLimit = path.length > maxHeaderSize;
    if (route.method === 'GET') {
      const query = Object.entries(fields).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
      overHeaderLimit ||= path.length + query.length > maxHeaderSize;
      req = browser.get(`${path}?${query}`);
    } else {
      const kind = next();
      req = browser.post(path);
      if (kind < 0.5) req = req.type('form').send({ _csrf: csrf, ...fields });
      else if (kind < 0.7) req = req.set('X-CSRF-Token', csrf).set('Content-Type', 'application/json').send(next() < 0.5 ? JSON.stringify(fields) : '{"broken": ');
      else if (kind < 0.85) {
        const boundary = 'fuzz' + i;
        const body = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${pick(NASTY).slice(0, 40)}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff${'A'.repeat(Math.floor(next() * 5000))}`;
        req = req.set('Content-Type', `multipart/form-data; boundary=${boundary}`).set('X-CSRF-Token', csrf).send(next() < 0.5 ? body : body + `\r\n--${boundary}--\r\n`);
      } else req = req.set('Content-Type', pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded; charset=utf-7', 'image/png'])).set('X-CSRF-Token', csrf).send(pick(NASTY));
    }
    let res;
    try {
      res = await req.ok(() => true);
    } catch (error) {
      if (overHeaderLimit && (error as NodeJS.ErrnoException).code === 'ECONNRESET') continue;
      failures.push(`${route.method} ${path.slice(0, 120)} → ${(error as Error).message}`);
      continue;
    }
    const body = typeof res.text === 'string' ? res.text : '';
    if (res.status >= 500) serverErrors++;
    if (res.status >= 500 || /\n\s+at .+\.(js|ts):\d+|node_modules\//.test(body)) {
      failures.push(`${route.method} ${path.slice(0, 120)} → ${res.status}`);
    }
  }
  console.log(`fuzz: ${REQUESTS} requests, ${serverErrors} 5xx`);
  expect(failures.slice(0, 20)).toEqual([]);
  // Still up and still serving its own pages.
  expect((await t.browser().get('/readyz')).status).toBe(200);
  expect((await applicant.get('/account')).status).toBe(200);
}, 300_000);
