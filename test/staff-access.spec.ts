import { createAccount, grantRoles, signIn } from './harness/accounts';
import { startTestApp, type TestApp } from './harness/app';
import { approveDocuments, JITSI, newReferee } from './harness/calls';
import { applicantAtDocuments, submitDocuments, uploadAll } from './harness/documents';
import { csrfOf } from './harness/forms';
import type { Applicant } from './harness/verification';

/**
 * Staff see an applicant's personal data and document images only while they hold the piece
 * of work (a call in progress, a live review claim). Afterwards they get what a stranger on the
 * same team gets; supervisors keep a read-only view, and every view they make is audited.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp(JITSI);
});
afterAll(() => t?.close());

type Browser = ReturnType<TestApp['browser']>;
let n = 0;

async function staffMember(label: string, roles: ('reviewer' | 'supervisor')[]): Promise<{ accountId: string; browser: Browser }> {
  const person = await createAccount(t, `${label}${++n}.${Date.now()}@referee.example`);
  await grantRoles(t, person.email, roles);
  const { rows } = await t.db.sql.query('select id from account where email = $1', [person.email]);
  return { accountId: rows[0].id, browser: await signIn(t, person) };
}

async function post(browser: Browser, from: string, path: string, fields: Record<string, string> = {}) {
  const page = await browser.get(from);
  return browser.post(path).type('form').send({ _csrf: csrfOf(page.text), ...fields });
}

const NAME = 'Amélie'; // the test applicant's given name: personal data on every page that shows details
const imagePaths = (html: string, prefix: string) => [...html.matchAll(new RegExp(`<img src="(${prefix}[^"]+/file/[^"]+)"`, 'g'))].map((m) => m[1]);
const auditCount = async (action: string, actorId: string, caseId: string) =>
  (await t.db.sql.query(`select count(*)::int as n from audit_event where action = $1 and actor_id = $2 and case_id = $3`, [action, actorId, caseId])).rows[0].n as number;

/** An applicant with uploaded, approved documents, taken by a new referee: the console and its images, open to that referee. */
async function takenCall(label: string) {
  const a: Applicant = await applicantAtDocuments(t, label);
  await uploadAll(a);
  const caseId = await approveDocuments(t, a);
  await t.db.sql.query(`update queue_entry set status = 'left' where status = 'waiting'`); // earlier tests' applicants (a released one is requeued) out of the way
  await a.post('/call');
  const referee = await newReferee(t, `${label}-referee`);
  const consolePath = String((await post(referee.browser!, '/agent/calls', '/agent/calls/next')).headers.location);
  expect(consolePath).toMatch(/^\/agent\/calls\/[0-9a-f-]{36}$/);
  expect((await t.db.sql.query('select verification_case_id from video_call where id = $1', [consolePath.split('/').pop()])).rows[0].verification_case_id).toBe(caseId);
  const page = await referee.browser!.get(consolePath);
  expect(page.status).toBe(200);
  expect(page.text).toContain(NAME);
  const images = imagePaths(page.text, '/agent/calls/');
  expect(images.length).toBeGreaterThanOrEqual(2); // the passport's photo page and the bill (which proves the address too)
  for (const path of images) expect((await referee.browser!.get(path)).status).toBe(200);
  return { a, caseId, referee: referee.browser!, refereeId: referee.accountId, consolePath, callId: consolePath.split('/').pop()!, images };
}

let stranger: Browser;
let supervisor: { accountId: string; browser: Browser };
beforeAll(async () => {
  stranger = (await newReferee(t, 'stranger')).browser!;
  supervisor = await staffMember('supervisor', ['supervisor']);
});

/** The former holder gets, on each path, the status a referee who never held the call gets, and no personal data. */
async function expectStrangersAnswer(former: Browser, paths: string[]) {
  for (const path of paths) {
    const [theirs, strangers] = await Promise.all([former.get(path), stranger.get(path)]);
    expect({ path, status: theirs.status }).toEqual({ path, status: strangers.status });
    expect(theirs.status).toBeGreaterThanOrEqual(400);
    expect(theirs.text ?? '').not.toContain(NAME);
  }
}

