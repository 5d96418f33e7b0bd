import { randomUUID } from 'node:crypto';
import type { StaffRole } from '../src/staff/roles';
import { STAFF_ROLES } from '../src/staff/roles';
import { startTestApp, type TestApp } from './harness/app';
import { createAccount, grantRoles, signIn } from './harness/accounts';
import { csrfOf } from './harness/forms';
import { ENDS_SESSION, registeredRoutes } from './harness/routes';

/**
 * Who may reach what, for every route the application serves: a table written by hand
 * (the intent) checked against the routes Nest actually registered (the fact). A route
 * added without an entry here fails the first test.
 *
 * public        anyone
 * link          anyone holding an emailed link (pages answer 4xx for a bad token, never 5xx)
 * second-factor someone past the password (or signed in): others are sent to sign in
 * signed-in     a signed-in person (password and second factor): others are sent to sign in
 * staff roles   signed in and holding one of the roles: others 403
 * provider      the OpenID provider's interaction pages (their own checks)
 * signature     machines (Jibri, JaaS), no session: a request without its sender's signature is refused (401, or 404 when not set up)
 * own check     the route decides itself, and answers 404 to anyone it refuses (a recording: supervisors and the call's referee)
 */
type Access = 'public' | 'link' | 'second-factor' | 'signed-in' | 'provider' | 'signature' | 'own check' | readonly StaffRole[];

