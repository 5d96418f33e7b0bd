/**
 * The people of the tour, each brought once (through the harness, over HTTP, as the other
 * tests do) to the point of the journey a stop shows. A state is built on first use, so a
 * filtered tour (TOUR_ONLY) only builds what its stops need.
 */
import type { TestApp } from '../harness/app';
import { createAccount, grantRoles, passwordSignIn, signIn } from '../harness/accounts';
import { approveSentDocuments, JITSI, newReferee } from '../harness/calls';
import { applicantAtDocuments, submitDocuments, uploadAll } from '../harness/documents';
import { csrfOf, submitForm } from '../harness/forms';
import { lastEmailTo } from '../harness/outbox';
import { newApplicant, toIdentifierStep, type Applicant } from '../harness/verification';

export { JITSI };

type Agent = ReturnType<TestApp['browser']>;

/** Someone the tour's Chromium can be: a signed-in (or half signed-in) supertest browser, or nobody. */
export interface Person {
  agent?: Agent;
  /** Addresses a stop needs that only exist once the state is built (a case's review page, a call's console). */
  paths: Record<string, string>;
}

export type StateName =
  | 'nobody'
  | 'password-only'
  | 'second-factor'
  | 'new-applicant'
  | 'at-details'
  | 'details-done'
  | 'at-documents'
  | 'on-hold'
  | 'approved'
  | 'queued'
  | 'taken'
  | 'on-call'
  | 'verified'
  | 'reviewer'
  | 'referee'
  | 'support'
  | 'supervisor'
  | 'admin';

let n = 0;
const email = (label: string) => `tour.${label}.${++n}.${Date.now()}@example.org`;