describe('a Trusted Referee after the call', () => {
  it('once the outcome is recorded, gets what a stranger gets on the console, its actions and every image', async () => {
    const call = await takenCall('outcome');
    const done = await post(call.referee, call.consolePath, `${call.consolePath}/outcome`, { outcome: 'failed', reason: 'The passport did not match' });
    expect(done.headers.location).toBe('/agent/calls?done=1');

    await expectStrangersAnswer(call.referee, [call.consolePath, ...call.images]);
    // Nor can they act on it any more (a form left open in another tab).
    const token = csrfOf((await call.referee.get('/agent/calls')).text);
    const strangerToken = csrfOf((await stranger.get('/agent/calls')).text);
    for (const action of ['code', 'interpreter', 'outcome']) {
      const path = `${call.consolePath}/${action}`;
      const fields = { outcome: 'failed', reason: 'again' };
      const theirs = await call.referee.post(path).type('form').send({ _csrf: token, ...fields });
      const strangers = await stranger.post(path).type('form').send({ _csrf: strangerToken, ...fields });
      expect({ action, status: theirs.status }).toEqual({ action, status: strangers.status });
      expect(theirs.text ?? '').not.toContain(NAME);
    }
    expect((await t.db.sql.query('select count(*)::int as n from video_call where id = $1 and outcome = $2', [call.callId, 'failed'])).rows[0].n).toBe(1);
  });

  it('once a supervisor releases the call, sees no personal data and gets a stranger’s answer on every image', async () => {
    const call = await takenCall('released');
    const released = await post(supervisor.browser, `/supervisor/calls/${call.callId}`, `/supervisor/calls/${call.callId}/release`, { agent: call.refereeId });
    expect(released.headers.location).toBe('/supervisor?done=call-released');

    await expectStrangersAnswer(call.referee, call.images);
    // The console says what happened (the supervisor's release, nothing saved) and shows nothing of the applicant.
    const consolePage = await call.referee.get(call.consolePath);
    expect(consolePage.status).toBe(409);
    expect(consolePage.text).toContain('A supervisor ended this call without an outcome');
    expect(consolePage.text).not.toContain(NAME);
    expect(imagePaths(consolePage.text, '/agent/calls/')).toEqual([]);
  });

  it('leaves supervisors a read-only view of the call, its details and its images, each view audited', async () => {
    const call = await takenCall('supervised');
    // During the call: read only (no video, no outcome form), the referee keeps the call.
    const during = await supervisor.browser.get(call.consolePath);
    expect(during.status).toBe(200);
    expect(during.text).toContain(NAME);
    expect(during.text).toContain('data-read-only');
    expect(during.text).not.toContain('data-jwt');
    expect(during.text).not.toContain(`action="${call.consolePath}/outcome"`);
    const token = csrfOf((await supervisor.browser.get('/supervisor')).text);
    expect((await supervisor.browser.post(`${call.consolePath}/outcome`).type('form').send({ _csrf: token, outcome: 'failed', reason: 'not theirs' })).status).toBe(403);

    await post(call.referee, call.consolePath, `${call.consolePath}/outcome`, { outcome: 'failed', reason: 'The passport did not match' });
    const after = await supervisor.browser.get(call.consolePath);
    expect(after.status).toBe(200);
    expect(after.text).toContain(NAME);
    const images = imagePaths(after.text, '/agent/calls/');
    expect(images.sort()).toEqual([...call.images].sort());
    for (const path of images) {
      const image = await supervisor.browser.get(path);
      expect(image.status).toBe(200);
      expect(image.headers['content-type']).toMatch(/^image\/jpeg/);
    }
    expect(await auditCount('video.details_viewed', supervisor.accountId, call.caseId)).toBe(2);
    expect(await auditCount('documents.image_viewed', supervisor.accountId, call.caseId)).toBe(images.length);
    const { rows } = await t.db.sql.query(`select distinct details->>'as' as seen_as from audit_event where actor_id = $1 and case_id = $2`, [supervisor.accountId, call.caseId]);
    expect(rows).toEqual([{ seen_as: 'supervisor' }]);
  });
});

describe('a reviewer after the review', () => {
  it('once they decide, or their claim lapses, gets what another reviewer gets on the case and its images; a supervisor reads it, audited', async () => {
    const [first, second] = [await applicantAtDocuments(t, 'reviewed'), await applicantAtDocuments(t, 'lapsed')];
    for (const a of [first, second]) {
      await uploadAll(a);
      expect((await submitDocuments(a)).headers.location).toBe('/documents/review');
    }
    const reviewer = await staffMember('reviewer', ['reviewer']);
    const otherReviewer = (await staffMember('other-reviewer', ['reviewer'])).browser;

    const claim = async () => {
      const path = String((await post(reviewer.browser, '/agent/review', '/agent/review/next')).headers.location);
      const page = await reviewer.browser.get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain(NAME);
      const images = imagePaths(page.text, '/agent/review/');
      expect(images.length).toBeGreaterThanOrEqual(2); // the passport's photo page and the bill (which proves the address too)
      return { path, images, caseId: path.split('/').pop()! };
    };
    const sameAsOther = async (paths: string[]) => {
      for (const path of paths) {
        const [theirs, others] = await Promise.all([reviewer.browser.get(path), otherReviewer.get(path)]);
        expect({ path, status: theirs.status }).toEqual({ path, status: others.status });
        expect(theirs.text ?? '').not.toContain(NAME);
      }
    };

    const decided = await claim();
    const form = { 'decision-0': 'accepted', 'decision-1': 'accepted', 'decision-2': 'accepted' };
    expect((await post(reviewer.browser, decided.path, decided.path, form)).headers.location).toBe('/agent/review?decided=approved');
    await sameAsOther([decided.path, ...decided.images]);

    const lapsed = await claim();
    await t.db.sql.query(`update document_review set last_activity_at = now() - interval '21 minutes' where case_id = $1`, [lapsed.caseId]);
    await sameAsOther(lapsed.images);
    expect((await reviewer.browser.get(lapsed.path)).text).not.toContain(NAME);

    // The supervisor reads the decided case, read only, and each view is audited.
    const read = await supervisor.browser.get(decided.path);
    expect(read.status).toBe(200);
    expect(read.text).toContain(NAME);
    expect(read.text).toContain('data-read-only');
    expect(read.text).not.toContain('name="decision-0"');
    for (const path of imagePaths(read.text, '/agent/review/')) expect((await supervisor.browser.get(path)).status).toBe(200);
    expect(await auditCount('documents.details_viewed', supervisor.accountId, decided.caseId)).toBe(1);
    expect(await auditCount('documents.image_viewed', supervisor.accountId, decided.caseId)).toBe(decided.images.length);
    // Reading is not deciding: the supervisor's POST does not count as a decision on a case they do not hold.
    expect((await post(supervisor.browser, lapsed.path, lapsed.path, form)).status).not.toBe(303);
  });
});
