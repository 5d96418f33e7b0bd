import { jwtVerify } from 'jose';
import { VerifiedIdentitiesService } from '../src/verified-identity/verified-identities.service';
import { startTestApp, type TestApp } from './harness/app';
import { approvedApplicant, approveDocuments, inContext, JITSI, newReferee } from './harness/calls';
import { applicantAtDocuments, uploadAll } from './harness/documents';
import { csrfOf } from './harness/forms';
import { lastEmailTo } from './harness/outbox';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp(JITSI);
});
afterAll(() => t?.close());

type Browser = ReturnType<TestApp['browser']>;
async function post(browser: Browser, from: string, path: string, fields: Record<string, string> = {}) {
  const page = await browser.get(from);
  return browser.post(path).type('form').send({ _csrf: csrfOf(page.text), ...fields });
}
const attr = (html: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(html)?.[1];

describe('the whole call: queue → agent takes the applicant → both on the call page → checklist → verified', () => {
  it('works end to end, with honest estimates, JWTs, recording consent, an audited console and recordVerified', async () => {
    const a = await approvedApplicant(t);

    // Approved: the step of the flow is /call; wait for the next Trusted Referee.
    expect((await a.browser.get('/verify')).headers.location).toBe('/call');
    const approved = await a.browser.get('/call');
    expect(approved.status).toBe(200);
    expect(approved.text).toContain('Your documents are approved');
    expect(approved.text).toContain('href="/help/appointments"'); // the /call "Learn more" links
    expect((await a.post('/call')).headers.location).toBe('/call');
    expect((await a.row()).status).toBe('queued');

    // No agent on duty: no made-up number.
    const noAgent = await a.browser.get('/call');
    expect(noAgent.text).toMatch(/data-position>1</);
    expect(noAgent.text).toContain('<dd data-wait>No Trusted Referee is available now</dd>');
    // Not taken yet: no call page.
    expect((await a.browser.get('/call/join')).headers.location).toBe('/call');

    const agent = await newReferee(t);
    const b = agent.browser!;
    expect((await post(b, '/agent/calls', '/agent/calls/status', { status: 'available' })).status).toBe(303);
    const estimated = await a.browser.get('/call');
    expect(estimated.text).toContain('data-wait>Less than 5 minutes<'); // a free agent and nobody ahead

    // Next applicant: the agent gets this applicant, the case is in the call.
    const next = await post(b, '/agent/calls', '/agent/calls/next');
    expect(next.status).toBe(303);
    const consolePath: string = next.headers.location;
    expect(consolePath).toMatch(/^\/agent\/calls\/[0-9a-f-]{36}$/);
    expect((await a.row()).status).toBe('in_call');
    expect((await a.browser.get('/call')).headers.location).toBe('/call/join');

    // The console: decrypted details, audit-logged; the agent's JWT is moderator and may record.
    const console1 = await b.get(consolePath);
    expect(console1.status).toBe(200);
    expect(console1.text).toContain('Amélie');
    expect(console1.text).toContain('1986-04-28');
    const audits = await t.db.sql.query(`select count(*)::int as n from audit_event where action = 'video.details_viewed' and actor_id = $1`, [agent.accountId]);
    expect(audits.rows[0].n).toBe(1);
    expect(console1.headers['content-security-policy']).toMatch(/script-src 'self' https:\/\/jitsi\.test/);
    const secret = new TextEncoder().encode(JITSI.JITSI_APP_SECRET);
    const agentJwt = await jwtVerify(attr(console1.text, 'data-jwt')!, secret, { issuer: 'referee-test', audience: 'jitsi', subject: 'jitsi.test' });
    const room = attr(console1.text, 'data-room')!;
    expect(room).toMatch(/^referee-[a-z0-9_-]{30,}$/);
    expect(agentJwt.payload).toMatchObject({ room, context: { user: { moderator: true }, features: { recording: true } } });
    // A referee reading Arabic gets the whole console in Arabic, right to left.
    const inArabic = await b.get(consolePath).set('Accept-Language', 'ar');
    expect(inArabic.text).toContain('<html lang="ar" dir="rtl">');
    expect(inArabic.text).toContain('<legend class="usa-legend usa-legend--large">قائمة التحقق</legend>');
    expect(inArabic.text).toContain('أكّدت الاسم الكامل للمتقدم');
    expect(inArabic.text).toContain('<time datetime="1986-04-28">');
    expect(inArabic.text).not.toContain('Checklist');

    // Another referee cannot open this call.
    const other = await newReferee(t, 'other');
    expect((await other.browser!.get(consolePath)).status).toBe(404);

    // The applicant: the fraud warning, then consent to the recording before joining.
    const join = await a.browser.get('/call/join');
    expect(join.status).toBe(200);
    expect(join.text).toContain(`Only join calls from ${new URL(t.config.baseUrl).host}.`);
    expect(join.text).toContain('If anyone sent you a video call link, tell your agent immediately.');
    expect(join.text).not.toContain('external_api.js');
    expect(join.headers['content-security-policy']).not.toContain('jitsi.test');
    // Nothing is wrong yet: no error summary (it once said "There are 0 problems").
    expect(join.text).not.toContain('data-error-summary');
    const refused = await a.post('/call/join', {});
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('agree to the recording');
    expect(refused.text).toContain('data-error-summary');
    expect((await a.post('/call/join', { recordingConsent: 'yes' })).status).toBe(303);
    const onCall = await a.browser.get('/call/join');
    // call.js loads Jitsi's script from the room's domain (so that a blocked one is told: see the browser test).
    expect(onCall.text).toContain('data-domain="jitsi.test"');
    expect(onCall.text).toContain('<script src="/static/js/call.js"></script>');
    expect(onCall.text).not.toContain('data-error-summary');
    expect(onCall.headers['content-security-policy']).toMatch(/frame-src https:\/\/jitsi\.test/);
    const applicantJwt = await jwtVerify(attr(onCall.text, 'data-jwt')!, secret, { issuer: 'referee-test', audience: 'jitsi' });
    expect(applicantJwt.payload).toMatchObject({ room, context: { user: { moderator: false }, features: { recording: false } } });
    expect(applicantJwt.payload.exp).toBeGreaterThan(Date.now() / 1000);

    // Call events reach the call record (the browser test drives them through call.js).
    const callId = consolePath.split('/').pop()!;
    expect((await a.post('/call/events', { callId, event: 'joined' })).status).toBe(204);
    expect((await post(b, consolePath, '/call/events', { callId, event: 'recording_on' })).status).toBe(204);
    const events = await t.db.sql.query('select events, recording_started_at from video_call where id = $1', [callId]);
    expect(events.rows[0].events.map((e: { type: string; by: string }) => `${e.by}:${e.type}`)).toEqual(['applicant:joined', 'agent:recording_on']);
    expect(events.rows[0].recording_started_at).not.toBeNull();

    // The checklist: "verified" needs every item, the code read back and the documents' details.
    const incomplete = await post(b, consolePath, `${consolePath}/outcome`, { outcome: 'verified' });
    expect(incomplete.status).toBe(400);
    expect(incomplete.text).toContain('Confirm every item before verifying');
    expect((await post(b, consolePath, `${consolePath}/code`)).headers.location).toBe(`${consolePath}?code=sent`);
    const mail = await lastEmailTo(t.db.sql, 'amelie@example.fr');
    const code = /(\d{6})/.exec(mail!.body)![1];
    const checks = Object.fromEntries(['name', 'dateOfBirth', 'address', 'originals', 'face', 'tilted', 'inView'].map((k) => [`check-${k}`, 'yes']));
    const documentFields = { 'doc-first-country': 'FR', 'doc-first-number': '19AB12345', 'doc-first-expiry': '2031-05-01' };
    const wrongCode = await post(b, consolePath, `${consolePath}/outcome`, { outcome: 'verified', ...checks, ...documentFields, code: code === '000000' ? '111111' : '000000' });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.text).toContain('does not match');
    const done = await post(b, consolePath, `${consolePath}/outcome`, { outcome: 'verified', ...checks, ...documentFields, code, notes: 'All good' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/agent/calls?done=1');

    // The applicant sees "Your identity is verified"; the OIDC module has the identity and its evidence.
    expect((await a.browser.get('/call')).headers.location).toBe('/call/verified');
    const verified = await a.browser.get('/call/verified');
    expect(verified.text).toContain('Your identity is verified');
    const accountId = (await a.row()).account_id;
    const identity = await inContext(t, () => t.app.get(VerifiedIdentitiesService).findVerified(accountId));
    const { rows: [{ evidence_reference: reference }] } = await t.db.sql.query('select evidence_reference from video_call where id = $1', [consolePath.split('/').pop()]);
    expect(identity).toMatchObject({
      verificationProcess: reference,
      ssnVerified: false,
      claims: { givenName: 'Amélie', familyName: "D'Artagnan-Poulain", birthdate: '1986-04-28', address: { locality: 'Paris', country: 'FR' } },
    });
    expect(identity!.documents).toHaveLength(1);
    expect(identity!.documents[0]).toMatchObject({ type: 'passport', number: '19AB12345', issuer: { country: 'FR' }, dateOfExpiry: '2031-05-01' });
    expect(identity!.documents[0].checks.map((c) => c.method)).toEqual(['vri', 'pvr']);
    // Organizations get the call's opaque reference, not the call, the room or the referee (test/oidc/evidence.spec.ts).
    expect(identity!.documents[0].checks.map((c) => c.checkId)).toEqual([`${reference}:vri`, `${reference}:pvr`]);

    // The agent is available again and the handle time is data for the next estimate.
    expect((await b.get('/agent/calls')).text).toMatch(/data-agent-status>Available</);
    const entry = await t.db.sql.query(`select status, finished_at from queue_entry where verification_case_id = $1`, [a.caseId]);
    expect(entry.rows[0].status).toBe('done');
  });

  it('is for referees only, and an uncertified referee cannot take calls', async () => {
    const a = await approvedApplicant(t, 'nosy');
    expect((await a.browser.get('/agent/calls')).status).toBe(403);
    const r = await newReferee(t, 'expired');
    await t.db.sql.query(`update referee_certification set expires_on = '2020-01-01' where account_id = $1`, [r.accountId]);
    expect((await post(r.browser!, '/agent/calls', '/agent/calls/next')).headers.location).toBe('/agent/calls?not-certified=1');
  });

describe('the video does not work for the applicant: schedule an appointment instead', () => {
  it('ends their part of the call without an outcome, keeps the documents approved, opens the schedule, and tells the referee', async () => {
    const a = await approvedApplicant(t, 'rebooking');
    await a.post('/call');
    const agent = await newReferee(t, 'rebook');
    const b = agent.browser!;
    const consolePath: string = (await post(b, '/agent/calls', '/agent/calls/next')).headers.location;
    const callId = consolePath.split('/').pop()!;
    expect((await a.post('/call/join', { recordingConsent: 'yes' })).headers.location).toBe('/call/join');

    // The failure panel (shown by call.js when the video fails) has the button, in a form with its CSRF token.
    const join = await a.browser.get('/call/join');
    expect(join.text).toMatch(/<form method="post" action="\/call\/reschedule"[^>]*>\s*<input type="hidden" name="_csrf"/);
    expect(join.text).toContain('Schedule an appointment instead</button>');

    // Without a CSRF token nothing happens.
    expect((await a.browser.post('/call/reschedule').type('form').send({})).status).toBe(403);
    expect((await a.row()).status).toBe('in_call');

    const left = await post(a.browser, '/call/join', '/call/reschedule');
    expect(left.status).toBe(303);
    expect(left.headers.location).toBe('/call/schedule');
    // The case keeps its place: documents approved, the schedule open to book a time.
    expect((await a.row()).status).toBe('approved');
    const schedule = await a.browser.get('/call/schedule');
    expect(schedule.status).toBe(200);
    expect((await a.browser.get('/call/join')).headers.location).toBe('/call');

    // The call ended as not held: no outcome, so neither completed nor failed in the figures.
    const { rows: [call] } = await t.db.sql.query('select status, outcome, ended_at, left_to_book_at from video_call where id = $1', [callId]);
    expect(call).toMatchObject({ status: 'ended', outcome: null });
    expect(call.left_to_book_at).not.toBeNull();
    const { rows: events } = await t.db.sql.query(`select action, actor_id, details from audit_event where case_id = $1 and action in ('verification.call_left_to_book', 'video.applicant_left_to_book') order by id`, [a.caseId]);
    expect(events.map((e: { action: string }) => e.action)).toEqual(['verification.call_left_to_book', 'video.applicant_left_to_book']);
    expect(events[1].actor_id).toBe((await a.row()).account_id);
    // The wait estimate does not learn this call's time as a handled call.
    expect((await t.db.sql.query('select status from queue_entry where verification_case_id = $1', [a.caseId])).rows[0].status).toBe('left');

    // The referee's console says the applicant left to book, and the referee is free for the next applicant.
    const seen = await b.get(consolePath);
    expect(seen.status).toBe(409);
    expect(seen.text).toContain('The applicant left to book an appointment');
    expect(seen.text).not.toContain('Amélie');
    const outcome = await b.post(`${consolePath}/outcome`).type('form').send({ _csrf: csrfOf((await b.get('/agent/calls')).text), outcome: 'failed' });
    expect(outcome.status).toBe(409);
    expect((await t.db.sql.query('select outcome from video_call where id = $1', [callId])).rows[0].outcome).toBeNull();
    expect((await t.db.sql.query('select status from agent_status where account_id = $1', [agent.accountId])).rows[0].status).toBe('available');
    // Another referee gets a stranger's answer.
    expect((await (await newReferee(t, 'stranger')).browser!.get(consolePath)).status).toBe(404);
  });
});

describe('languages, interpreters and helpers', () => {
  it('lists 240+ languages; a non-English call needs an interpreter (guest JWT), a declared helper must be confirmed on camera', async () => {
    const a = await approvedApplicant(t, 'helped');
    const page = await a.browser.get('/call/preferences');
    expect(page.status).toBe(200);
    expect([...page.text.matchAll(/<option value="[a-z]{2,3}"/g)].length).toBeGreaterThanOrEqual(240);
    expect(page.text).toContain('<option value="ja">Japanese</option>');
    const missing = await a.post('/call/preferences', { language: 'ja', hasHelper: 'yes', helperName: 'Kenji' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Enter how your helper is related to you');
    expect((await a.post('/call/preferences', { language: 'ja', hasHelper: 'yes', helperName: 'Kenji Sato', helperRelationship: 'Son', helperRole: 'Holds the phone' })).headers.location).toBe('/call?saved=1');
    expect((await a.browser.get('/call')).text).toContain('data-language>Japanese<');
    await a.post('/call');

    const agent = await newReferee(t, 'interp');
    const consolePath = (await post(agent.browser!, '/agent/calls', '/agent/calls/next')).headers.location;
    const page2 = await agent.browser!.get(consolePath);
    expect(page2.text).toContain('an interpreter is needed');
    expect(page2.text).toContain('Helper: Kenji Sato (Son): Holds the phone.');
    expect(page2.text).toContain('name="check-helper"');

    const invited = await post(agent.browser!, consolePath, `${consolePath}/interpreter`);
    expect(invited.status).toBe(200);
    const link = /data-interpreter-link>([^<]+)</.exec(invited.text)![1];
    expect(link).toMatch(/^https:\/\/jitsi\.test\/referee-[a-z0-9_-]+\?jwt=/);
    const guest = await jwtVerify(new URL(link.replace(/&amp;/g, '&')).searchParams.get('jwt')!, new TextEncoder().encode(JITSI.JITSI_APP_SECRET), { issuer: 'referee-test', audience: 'jitsi' });
    expect(guest.payload).toMatchObject({ context: { user: { name: 'Interpreter', moderator: false }, features: { recording: false } } });
    const { rows } = await t.db.sql.query('select started_at from video_call where id = $1', [consolePath.split('/').pop()]);
    expect(guest.payload.exp).toBe(Math.floor((new Date(rows[0].started_at).getTime() + 2 * 3600_000) / 1000));

    // "verified" needs the helper item too.
    await post(agent.browser!, consolePath, `${consolePath}/code`);
    const code = /(\d{6})/.exec((await lastEmailTo(t.db.sql, 'amelie@example.fr'))!.body)![1];
    const checks = Object.fromEntries(['name', 'dateOfBirth', 'address', 'originals', 'face', 'tilted', 'inView'].map((k) => [`check-${k}`, 'yes']));
    const fields = { outcome: 'verified', ...checks, code, 'doc-first-country': 'FR', 'doc-first-number': 'X1', 'doc-first-expiry': '2031-01-01' };
    const without = await post(agent.browser!, consolePath, `${consolePath}/outcome`, fields);
    expect(without.status).toBe(400);
    // The error lists what is still unticked: the helper item, and only it.
    const unticked = /<ul class="usa-list" data-missing>([\s\S]*?)<\/ul>/.exec(without.text)![1];
    expect(unticked).toContain('The helper appeared on camera');
    expect(unticked).not.toContain('Confirmed the date of birth');
    expect((await post(agent.browser!, consolePath, `${consolePath}/outcome`, { ...fields, 'check-helper': 'yes' })).status).toBe(303);
  });
});
});

describe('the approved images on the referee console', () => {
  it('shows the referee the images the reviewer approved, serves each only to the referee on the call, and audits every view', async () => {
    const a = await applicantAtDocuments(t, 'imaged');
    await uploadAll(a);
    await approveDocuments(t, a);
    await a.post('/call');
    const referee = await newReferee(t);
    const home = await referee.browser!.get('/agent/calls');
    const next = await referee.browser!.post('/agent/calls/next').type('form').send({ _csrf: csrfOf(home.text) });
    const consolePath = String(next.headers.location);
    const page = await referee.browser!.get(consolePath);
    expect(page.text).toContain('Approved images');
    const links = [...page.text.matchAll(/<img src="(\/agent\/calls\/[^"]+\/file\/[^"]+)" alt="([^"]+)"/g)];
    expect(links.map((l) => l[2])).toEqual(expect.arrayContaining(['Foreign (non-U.S.) passport, Photo page']));
    const image = await referee.browser!.get(links[0][1]);
    expect(image.status).toBe(200);
    expect(image.headers['content-type']).toMatch(/^image\/jpeg/);
    expect(image.headers['cache-control']).toBe('no-store');
    const { rows } = await t.db.sql.query(`select count(*)::int as n from audit_event where action = 'documents.image_viewed' and details->>'during' = 'call'`);
    expect(rows[0].n).toBe(1);
    const other = await newReferee(t, 'other-referee');
    expect((await other.browser!.get(links[0][1])).status).toBe(404);
  });
});