const ACCESS: Record<string, Access> = {
  'GET /': 'public',
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /sign-up': 'public',
  'POST /sign-up': 'public',
  'GET /sign-up/confirm': 'link',
  'POST /sign-up/confirm': 'link',
  'GET /sign-in': 'public',
  'POST /sign-in': 'public',
  'POST /sign-out': 'public',
  'POST /language': 'public',
  'POST /session/extend': 'signed-in',
  'GET /account': 'signed-in',
  'GET /password-reset': 'public',
  'POST /password-reset': 'public',
  'GET /password-reset/new': 'link',
  'POST /password-reset/new': 'link',
  'GET /dev/outbox': 'public',
  // Second factors
  'GET /mfa': 'second-factor',
  'GET /mfa/challenge': 'second-factor',
  'POST /mfa/challenge/totp': 'second-factor',
  'POST /mfa/challenge/phone/send': 'second-factor',
  'POST /mfa/challenge/phone': 'second-factor',
  'POST /mfa/challenge/backup': 'second-factor',
  'POST /mfa/challenge/passkey/options': 'second-factor',
  'POST /mfa/challenge/passkey': 'second-factor',
  'POST /sign-in/passkey/options': 'public',
  'POST /sign-in/passkey': 'public',
  'POST /mfa/recovery': 'second-factor',
  'GET /mfa/recovery/cancel': 'link',
  'POST /mfa/recovery/cancel': 'link',
  'GET /mfa/setup': 'second-factor',
  'GET /mfa/setup/totp': 'second-factor',
  'POST /mfa/setup/totp': 'second-factor',
  'GET /mfa/setup/phone': 'second-factor',
  'POST /mfa/setup/phone': 'second-factor',
  'GET /mfa/setup/phone/confirm': 'second-factor',
  'POST /mfa/setup/phone/confirm': 'second-factor',
  'POST /mfa/setup/phone/resend': 'second-factor',
  'GET /mfa/setup/passkey': 'second-factor',
  'POST /mfa/setup/passkey/options': 'second-factor',
  'POST /mfa/setup/passkey': 'second-factor',
  'GET /mfa/setup/done': 'signed-in',
  'POST /mfa/setup/backup-codes': 'signed-in',
  'GET /mfa/methods': 'signed-in',
  'POST /mfa/methods/:id/rename': 'signed-in',
  'POST /mfa/methods/:id/remove': 'signed-in',
  'GET /mfa/reauthenticate': 'signed-in',
  'POST /mfa/reauthenticate': 'signed-in',
  // Confirming who you are again (before downloading your data or deleting your account)
  'GET /account/confirm': 'signed-in',
  'POST /account/confirm': 'signed-in',
  'GET /account/confirm/second-factor': 'signed-in',
  'POST /account/confirm/totp': 'signed-in',
  'POST /account/confirm/phone/send': 'signed-in',
  'POST /account/confirm/phone': 'signed-in',
  'POST /account/confirm/backup': 'signed-in',
  'POST /account/confirm/passkey/options': 'signed-in',
  'POST /account/confirm/passkey': 'signed-in',
  // The Privacy Rights Center
  'GET /account/privacy': 'signed-in',
  'GET /account/privacy/access': 'signed-in',
  'GET /account/privacy/download': 'signed-in',
  'GET /account/privacy/download/progress': 'signed-in',
  'POST /account/privacy/download': 'signed-in',
  'GET /account/privacy/download/:id/file': 'signed-in',
  'GET /account/privacy/delete': 'signed-in',
  'POST /account/privacy/delete': 'signed-in',
  'GET /account/privacy/delete/scheduled': 'signed-in',
  'POST /account/privacy/delete/keep': 'signed-in',
  'GET /account/privacy/delete/cancel': 'link',
  'POST /account/privacy/delete/cancel': 'link',
  // Staff
  'GET /admin/staff': ['admin'],
  'POST /admin/staff': ['admin'],
  'POST /admin/staff/:id/revoke': ['admin'],
  'POST /admin/staff/:id/certify': ['admin'],
  'GET /supervisor/audit': ['supervisor', 'admin'],
  'GET /supervisor': ['supervisor'],
  'GET /supervisor/reviews/:caseId': ['supervisor'],
  'POST /supervisor/reviews/:caseId/release': ['supervisor'],
  'POST /supervisor/reviews/:caseId/reassign': ['supervisor'],
  'GET /supervisor/calls/:callId': ['supervisor'],
  'POST /supervisor/calls/:callId/release': ['supervisor'],
  'GET /admin/organizations': ['admin'],
  'POST /admin/organizations': ['admin'],
  'GET /admin/organizations/:clientId': ['admin'],
  'POST /admin/organizations/:clientId': ['admin'],
  // Verification
  'GET /verify': 'signed-in',
  'GET /verify/how': 'signed-in',
  'POST /verify/how': 'signed-in',
  'POST /verify/international': 'signed-in',
  'GET /verify/self-service/phone': 'signed-in',
  'POST /verify/self-service/phone': 'signed-in',
  'GET /verify/self-service/address': 'signed-in',
  'POST /verify/self-service/address': 'signed-in',
  'GET /verify/self-service/ssn': 'signed-in',
  'POST /verify/self-service/ssn': 'signed-in',
  'GET /verify/video-call': 'signed-in',
  'POST /verify/video-call': 'signed-in',
  'GET /verify/details': 'signed-in',
  'POST /verify/details': 'signed-in',
  'GET /verify/details/address-fields': 'signed-in',
  'GET /verify/ssn': 'signed-in',
  'POST /verify/ssn': 'signed-in',
  'GET /verify/itin': 'signed-in',
  'POST /verify/itin': 'signed-in',
  'GET /verify/no-ssn-or-itin': 'signed-in',
  'POST /verify/no-ssn-or-itin': 'signed-in',
  'GET /verify/documents/primary': 'signed-in',
  'POST /verify/documents/primary': 'signed-in',
  'GET /verify/documents/primary/check': 'signed-in',
  'POST /verify/documents/primary/check': 'signed-in',
  'GET /verify/documents/second': 'signed-in',
  'POST /verify/documents/second': 'signed-in',
  'GET /verify/documents/second/check': 'signed-in',
  'POST /verify/documents/second/check': 'signed-in',
  'GET /verify/documents/supporting': 'signed-in',
  'POST /verify/documents/supporting': 'signed-in',
  'GET /verify/documents/review': 'signed-in',
  'POST /verify/save-and-exit': 'signed-in',
  'GET /verify/saved': 'public',
  'GET /verify/resume': 'link',
  'POST /verify/resume': 'link',
  // OpenID provider and organizations
  'GET /interaction/:uid': 'provider',
  'GET /interaction/:uid/login': 'provider',
  'POST /interaction/:uid/allow': 'provider',
  'POST /interaction/:uid/deny': 'provider',
  'GET /account/organizations': 'signed-in',
  'POST /account/organizations/:clientId/revoke': 'signed-in',
  'GET /return-to-organization': 'signed-in',
  'GET /demo': 'public',
  'GET /demo/login': 'public',
  'GET /demo/callback': 'public',
  // The video call
  'GET /call': 'signed-in',
  'POST /call': 'signed-in',
  'POST /call/ready': 'signed-in',
  'POST /call/leave': 'signed-in',
  'POST /call/reschedule': 'signed-in',
  'GET /call/preferences': 'signed-in',
  'POST /call/preferences': 'signed-in',
  'GET /call/schedule': 'signed-in',
  'POST /call/schedule': 'signed-in',
  'GET /call/appointment': 'signed-in',
  'POST /call/appointment/cancel': 'signed-in',
  'GET /call/appointment.ics': 'signed-in',
  'GET /call/join': 'signed-in',
  'POST /call/join': 'signed-in',
  'POST /call/events': 'signed-in',
  'GET /call/verified': 'signed-in',
  'GET /call/failed': 'signed-in',
  'GET /agent/calls': ['referee'],
  'POST /agent/calls/status': ['referee'],
  'POST /agent/calls/next': ['referee'],
  'GET /agent/calls/schedule': ['referee'],
  'POST /agent/calls/shifts': ['referee'],
  'POST /agent/calls/days-off': ['referee'],
  'GET /agent/calls/:id': ['referee', 'supervisor'],
  'GET /agent/calls/:id/file/:fileId': ['referee', 'supervisor'],
  'POST /agent/calls/:id/code': ['referee'],
  'POST /agent/calls/:id/interpreter': ['referee'],
  'POST /agent/calls/:id/outcome': ['referee'],
  'GET /agent/calls/:id/recording': ['referee', 'supervisor'],
  // Call recordings: sent by Jibri or JaaS, watched by who may
  'POST /recordings/jibri': 'signature',
  'POST /recordings/jaas': 'signature',
  'GET /recordings/:id/video': 'own check',
  // Help and support
  'GET /help': 'public',
  'GET /help/search': 'public',
  'GET /help/report-fraud': 'public',
  'POST /help/report-fraud': 'public',
  'GET /help/:slug': 'public',
  'GET /policies': 'public',
  'GET /policies/:slug': 'public',
  'GET /support': 'public',
  'POST /support': 'public',
  'GET /support/requests': 'signed-in',
  'GET /support/requests/:id': 'signed-in',
  'POST /support/requests/:id/reply': 'signed-in',
  'GET /agent/support': ['support', 'supervisor'],
  'GET /agent/support/:id': ['support', 'supervisor'],
  'POST /agent/support/:id/answer': ['support', 'supervisor'],
  'POST /agent/support/:id/close': ['support', 'supervisor'],
  'GET /supervisor/fraud-reports': ['supervisor'],
  'POST /supervisor/fraud-reports/:id/reviewed': ['supervisor'],
  // Documents: sending, the phone link, the review console
  'GET /documents': 'signed-in',
  'POST /documents': 'signed-in',
  'POST /documents/phone': 'signed-in',
  'POST /documents/upload/:item': 'signed-in',
  'POST /documents/upload/:item/:side': 'signed-in',
  'POST /documents/held/:id': 'signed-in',
  'GET /documents/file/:id': 'signed-in',
  'GET /documents/review': 'signed-in',
  'POST /documents/review': 'signed-in',
  'GET /documents/review/status': 'signed-in',
  'GET /capture/:token': 'link',
  'POST /capture/:token/upload/:item': 'link',
  'POST /capture/:token/upload/:item/:side': 'link',
  'GET /capture/:token/file/:id': 'link',
  'POST /capture/:token/held/:id': 'link',
  'GET /agent/review': ['reviewer', 'supervisor'],
  'POST /agent/review/next': ['reviewer', 'supervisor'],
  'GET /agent/review/:caseId': ['reviewer', 'supervisor'],
  'POST /agent/review/:caseId': ['reviewer', 'supervisor'],
  'GET /agent/review/:caseId/file/:fileId': ['reviewer', 'supervisor'],
};



