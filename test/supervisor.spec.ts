import { ForbiddenException } from '@nestjs/common';
import { SupervisorService } from '../src/staff/supervisor.service';
import { createAccount, grantRoles, signIn, type TestPerson } from './harness/accounts';
import { startTestApp, type TestApp } from './harness/app';
import { approvedApplicant, inContext, JITSI, newReferee } from './harness/calls';
import { applicantAtDocuments, photo, submitDocuments, uploadAll, uploadFile } from './harness/documents';
import { csrfOf, textOf } from './harness/forms';
import type { Applicant } from './harness/verification';

/**
 * The supervisor's page: live counts, per-agent figures, the two charts and
 * their tables, and releasing or reassigning claimed work, with what the agent who lost the
 * work sees next. Everything happens through the app's own pages, as staff would do it; rows
 * are aged by hand only where a test needs time to have passed.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp(JITSI);
});
afterAll(() => t?.close());

type Browser = ReturnType<TestApp['browser']>;
interface Staff {
  person: TestPerson;
  accountId: string;
  browser: Browser;
  /** POSTs a form from page `from` (its CSRF token), as a person would. */
  post(path: string, fields?: Record<string, string | string[]>, from?: string): Promise<import('supertest').Response>;
}
let n = 0;

async function staff(label: string, roles: ('reviewer' | 'supervisor')[]): Promise<Staff> {
  const person = await createAccount(t, `${label}${++n}.${Date.now()}@referee.example`);
  await grantRoles(t, person.email, roles);
  const { rows } = await t.db.sql.query('select id from account where email = $1', [person.email]);
  const browser = await signIn(t, person);
  return {
    person,
    accountId: rows[0].id,
    browser,
    async post(path, fields = {}, from = '/account') {
      const page = await browser.get(from);
      return browser.post(path).type('form').send({ _csrf: csrfOf(page.text), ...fields });
    },
  };
}

/** An applicant whose documents are sent and waiting for a reviewer. */
async function submitted(label: string): Promise<Applicant & { caseId: string }> {
  const a = await applicantAtDocuments(t, label);
  await uploadAll(a);
  const res = await submitDocuments(a);
  if (res.headers.location !== '/documents/review') throw new Error(`submit answered ${res.status}`);
  return Object.assign(a, { caseId: (await a.row()).id as string });
}

const ALL_ACCEPTED = { 'decision-0': 'accepted', 'decision-1': 'accepted', 'decision-2': 'accepted' };
const BILL_REJECTED = { 'decision-0': 'accepted', 'decision-1': 'rejected', 'reasons-1': 'glare', 'decision-2': 'accepted' };
const ageClaim = (caseId: string, minutes: number) =>
  t.db.sql.query(`update document_review set claimed_at = claimed_at - make_interval(mins => $2) where case_id = $1`, [caseId, minutes]);

/** The per-agent table's cell `attr` in the row of `email`. */
function agentCell(html: string, email: string, attr: string): string | undefined {
  const row = new RegExp(`<tr data-agent="${email.replace(/[.+]/g, '\\$&')}">([\\s\\S]*?)</tr>`).exec(html)?.[1];
  return row && new RegExp(`${attr}>([^<]*)<`).exec(row)?.[1];
}
const count = (html: string, attr: string) => Number(new RegExp(`${attr}>(\\d+)<`).exec(html)![1]);
const auditRows = async (action: string, caseId: string) =>
  (await t.db.sql.query(`select actor_id, subject, details from audit_event where action = $1 and case_id = $2 order by id`, [action, caseId])).rows;