async function post(agent: Agent, from: string, path: string, fields: Record<string, string> = {}) {
  const res = await submitForm(agent, from, path, fields);
  if (res.status >= 400) throw new Error(`tour setup: POST ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
  return res;
}

/** Documents sent by the applicant, then taken into review and approved (the documents module's hand-over). */
async function approve(t: TestApp, a: Applicant): Promise<string> {
  const caseId: string = (await a.row()).id;
  await approveSentDocuments(t, caseId);
  return caseId;
}

async function sentDocuments(t: TestApp, label: string): Promise<Applicant> {
  const a = await applicantAtDocuments(t, label);
  await uploadAll(a);
  const sent = await submitDocuments(a);
  if (sent.status !== 303) throw new Error(`tour setup: documents not sent (${sent.status})`);
  return a;
}

async function approvedApplicant(t: TestApp, label: string): Promise<Applicant & { caseId: string }> {
  const a = await sentDocuments(t, label);
  return Object.assign(a, { caseId: await approve(t, a) });
}

/** An approved applicant in the queue, taken by a new Trusted Referee: their call has started. */
async function takenCall(t: TestApp, label: string) {
  const a = await approvedApplicant(t, label);
  await a.post('/call');
  // Whoever queued earlier (the queue page's applicant) is taken first: new referees take the next until it is this one.
  for (let tries = 0; tries < 5; tries++) {
    const referee = await newReferee(t, `tour-${label}-referee`);
    const next = await post(referee.browser!, '/agent/calls', '/agent/calls/next');
    if ((await a.browser.get('/call')).headers.location === '/call/join') return { a, referee, consolePath: String(next.headers.location) };
  }
  throw new Error(`tour setup: no referee took the ${label} applicant`);
}

async function staff(t: TestApp, label: string, roles: Parameters<typeof grantRoles>[2]): Promise<Agent> {
  const person = await createAccount(t, email(label));
  await grantRoles(t, person.email, roles);
  return signIn(t, person);
}

const builders: Record<StateName, (t: TestApp, get: (name: StateName) => Promise<Person>) => Promise<Person>> = {
  nobody: async () => ({ paths: {} }),
  /** Email confirmed, password accepted, no second factor yet: "Add a second way to sign in". */
  'password-only': async (t) => {
    const person = await createAccount(t, email('new'));
    const agent = t.browser();
    await passwordSignIn(agent, person);
    return { agent, paths: {} };
  },
  /** A second factor set up earlier; signing in again, at the password's next step. */
  'second-factor': async (t) => {
    const person = await createAccount(t, email('returning'));
    await signIn(t, person);
    const agent = t.browser();
    await passwordSignIn(agent, person);
    return { agent, paths: {} };
  },
  'new-applicant': async (t) => ({ agent: (await newApplicant(t, 'tour-new')).browser, paths: {} }),
  /** "Verify on a video call" chosen: the details form, empty. */
  'at-details': async (t) => {
    const a = await newApplicant(t, 'tour-details');
    await a.browser.get('/verify');
    await a.post('/verify/international', { from: 'choose_method' });
    await a.post('/verify/video-call', {});
    return { agent: a.browser, paths: {} };
  },
  'details-done': async (t) => {
    const a = await newApplicant(t, 'tour-identifier');
    await toIdentifierStep(a);
    return { agent: a.browser, paths: {} };
  },
  'at-documents': async (t) => ({ agent: (await applicantAtDocuments(t, 'tour-documents')).browser, paths: {} }),
  'on-hold': async (t) => ({ agent: (await sentDocuments(t, 'tour-hold')).browser, paths: {} }),
  approved: async (t) => ({ agent: (await approvedApplicant(t, 'tour-approved')).browser, paths: {} }),
  queued: async (t) => {
    const a = await approvedApplicant(t, 'tour-queued');
    await a.post('/call');
    return { agent: a.browser, paths: {} };
  },
  /** Taken by a Trusted Referee, not yet agreed to the recording: the join page. */
  taken: async (t) => ({ agent: (await takenCall(t, 'taken')).a.browser, paths: {} }),
  /** Agreed to the recording: the call page with the video; the referee's console of the same call. */
  'on-call': async (t) => {
    const { a, referee, consolePath } = await takenCall(t, 'on-call');
    await a.post('/call/join', { recordingConsent: 'yes' });
    return { agent: a.browser, paths: { console: consolePath, refereeOnCall: '' }, referee: referee.browser } as Person & { referee: Agent };
  },
  /** The Trusted Referee recorded "verified": the applicant's verified page, and the way back to the organization. */
  verified: async (t) => {
    const { a, referee, consolePath } = await takenCall(t, 'verified');
    await a.post('/call/join', { recordingConsent: 'yes' });
    await post(referee.browser!, consolePath, `${consolePath}/code`);
    const code = /(\d{6})/.exec((await lastEmailTo(t.db.sql, 'amelie@example.fr'))!.body)![1];
    const checks = Object.fromEntries(['name', 'dateOfBirth', 'address', 'originals', 'face', 'tilted', 'inView'].map((k) => [`check-${k}`, 'yes']));
    const done = await post(referee.browser!, consolePath, `${consolePath}/outcome`, {
      outcome: 'verified',
      ...checks,
      code,
      'doc-first-country': 'FR',
      'doc-first-number': '19AB12345',
      'doc-first-expiry': '2031-05-01',
    });
    if (done.status !== 303) throw new Error(`tour setup: outcome not recorded (${done.status})`);
    return { agent: a.browser, paths: {} };
  },
  /** A reviewer holding a case: the queue, and the case's review page. */
  reviewer: async (t) => {
    await sentDocuments(t, 'tour-waiting');
    await sentDocuments(t, 'tour-claimed');
    const agent = await staff(t, 'reviewer', ['reviewer']);
    const claim = await post(agent, '/agent/review', '/agent/review/next');
    return { agent, paths: { case: String(claim.headers.location) } };
  },
  /** A Trusted Referee on a call: the console; the call queue and the shifts page. */
  referee: async (t, get) => {
    const onCall = (await get('on-call')) as Person & { referee: Agent };
    return { agent: onCall.referee, paths: { console: onCall.paths.console } };
  },
  /** A support agent with a request from an applicant waiting. */
  support: async (t, get) => {
    const applicant = (await get('new-applicant')).agent!;
    await post(applicant, '/support', '/support', { category: 'other', message: 'I cannot find the button to upload the back of my card.', email: '' });
    const agent = await staff(t, 'support', ['support']);
    const list = await agent.get('/agent/support');
    const id = /href="\/agent\/support\/([0-9a-f-]{36})"/.exec(list.text)?.[1];
    return { agent, paths: { request: id ? `/agent/support/${id}` : '/agent/support' } };
  },
  /** A supervisor, with work to look at: a case in review, a call in progress, a verified call. */
  supervisor: async (t, get) => {
    const reviewer = await get('reviewer');
    const referee = await get('referee');
    await get('verified');
    const agent = await staff(t, 'supervisor', ['supervisor']);
    const caseId = reviewer.paths.case.split('/').pop()!;
    const callId = referee.paths.console.split('/').pop()!;
    return { agent, paths: { review: `/supervisor/reviews/${caseId}`, call: `/supervisor/calls/${callId}` } };
  },
  admin: async (t) => {
    const agent = await staff(t, 'admin', ['admin']);
    const { rows } = await t.db.sql.query('select client_id from organization order by created_at limit 1');
    return { agent, paths: { organization: rows[0] ? `/admin/organizations/${rows[0].client_id}` : '/admin/organizations' } };
  },
};

/** The tour's people, each built once, on first use. */
export function tourStates(t: TestApp): (name: StateName) => Promise<Person> {
  const built = new Map<StateName, Promise<Person>>();
  const get = (name: StateName): Promise<Person> => {
    let state = built.get(name);
    if (!state) {
      state = builders[name](t, get);
      built.set(name, state);
    }
    return state;
  };
  return get;
}

export { csrfOf };