let t: TestApp;
const browsers: Record<string, ReturnType<TestApp['browser']>> = {};
const tokens: Record<string, string> = {};
const IDENTITIES = ['anonymous', 'applicant', ...STAFF_ROLES] as const;

const registered = () => registeredRoutes(t).map((r) => `${r.method} ${r.path}`);

const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, () => randomUUID());

beforeAll(async () => {
  t = await startTestApp({}, { publicPort: true }); // the demo organization talks to /oidc over real HTTP
  await t.listen();
  browsers.anonymous = t.browser();
  tokens.anonymous = csrfOf((await browsers.anonymous.get('/sign-in')).text);
  for (const who of IDENTITIES.slice(1)) {
    const person = await createAccount(t, `${who}.${Date.now()}@example.org`);
    if (who !== 'applicant') await grantRoles(t, person.email, [who as StaffRole]);
    browsers[who] = await signIn(t, person);
    tokens[who] = csrfOf((await browsers[who].get('/account')).text);
  }
}, 120_000);
afterAll(() => t?.close());

it('has an entry for every route the application serves, and no entry for a route it does not', () => {
  const routes = registered();
  expect(routes.filter((r) => !(r in ACCESS))).toEqual([]);
  expect(Object.keys(ACCESS).filter((r) => !routes.includes(r))).toEqual([]);
});