describe("the supervisor's live view", () => {
  it('shows the applicants waiting for a call move as they join, and refreshes its live part as a fragment', async () => {
    const supervisor = await staff('supervisor', ['supervisor']);
    const before = await supervisor.browser.get('/supervisor');
    expect(before.status).toBe(200);
    expect(before.text).toContain('Waiting for a video call');
    expect(before.text).toContain('hx-get="/supervisor?live=1"');
    const waiting = count(before.text, 'data-calls-waiting');

    const a = await approvedApplicant(t, 'watched');
    await a.post('/call');
    const after = await supervisor.browser.get('/supervisor?live=1').set('HX-Request', 'true');
    expect(after.text).not.toContain('<html');
    expect(count(after.text, 'data-calls-waiting')).toBe(waiting + 1);
    expect(after.text).toMatch(/data-estimate>(We can't estimate right now|Less than 5 minutes|About \d+–\d+ minutes)/);
    // The 10-second refresh carries the live figures only, not the charts or the claimed work.
    expect(after.text).toContain('data-per-agent');
    expect(after.text).not.toContain('<svg');
    expect(after.text).not.toContain('data-review-claims');
    // Applicants and other staff do not see it.
    expect((await a.browser.get('/supervisor')).status).toBe(403);
  });
});

describe('per-agent figures', () => {
  it('count each reviewer’s decisions and each referee’s calls, with their average handle times, from work done through the app', async () => {
    const supervisor = await staff('supervisor', ['supervisor']);
    const reviewer = await staff('counted-reviewer', ['reviewer']);
    const first = await submitted('first');
    const second = await submitted('second');

    // First case: claimed 6 minutes before the decision.
    const claimed1 = await reviewer.post('/agent/review/next', {}, '/agent/review');
    expect(claimed1.headers.location).toBe(`/agent/review/${first.caseId}`);
    await ageClaim(first.caseId, 6);
    expect((await reviewer.post(`/agent/review/${first.caseId}`, ALL_ACCEPTED, '/agent/review')).headers.location).toBe('/agent/review?decided=approved');

    // Second case: claimed 2 minutes before; asking for "Next case" again keeps the claim and its start.
    expect((await reviewer.post('/agent/review/next', {}, '/agent/review')).headers.location).toBe(`/agent/review/${second.caseId}`);
    await ageClaim(second.caseId, 2);
    expect((await reviewer.post('/agent/review/next', {}, '/agent/review')).headers.location).toBe(`/agent/review/${second.caseId}`);
    expect((await reviewer.post(`/agent/review/${second.caseId}`, BILL_REJECTED, '/agent/review')).headers.location).toBe('/agent/review?decided=documents_rejected');

    // The applicant replaces the bill; the new submission's decision counts too, and the first one is not lost.
    expect((await uploadFile(second, 'second', 'page1', await photo())).status).toBe(303);
    expect((await submitDocuments(second)).headers.location).toBe('/documents/review');
    expect((await reviewer.post('/agent/review/next', {}, '/agent/review')).headers.location).toBe(`/agent/review/${second.caseId}`);
    expect((await reviewer.post(`/agent/review/${second.caseId}`, ALL_ACCEPTED, '/agent/review')).headers.location).toBe('/agent/review?decided=approved');

    // A Trusted Referee's call: started 10 minutes before its outcome.
    const caller = await approvedApplicant(t, 'caller');
    await caller.post('/call');
    const referee = await newReferee(t, 'counted-referee');
    const home = await referee.browser!.get('/agent/calls');
    const consolePath = String((await referee.browser!.post('/agent/calls/next').type('form').send({ _csrf: csrfOf(home.text) })).headers.location);
    const callId = consolePath.split('/').pop();
    await t.db.sql.query(`update video_call set started_at = started_at - interval '10 minutes' where id = $1`, [callId]);
    const consolePage = await referee.browser!.get(consolePath);
    const done = await referee.browser!.post(`${consolePath}/outcome`).type('form').send({ _csrf: csrfOf(consolePage.text), outcome: 'failed', reason: 'The passport was a photocopy' });
    expect(done.headers.location).toBe('/agent/calls?done=1');

    const page = (await supervisor.browser.get('/supervisor')).text;
    // Three decisions: (6 + 2 + about 0) / 3 minutes on average.
    expect(agentCell(page, reviewer.person.email, 'data-reviews-today')).toBe('3');
    expect(agentCell(page, reviewer.person.email, 'data-review-time-today')).toBe('3 min');
    expect(agentCell(page, reviewer.person.email, 'data-reviews-week')).toBe('3');
    expect(agentCell(page, reviewer.person.email, 'data-calls-today')).toBe('0');
    expect(agentCell(page, reviewer.person.email, 'data-call-time-today')).toBe('—');
    expect(agentCell(page, referee.person.email, 'data-calls-today')).toBe('1');
    expect(agentCell(page, referee.person.email, 'data-call-time-today')).toBe('10 min');
    expect(agentCell(page, referee.person.email, 'data-call-time-week')).toBe('10 min');
    expect(agentCell(page, referee.person.email, 'data-reviews-today')).toBe('0');
    const { rows } = await t.db.sql.query(`select outcome from document_decision where reviewer_id = $1 order by decided_at`, [reviewer.accountId]);
    expect(rows.map((r: { outcome: string }) => r.outcome)).toEqual(['approved', 'documents_rejected', 'approved']);

    // Today's outcome is in the live figures, in the outcomes chart and in its table (today's row, the last of 14).
    expect(count(page, 'data-outcome-failed')).toBe(1);
    const days = [...page.matchAll(/<tr data-day="([\d-]+)">([\s\S]*?)<\/tr>/g)];
    expect(days).toHaveLength(14);
    expect(days.at(-1)![1]).toBe(new Date().toISOString().slice(0, 10));
    expect(/data-failed>(\d+)</.exec(days.at(-1)![2])![1]).toBe('1');
    expect(days.slice(0, -1).every((d) => /data-failed>0</.test(d[2]))).toBe(true);
    expect(page).toMatch(/<svg [^>]*role="img" aria-labelledby="outcomes-chart-title"/);
    expect(page).toContain('<title id="outcomes-chart-title">Outcomes per day over the last 14 days</title>');
    expect(page).toMatch(/<desc id="outcomes-chart-desc">[^<]*stacked: 1 in all/);
  });
});

describe('the waiting chart', () => {
  it('is derived from the stored times: its table shows who waited when, and its last row is the live count', async () => {
    const supervisor = await staff('supervisor', ['supervisor']);
    const hour = 3600_000;
    // A submission sent 5 hours ago and claimed 4 hours ago, since decided: waiting between the two.
    const reviewer = await staff('history-reviewer', ['reviewer']);
    // Older tests' work out of the way: their cases decided, their applicants gone from the call queue.
    await t.db.sql.query(`update document_review set decided_at = now() where decided_at is null`);
    await t.db.sql.query(`update queue_entry set status = 'left' where status = 'waiting'`);
    const old = await submitted('old');
    await reviewer.post('/agent/review/next', {}, '/agent/review');
    await reviewer.post(`/agent/review/${old.caseId}`, ALL_ACCEPTED, '/agent/review');
    await t.db.sql.query(`update document_decision set submitted_at = now() - interval '5 hours', claimed_at = now() - interval '4 hours' where verification_case_id = $1`, [old.caseId]);
    // A submission waiting for 3 hours, and an applicant in the call queue for 2 hours (page still open).
    const waitingReview = await submitted('waiting');
    await t.db.sql.query(`update document_review set submitted_at = now() - interval '3 hours' where case_id = $1`, [waitingReview.caseId]);
    const waitingCall = await approvedApplicant(t, 'queued');
    await waitingCall.post('/call');
    await t.db.sql.query(`update queue_entry set joined_at = now() - interval '2 hours' where verification_case_id = $1`, [waitingCall.caseId]);

    const page = (await supervisor.browser.get('/supervisor')).text;
    const rows = [...page.matchAll(/<tr data-at="(\d+)">[\s\S]*?data-review>(\d+)<\/td><td data-call>(\d+)</g)].map((m) => ({ at: Number(m[1]), review: Number(m[2]), call: Number(m[3]) }));
    expect(rows.length).toBeGreaterThanOrEqual(32);
    expect(rows.length).toBeLessThanOrEqual(33);
    const now = rows.at(-1)!.at;
    expect(Math.abs(now - Date.now())).toBeLessThan(60_000);
    for (let i = 1; i < rows.length - 1; i++) expect(rows[i].at - rows[i - 1].at).toBe(15 * 60_000);
    const at = (hoursAgo: number) => rows.reduce((best, r) => (Math.abs(r.at - (now - hoursAgo * hour)) < Math.abs(best.at - (now - hoursAgo * hour)) ? r : best));
    expect(at(7.5)).toMatchObject({ review: 0, call: 0 });
    expect(at(4.5)).toMatchObject({ review: 1, call: 0 }); // the old submission, before its claim
    expect(at(3.5)).toMatchObject({ review: 0, call: 0 }); // claimed; the next one not sent yet
    expect(at(2.5)).toMatchObject({ review: 1, call: 0 });
    expect(at(1.5)).toMatchObject({ review: 1, call: 1 });
    // Now: the same numbers as the live counts.
    expect(rows.at(-1)!.review).toBe(count(page, 'data-review-waiting'));
    expect(rows.at(-1)!.call).toBe(count(page, 'data-calls-waiting'));
    expect(rows.at(-1)).toMatchObject({ review: 1, call: 1 });
    // The chart itself: an image with a title and a description giving the numbers now; one line of 33 or so points per series.
    expect(page).toContain('<title id="waiting-chart-title">Applicants waiting over the last 8 hours</title>');
    expect(page).toMatch(/<desc id="waiting-chart-desc">[^<]*Now: 1 for document review and 1 for a video call/);
    const lines = [...page.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1].split(' ').length);
    expect(lines).toEqual([rows.length, rows.length]);
  });
});

describe('releasing and reassigning a document review', () => {
  let supervisor: Staff;
  let losing: Staff;
  let taking: Staff;
  let cases: (Applicant & { caseId: string })[];

  beforeAll(async () => {
    supervisor = await staff('supervisor', ['supervisor']);
    losing = await staff('losing-reviewer', ['reviewer']);
    taking = await staff('taking-reviewer', ['reviewer']);
    await t.db.sql.query(`update document_review set decided_at = now() where decided_at is null`); // older tests' cases out of the way
    cases = [];
    for (const label of ['b1', 'b2', 'b3']) cases.push(await submitted(label));
  }, 120_000);

  it('releases a claim back to the queue in its place; the reviewer who had it is told so, and the audit log has it', async () => {
    const [b1, b2, b3] = cases;
    expect((await losing.post('/agent/review/next', {}, '/agent/review')).headers.location).toBe(`/agent/review/${b1.caseId}`);
    const reviewPage = await losing.browser.get(`/agent/review/${b1.caseId}`);
    expect(reviewPage.status).toBe(200);

    // The supervisor sees the claim, opens it, and releases it.
    const dashboard = await supervisor.browser.get('/supervisor');
    expect(dashboard.text).toMatch(new RegExp(`<tr data-case="${b1.caseId}">[\\s\\S]*?${losing.person.email.replace(/[.+]/g, '\\$&')}[\\s\\S]*?href="/supervisor/reviews/${b1.caseId}"`));
    const manage = await supervisor.browser.get(`/supervisor/reviews/${b1.caseId}`);
    expect(manage.status).toBe(200);
    expect(manage.text).toContain(`data-claimed-by>${losing.person.email}<`);
    expect(manage.text).toContain(`name="from" value="${losing.accountId}"`);
    const released = await supervisor.post(`/supervisor/reviews/${b1.caseId}/release`, { from: losing.accountId }, `/supervisor/reviews/${b1.caseId}`);
    expect(released.status).toBe(303);
    expect(released.headers.location).toBe('/supervisor?done=released');
    expect((await supervisor.browser.get(released.headers.location)).text).toContain('The case is back in the document review queue');
    expect(await auditRows('documents.claim_released', b1.caseId)).toEqual([{ actor_id: supervisor.accountId, subject: losing.accountId, details: { from: losing.accountId } }]);

    // The reviewer's next actions: opening the case, or sending the decision they were making. No error: a page that says what happened.
    const opened = await losing.browser.get(`/agent/review/${b1.caseId}`);
    expect(opened.status).toBe(409);
    expect(opened.text).toContain('A supervisor released this case back to the document review queue');
    expect(opened.text).toContain('href="/agent/review"');
    const decided = await losing.browser.post(`/agent/review/${b1.caseId}`).type('form').send({ _csrf: csrfOf(reviewPage.text), ...ALL_ACCEPTED });
    expect(decided.status).toBe(409);
    expect(decided.text).toContain('A supervisor released this case');
    expect((await b1.row()).status).toBe('in_review');

    // Its place is kept: first in the queue (oldest first), and the next reviewer to ask gets it.
    const queue = await taking.browser.get('/agent/review');
    const order = [...queue.text.matchAll(/<tr><th scope="row">([0-9a-f]{8})</g)].map((m) => m[1]);
    expect(order).toEqual([b1, b2, b3].map((b) => b.caseId.slice(0, 8)));
    expect((await taking.post('/agent/review/next', {}, '/agent/review')).headers.location).toBe(`/agent/review/${b1.caseId}`);

    // Releasing a claim that changed meanwhile changes nothing.
    const stale = await supervisor.post(`/supervisor/reviews/${b1.caseId}/release`, { from: losing.accountId }, '/supervisor');
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('is not claimed by that reviewer any more');
    expect(await auditRows('documents.claim_released', b1.caseId)).toHaveLength(1);
    expect((await taking.browser.get(`/agent/review/${b1.caseId}`)).status).toBe(200);
  });

  it('reassigns a claim to another reviewer signed in now; the one who had it is told, the other finds it as theirs', async () => {
    const [b1] = cases; // claimed by `taking` since the test above
    const absent = await createAccount(t, `absent-reviewer.${Date.now()}@referee.example`); // a reviewer, never signed in
    await grantRoles(t, absent.email, ['reviewer']);
    const { rows } = await t.db.sql.query('select id from account where email = $1', [absent.email]);
    const absentId: string = rows[0].id;

    const manage = await supervisor.browser.get(`/supervisor/reviews/${b1.caseId}`);
    const options = [...manage.text.matchAll(/<option value="([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(options).toContain(losing.accountId);
    expect(options).not.toContain(taking.accountId); // who has it now
    expect(options).not.toContain(absentId); // not signed in
    const refused = await supervisor.post(`/supervisor/reviews/${b1.caseId}/reassign`, { from: taking.accountId, to: absentId }, `/supervisor/reviews/${b1.caseId}`);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('Choose a reviewer who is signed in now');
    expect(refused.text).toMatch(/<title>Error:/);
    // No reviewer chosen, or a list where one belongs: the same message next to the field, nothing moved, never a 500.
    const none = await supervisor.post(`/supervisor/reviews/${b1.caseId}/reassign`, { from: taking.accountId }, `/supervisor/reviews/${b1.caseId}`);
    expect(none.status).toBe(400);
    expect(textOf(none.text, 'to-error')).toBe('Choose a reviewer who is signed in now');
    const listed = await supervisor.post(`/supervisor/reviews/${b1.caseId}/reassign`, { from: taking.accountId, to: [losing.accountId, absentId] }, `/supervisor/reviews/${b1.caseId}`);
    expect(listed.status).toBe(400);
    expect(textOf(listed.text, 'to-error')).toBe('Choose a reviewer who is signed in now');
    expect(await auditRows('documents.claim_reassigned', b1.caseId)).toEqual([]);

    const reassigned = await supervisor.post(`/supervisor/reviews/${b1.caseId}/reassign`, { from: taking.accountId, to: losing.accountId }, `/supervisor/reviews/${b1.caseId}`);
    expect(reassigned.headers.location).toBe('/supervisor?done=reassigned');
    expect(await auditRows('documents.claim_reassigned', b1.caseId)).toEqual([
      { actor_id: supervisor.accountId, subject: taking.accountId, details: { from: taking.accountId, to: losing.accountId } },
    ]);

    const lost = await taking.browser.get(`/agent/review/${b1.caseId}`);
    expect(lost.status).toBe(409);
    expect(lost.text).toContain('A supervisor reassigned this case to another reviewer');
    // The new reviewer sees it among their cases, gets it with "Next case", and decides it: it counts for them.
    const queue = await losing.browser.get('/agent/review');
    expect(queue.text).toContain(`href="/agent/review/${b1.caseId}"`);
    expect((await losing.post('/agent/review/next', {}, '/agent/review')).headers.location).toBe(`/agent/review/${b1.caseId}`);
    expect((await losing.post(`/agent/review/${b1.caseId}`, ALL_ACCEPTED, '/agent/review')).headers.location).toBe('/agent/review?decided=approved');
    const page = (await supervisor.browser.get('/supervisor')).text;
    expect(agentCell(page, losing.person.email, 'data-reviews-today')).toBe('1');
    expect(page).toContain('data-per-agent');
    expect(page).not.toContain(`data-agent="${taking.person.email}"`); // nothing handled: no row
  });

  it('tells a reviewer whose claim lapsed (20 minutes without activity) the same way', async () => {
    const [, , b3] = cases;
    const late = await staff('late-reviewer', ['reviewer']);
    await t.db.sql.query(`update document_review set claimed_by = $2, claimed_at = now() - interval '30 minutes', last_activity_at = now() - interval '21 minutes' where case_id = $1`, [b3.caseId, late.accountId]);
    const opened = await late.browser.get(`/agent/review/${b3.caseId}`);
    expect(opened.status).toBe(409);
    expect(opened.text).toContain('Your claim on this case lapsed after 20 minutes without activity');
    // Someone who never held it gets no hint that it exists.
    expect((await taking.browser.get(`/agent/review/${b3.caseId}`)).status).toBe(404);
    await t.db.sql.query(`update document_review set claimed_by = null, claimed_at = null, last_activity_at = null where case_id = $1`, [b3.caseId]);
  });

  it('is for supervisors only: refused to reviewers, referees and applicants, at the route and in the service', async () => {
    const [, b2] = cases;
    expect((await taking.post('/agent/review/next', {}, '/agent/review')).headers.location).toBe(`/agent/review/${b2.caseId}`);
    const referee = await newReferee(t, 'nosy-referee');
    const others: Browser[] = [losing.browser, referee.browser!, b2.browser];
    for (const browser of others) {
      const token = csrfOf((await browser.get('/account')).text);
      for (const [path, fields] of [
        [`/supervisor/reviews/${b2.caseId}/release`, { from: taking.accountId }],
        [`/supervisor/reviews/${b2.caseId}/reassign`, { from: taking.accountId, to: losing.accountId }],
      ] as const) {
        expect((await browser.post(path).type('form').send({ _csrf: token, ...fields })).status).toBe(403);
      }
      expect((await browser.get(`/supervisor/reviews/${b2.caseId}`)).status).toBe(403);
    }
    const service = t.app.get(SupervisorService);
    await expect(inContext(t, () => service.releaseReview({ actorId: losing.accountId }, b2.caseId, taking.accountId))).rejects.toBeInstanceOf(ForbiddenException);
    await expect(inContext(t, () => service.reassignReview({ actorId: referee.accountId }, b2.caseId, taking.accountId, losing.accountId))).rejects.toBeInstanceOf(ForbiddenException);
    await expect(inContext(t, async () => service.dashboard((await b2.row()).account_id, { live: true }))).rejects.toBeInstanceOf(ForbiddenException);
    // Nothing moved.
    expect((await taking.browser.get(`/agent/review/${b2.caseId}`)).status).toBe(200);
    expect(await auditRows('documents.claim_released', b2.caseId)).toEqual([]);
  });
});

describe('releasing a video call', () => {
  it('ends the call without an outcome and puts the applicant back at the front of the queue; the referee is told on their next action', async () => {
    const supervisor = await staff('supervisor', ['supervisor']);
    await t.db.sql.query(`update queue_entry set status = 'left' where status = 'waiting'`); // older tests' applicants out of the way
    const first = await approvedApplicant(t, 'first-in-line');
    await first.post('/call');
    const second = await approvedApplicant(t, 'second-in-line');
    await second.post('/call');
    const { rows: before } = await t.db.sql.query(`select joined_at from queue_entry where verification_case_id = $1`, [first.caseId]);

    const referee = await newReferee(t, 'released-referee');
    const home = await referee.browser!.get('/agent/calls');
    const consolePath = String((await referee.browser!.post('/agent/calls/next').type('form').send({ _csrf: csrfOf(home.text) })).headers.location);
    const callId = consolePath.split('/').pop()!;
    const consolePage = await referee.browser!.get(consolePath);
    expect(consolePage.status).toBe(200);
    expect((await first.row()).status).toBe('in_call');

    const dashboard = await supervisor.browser.get('/supervisor');
    expect(dashboard.text).toContain(`href="/supervisor/calls/${callId}"`);
    const manage = await supervisor.browser.get(`/supervisor/calls/${callId}`);
    expect(manage.text).toContain(`data-claimed-by>${referee.person.email}<`);
    const released = await supervisor.post(`/supervisor/calls/${callId}/release`, { agent: referee.accountId }, `/supervisor/calls/${callId}`);
    expect(released.headers.location).toBe('/supervisor?done=call-released');
    expect((await t.db.sql.query(`select actor_id, subject, details from audit_event where action = 'video.call_released' and case_id = $1`, [first.caseId])).rows).toEqual([
      { actor_id: supervisor.accountId, subject: callId, details: { agent: referee.accountId } },
    ]);

    // The applicant: back in the queue, first, with the time they joined.
    expect((await first.row()).status).toBe('queued');
    const { rows: after } = await t.db.sql.query(`select status, joined_at, claimed_by from queue_entry where verification_case_id = $1`, [first.caseId]);
    expect(after).toEqual([{ status: 'waiting', joined_at: before[0].joined_at, claimed_by: null }]);
    expect((await first.browser.get('/call/join')).headers.location).toBe('/call');
    expect((await first.browser.get('/call')).text).toMatch(/data-position>1</);
    const { rows: call } = await t.db.sql.query(`select status, outcome, released_at from video_call where id = $1`, [callId]);
    expect(call[0]).toMatchObject({ status: 'ended', outcome: null });
    expect(call[0].released_at).not.toBeNull();

    // The referee: the console and the outcome form say what happened, with the way back; their status is Away.
    const opened = await referee.browser!.get(consolePath);
    expect(opened.status).toBe(409);
    expect(opened.text).toContain('A supervisor ended this call without an outcome');
    expect(opened.text).toContain('href="/agent/calls"');
    const outcome = await referee.browser!.post(`${consolePath}/outcome`).type('form').send({ _csrf: csrfOf(consolePage.text), outcome: 'failed', reason: 'Too late' });
    expect(outcome.status).toBe(409);
    expect((await referee.browser!.get('/agent/calls')).text).toMatch(/data-agent-status>Away</);
    // Not counted as a completed call.
    const page = (await supervisor.browser.get('/supervisor')).text;
    expect(page).toContain('data-per-agent');
    expect(page).not.toContain(`data-agent="${referee.person.email}"`); // nothing completed: no row

    // The next referee gets the released applicant before the one who joined after them.
    const next = await newReferee(t, 'next-referee');
    const nextHome = await next.browser!.get('/agent/calls');
    const nextPath = String((await next.browser!.post('/agent/calls/next').type('form').send({ _csrf: csrfOf(nextHome.text) })).headers.location);
    const { rows: taken } = await t.db.sql.query(`select verification_case_id from video_call where id = $1`, [nextPath.split('/').pop()]);
    expect(taken[0].verification_case_id).toBe(first.caseId);
    expect((await second.row()).status).toBe('queued');

    // Releasing it again (a second tab) changes nothing.
    const stale = await supervisor.post(`/supervisor/calls/${callId}/release`, { agent: referee.accountId }, '/supervisor');
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('not in progress with that Trusted Referee any more');
  });
});

describe('in the reader’s language', () => {
  const ARABIC_MONTHS = ['يناير', 'فبراير', 'مارس', 'أبريل', 'مايو', 'يونيو', 'يوليو', 'أغسطس', 'سبتمبر', 'أكتوبر', 'نوفمبر', 'ديسمبر'];
  const ARABIC_WEEKDAYS = ['الأحد', 'الاثنين', 'الثلاثاء', 'الأربعاء', 'الخميس', 'الجمعة', 'السبت'];
  const SPANISH_MONTHS = ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sept', 'oct', 'nov', 'dic'];
  /** The visible texts of the chart whose id is `id`. */
  const chartTexts = (html: string, id: string) => {
    const svg = new RegExp(`<svg [^>]*aria-labelledby="${id}-title"[\\s\\S]*?</svg>`).exec(html)![0];
    return { svg, texts: [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]) };
  };

  it('shows the supervisor page in Arabic: counts, charts with Arabic labels, day names and times, and its live part', async () => {
    const supervisor = await staff('arabic-supervisor', ['supervisor']);
    const page = (await supervisor.browser.get('/supervisor').set('Accept-Language', 'ar')).text;
    expect(page).toContain('<html lang="ar" dir="rtl">');
    expect(page).toContain('<h1>الإشراف</h1>');
    expect(page).toContain('في انتظار مكالمة فيديو');

    const waiting = chartTexts(page, 'waiting-chart');
    expect(waiting.svg).toContain('<title id="waiting-chart-title">المتقدمون المنتظرون خلال آخر 8 ساعات</title>');
    expect(waiting.svg).toMatch(/<desc id="waiting-chart-desc">المتقدمون المنتظرون لمراجعة المستندات ولمكالمة فيديو، كل 15 دقيقة/);
    expect(waiting.texts).toEqual(expect.arrayContaining(['الوقت (UTC)', 'المتقدمون المنتظرون', 'لمراجعة المستندات', 'لمكالمة فيديو']));
    // The hours on the time axis, as Arabic writes them (ص / م rather than AM / PM).
    const hours = waiting.texts.filter((s) => /\d:\d\d/.test(s));
    expect(hours.length).toBeGreaterThanOrEqual(8);
    for (const hour of hours) expect(hour).toMatch(/^\d{1,2}:00 [صم]$/);
    // Laid out left to right inside the right-to-left page, so its text stays where the drawing puts it.
    expect(waiting.svg).toMatch(/^<svg [^>]*direction="ltr"/);

    const outcomes = chartTexts(page, 'outcomes-chart');
    expect(outcomes.texts).toEqual(expect.arrayContaining(['تم التحقق', 'لم يتم التحقق', 'يلزم مزيد من المستندات', 'حالات عدم الحضور', 'اليوم (UTC)']));
    const today = new Date();
    // Fourteen days under the bars: every other one labelled (an Arabic date is long), today always.
    const days = outcomes.texts.filter((s) => ARABIC_MONTHS.some((m) => s.endsWith(m)));
    expect(days).toHaveLength(7);
    for (const day of days) expect(day).toMatch(new RegExp(`^\\d{1,2} (${ARABIC_MONTHS.join('|')})$`));
    expect(days.at(-1)).toBe(`${today.getUTCDate()} ${ARABIC_MONTHS[today.getUTCMonth()]}`);
    expect(outcomes.svg).toMatch(/<text [^>]*direction="rtl">\d{1,2} /); // "13 نوفمبر", not "نوفمبر 13"
    // The table of the same numbers names each day with its weekday.
    const rows = [...page.matchAll(/<tr data-day="([\d-]+)"><th scope="row"><time[^>]*>([^<]*)</g)];
    expect(rows).toHaveLength(14);
    expect(rows.at(-1)![2]).toContain(ARABIC_WEEKDAYS[today.getUTCDay()]);
    expect(rows.at(-1)![2]).toContain(ARABIC_MONTHS[today.getUTCMonth()]);
    // No English left in either chart.
    for (const text of [...waiting.texts, ...outcomes.texts]) expect(text.replace('UTC', '')).not.toMatch(/[A-Za-z]{2,}/);

    const live = await supervisor.browser.get('/supervisor?live=1').set('HX-Request', 'true').set('Accept-Language', 'ar');
    expect(live.text).not.toContain('<html');
    expect(live.text).toContain('آخر تحديث في');
    expect(live.text).toContain('العمل الذي أنجزه كل موظف');
  });

  it('shows the release page and the reviewer’s "no longer yours" page in Spanish', async () => {
    const supervisor = await staff('spanish-supervisor', ['supervisor']);
    const reviewer = await staff('spanish-reviewer', ['reviewer']);
    await staff('spanish-other-reviewer', ['reviewer']); // signed in: the case could go to them
    await t.db.sql.query(`update document_review set decided_at = now() where decided_at is null`); // older tests' cases out of the way
    const c = await submitted('spanish');
    expect((await reviewer.post('/agent/review/next', {}, '/agent/review')).headers.location).toBe(`/agent/review/${c.caseId}`);

    const manage = await supervisor.browser.get(`/supervisor/reviews/${c.caseId}`).set('Accept-Language', 'es');
    expect(manage.status).toBe(200);
    expect(manage.text).toContain('<html lang="es" dir="ltr">');
    expect(manage.text).toContain('<h1>Liberar o reasignar una revisión de documentos</h1>');
    expect(manage.text).toContain(`Devolver el caso ${c.caseId.slice(0, 8)} a la fila`);
    expect(manage.text).toContain('si no lo abren en 20 minutos');
    // The times are written the Spanish way (e.g. "26 nov 2026, 14:05").
    const sent = /<dd><time datetime="([^"]+)">([^<]*)<\/time><\/dd>/.exec(manage.text)!;
    expect(sent[2]).toContain(SPANISH_MONTHS[new Date(sent[1]).getUTCMonth()]);
    expect(sent[2]).toMatch(/\d{2}:\d{2}$/);

    // Reassigning to someone not signed in is refused in Spanish.
    const absent = await createAccount(t, `absent-es.${Date.now()}@referee.example`);
    await grantRoles(t, absent.email, ['reviewer']);
    const { rows } = await t.db.sql.query('select id from account where email = $1', [absent.email]);
    const refused = await supervisor.browser
      .post(`/supervisor/reviews/${c.caseId}/reassign`)
      .set('Accept-Language', 'es')
      .type('form')
      .send({ _csrf: csrfOf(manage.text), from: reviewer.accountId, to: rows[0].id });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('Elija un revisor que tenga la sesión iniciada ahora');

    const released = await supervisor.browser
      .post(`/supervisor/reviews/${c.caseId}/release`)
      .set('Accept-Language', 'es')
      .type('form')
      .send({ _csrf: csrfOf(manage.text), from: reviewer.accountId });
    expect(released.headers.location).toBe('/supervisor?done=released');
    expect((await supervisor.browser.get(released.headers.location).set('Accept-Language', 'es')).text).toContain('El caso está de nuevo en la fila de revisión de documentos');

    const lost = await reviewer.browser.get(`/agent/review/${c.caseId}`).set('Accept-Language', 'es');
    expect(lost.status).toBe(409);
    expect(lost.text).toContain('<h1>Este caso ya no es suyo</h1>');
    expect(lost.text).toContain('Un supervisor devolvió este caso a la fila de revisión de documentos');
    expect(lost.text).toContain('Volver a la fila de revisión de documentos');
  });
});