describe.each(IDENTITIES)('as %s', (who) => {
  it('reaches exactly the routes the table allows', async () => {
    const problems: string[] = [];
    // Signing out would end this identity's session for the rest of the table: checked on its own below.
    for (const [route, access] of Object.entries(ACCESS).filter(([r]) => !ENDS_SESSION.includes(r))) {
      const [method, path] = route.split(' ');
      const browser = browsers[who];
      const res =
        method === 'GET'
          ? await browser.get(concrete(path))
          : await browser.post(concrete(path)).set('X-CSRF-Token', tokens[who]).type('form').send({});
      const toSignIn = res.status === 303 && String(res.headers.location).startsWith('/sign-in');
      const signedIn = who !== 'anonymous';
      let ok: boolean;
      if (res.status >= 500) ok = false;
      else if (Array.isArray(access)) ok = !signedIn ? toSignIn : access.includes(who) ? res.status !== 403 && !toSignIn : res.status === 403;
      else if (access === 'signed-in' || access === 'second-factor') ok = signedIn ? !toSignIn && res.status !== 403 : toSignIn;
      else if (access === 'signature') ok = res.status === 401 || res.status === 404;
      else if (access === 'own check') ok = res.status === 404; // no such recording for anyone, here
      else ok = res.status !== 403; // public, link, provider: no role needed
      if (!ok) problems.push(`${route} → ${res.status}${res.headers.location ? ` ${res.headers.location}` : ''} (expected ${JSON.stringify(access)})`);
    }
    expect(problems).toEqual([]);
  }, 120_000);
});

it('signs anyone out, and then the account pages ask to sign in', async () => {
  const person = await createAccount(t, `sign-out.${Date.now()}@example.org`);
  const browser = await signIn(t, person);
  const res = await browser.post('/sign-out').type('form').send({ _csrf: csrfOf((await browser.get('/account')).text) });
  expect(res.headers.location).toBe('/sign-in?signed-out=1');
  expect((await browser.get('/account')).status).toBe(303);
});

it('refuses every state-changing route without the anti-CSRF token', async () => {
  const problems: string[] = [];
  // Machines' routes carry no session, hence no token: their sender's signature stands in for it (checked above).
  for (const route of Object.keys(ACCESS).filter((r) => r.startsWith('POST ') && ACCESS[r] !== 'signature')) {
    const res = await browsers.applicant.post(concrete(route.slice(5))).type('form').send({ anything: 'x' });
    if (res.status !== 403) problems.push(`${route} → ${res.status}`);
  }
  expect(problems).toEqual([]);
});
