import type { Page } from 'playwright-core';
import type { TestApp } from '../harness/app';
import { createAccount, grantRoles, signIn } from '../harness/accounts';
import { approvedApplicant, JITSI, newReferee } from '../harness/calls';
import { applicantAtDocuments, submitDocuments, uploadAll } from '../harness/documents';
import { csrfOf, submitForm } from '../harness/forms';
import { lastEmailTo } from '../harness/outbox';
import { browserSuite, checkAccessibility, CHROMIUM_ARGS, clickAndLoad, collectPageErrors, screenshot, shareCookies } from './browser';

/**
 * The call page in Chromium against a local test double of Jitsi's external_api.js: the test
 * serves it for https://jitsi.test/external_api.js (nothing reaches meet.jit.si), and the
 * double records what the page passed to JitsiMeetExternalAPI and fires the API's events.
 */
const EXTERNAL_API_DOUBLE = `
window.__jitsi = { created: [], listeners: {} };
window.JitsiMeetExternalAPI = function (domain, options) {
  window.__jitsi.created.push({ domain: domain, roomName: options.roomName, jwt: options.jwt, displayName: options.userInfo && options.userInfo.displayName, parentId: options.parentNode && options.parentNode.id, lang: options.lang, defaultLanguage: options.configOverwrite && options.configOverwrite.defaultLanguage });
  var frame = document.createElement('iframe');
  frame.title = 'Video call';
  frame.src = 'https://' + domain + '/' + options.roomName;
  options.parentNode.appendChild(frame);
  this.addListener = function (name, fn) { (window.__jitsi.listeners[name] = window.__jitsi.listeners[name] || []).push(fn); };
};
window.__jitsiFire = function (name, data) { (window.__jitsi.listeners[name] || []).forEach(function (fn) { fn(data); }); };
`;

const suite = browserSuite(JITSI);

suite.describe('the call page in Chromium, with a test double of Jitsi', () => {
  /** The supertest browser's cookies, handed to Chromium: the same signed-in person. */
  async function signedInPage(agent: ReturnType<TestApp['browser']>): Promise<Page> {
    const browser = await suite.shared();
    const page = await browser.context.newPage();
    await shareCookies(agent, browser.context, suite.baseUrl);
    return page;
  }

  it('creates JitsiMeetExternalAPI with the room, the JWT and the name, under a CSP that allows only that origin, and reports events', async () => {
    const browser = await suite.shared();
    const served: string[] = [];
    await browser.context.route('https://jitsi.test/**', async (route) => {
      served.push(route.request().url());
      if (route.request().url() === 'https://jitsi.test/external_api.js') {
        await route.fulfill({ status: 200, contentType: 'application/javascript', body: EXTERNAL_API_DOUBLE });
      } else {
        await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>room</title><p>room</p>' });
      }
    });
    await browser.context.route(/meet\.jit\.si/, (route) => route.abort());

    const a = await approvedApplicant(suite.t);
    await a.post('/call');
    const agent = await newReferee(suite.t);
    const next = await submitForm(agent.browser!, '/agent/calls', '/agent/calls/next', {});
    const callId = String(next.headers.location).split('/').pop()!;

    const page = await signedInPage(a.browser);
    const errors = collectPageErrors(page);
    await page.goto(`${suite.baseUrl}/call`);
    expect(new URL(page.url()).pathname).toBe('/call/join');
    expect(await page.getByText('If anyone sent you a video call link, tell your agent immediately.').count()).toBe(1);
    expect(served).toEqual([]); // nothing from Jitsi before consent
    await checkAccessibility(page);
    await page.getByText('I agree that this video call is recorded').click();
    await clickAndLoad(page, page.getByRole('button', { name: 'Join Video Call' }));
    await page.waitForFunction(() => (window as unknown as { __jitsi?: { created: unknown[] } }).__jitsi?.created.length === 1);
    const created = await page.evaluate(() => (window as unknown as { __jitsi: { created: Record<string, string>[] } }).__jitsi.created[0]);
    const { rows } = await suite.t.db.sql.query('select room from video_call where id = $1', [callId]);
    expect(created).toMatchObject({ domain: 'jitsi.test', roomName: rows[0].room, displayName: 'Amélie D\'Artagnan-Poulain', parentId: 'jitsi-call', lang: 'en', defaultLanguage: 'en' });
    expect(created.jwt.split('.')).toHaveLength(3);
    // The iframe on jitsi.test is allowed by this page's frame-src.
    await page.frameLocator('#jitsi-call iframe').getByText('room').waitFor();

    await page.evaluate(() => (window as unknown as { __jitsiFire(n: string, d?: unknown): void }).__jitsiFire('videoConferenceJoined', {}));
    await page.evaluate(() => (window as unknown as { __jitsiFire(n: string, d?: unknown): void }).__jitsiFire('recordingStatusChanged', { on: true }));
    let types: string[] = [];
    for (let i = 0; i < 50 && types.length < 2; i++) {
      types = (await suite.t.db.sql.query('select events from video_call where id = $1', [callId])).rows[0].events.map((e: { type: string }) => e.type);
      if (types.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    // Two reports sent at once may arrive in either order; both are kept.
    expect(types.sort()).toEqual(['joined', 'recording_on']);
    expect(errors).toEqual([]);

    // The agent, in a second browser: the console with the same room (moderator JWT), the checklist, "verified".
    const agentBrowser = await suite.launch();
    try {
      await agentBrowser.context.route('https://jitsi.test/**', (route) =>
        route.fulfill(route.request().url().endsWith('/external_api.js') ? { status: 200, contentType: 'application/javascript', body: EXTERNAL_API_DOUBLE } : { status: 200, contentType: 'text/html', body: '<p>room</p>' }),
      );
      await shareCookies(agent.browser!, agentBrowser.context, suite.baseUrl);
      const console1 = agentBrowser.page;
      const agentErrors = collectPageErrors(console1);
      await console1.goto(`${suite.baseUrl}/agent/calls/${callId}`);
      await console1.waitForFunction(() => (window as unknown as { __jitsi?: { created: unknown[] } }).__jitsi?.created.length === 1);
      const agentCreated = await console1.evaluate(() => (window as unknown as { __jitsi: { created: Record<string, string>[] } }).__jitsi.created[0]);
      expect(agentCreated.roomName).toBe(rows[0].room);
      await checkAccessibility(console1);
      expect(agentCreated.jwt).not.toBe(created.jwt);
      await clickAndLoad(console1, console1.getByRole('button', { name: 'Send a one-time code to the applicant' }));
      const mail = await lastEmailTo(suite.t.db.sql, 'amelie@example.fr');
      const code = /(\d{6})/.exec(mail!.body)![1];
      for (const label of [
        "Confirmed the applicant's full name",
        'Confirmed the date of birth',
        'Confirmed the address',
        'Each original document was shown physically on camera (no copies, no photos of it, no screens)',
        "Compared the applicant's face with the photo on the ID",
        'Each document was tilted to show its security features (holograms, raised print)',
        'The applicant stayed in view for every step',
      ]) await console1.getByText(label, { exact: true }).click();
      await console1.getByLabel('The code the applicant read back').fill(code);
      await console1.getByLabel('Issuing country (two letters, e.g. FR)').fill('FR');
      await console1.getByLabel('Document number').fill('19AB12345');
      await console1.getByLabel('Expiration date (YYYY-MM-DD)').fill('2031-05-01');
      await console1.getByText('Verified', { exact: true }).click();
      await clickAndLoad(console1, console1.getByRole('button', { name: 'Record the outcome' }));
      expect(new URL(console1.url()).pathname + new URL(console1.url()).search).toBe('/agent/calls?done=1');
      expect(agentErrors).toEqual([]);
    } finally {
      await agentBrowser.close();
    }

    // The applicant's call ends; /call now says so.
    await page.goto(`${suite.baseUrl}/call`);
    expect(new URL(page.url()).pathname).toBe('/call/verified');
    expect(await page.locator('h1').innerText()).toBe('Your identity is verified');
    expect(served.some((u) => u.includes('meet.jit.si'))).toBe(false);
  });

  it("opens the call in the applicant's language: the page in Arabic, right to left and axe-clean, and Jitsi's interface in Arabic", async () => {
    const browser = await suite.shared();
    await browser.context.route('https://jitsi.test/**', (route) =>
      route.fulfill(route.request().url().endsWith('/external_api.js') ? { status: 200, contentType: 'application/javascript', body: EXTERNAL_API_DOUBLE } : { status: 200, contentType: 'text/html', body: '<p>room</p>' }),
    );
    const a = await approvedApplicant(suite.t, 'arabic-caller');
    expect((await a.post('/language', { language: 'ar', returnTo: '/call' })).status).toBe(303);
    await a.post('/call');
    const agent = await newReferee(suite.t, 'arabic-referee');
    const next = await submitForm(agent.browser!, '/agent/calls', '/agent/calls/next', {});
    expect(next.status).toBe(303);

    const page = await signedInPage(a.browser);
    const errors = collectPageErrors(page);
    await page.goto(`${suite.baseUrl}/call/join`);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(await page.locator('h1').innerText()).toBe('الانضمام إلى مكالمة الفيديو');
    await page.getByText('إذا أرسل إليك أي شخص رابط مكالمة فيديو، فيُرجى إبلاغ موظف Referee فورًا.').waitFor();
    await checkAccessibility(page);
    // Joining without agreeing: the reason, in Arabic.
    await clickAndLoad(page, page.getByRole('button', { name: 'الانضمام إلى مكالمة الفيديو' }));
    await page.getByRole('alert').getByText('يُرجى تحديد المربع للموافقة على تسجيل المكالمة').first().waitFor();
    await page.locator('label[for="recordingConsent"]', { hasText: 'أوافق على تسجيل مكالمة الفيديو هذه' }).click();
    await clickAndLoad(page, page.getByRole('button', { name: 'الانضمام إلى مكالمة الفيديو' }));
    await page.waitForFunction(() => (window as unknown as { __jitsi?: { created: unknown[] } }).__jitsi?.created.length === 1);
    const created = await page.evaluate(() => (window as unknown as { __jitsi: { created: Record<string, string>[] } }).__jitsi.created[0]);
    expect(created).toMatchObject({ lang: 'ar', defaultLanguage: 'ar' });
    await checkAccessibility(page);
    expect(errors).toEqual([]);
  });

  it("shows the supervisor's live view, charts and claimed work, and the release pages on both sides, axe-clean", async () => {
    const browser = await suite.shared();
    // Work to show: someone waiting for review, a review claimed, a call in progress (the test above finished one, verified).
    const waitingForReview = await applicantAtDocuments(suite.t, 'waiting');
    await uploadAll(waitingForReview);
    await submitDocuments(waitingForReview);
    const claimedCase = await applicantAtDocuments(suite.t, 'claimed');
    await uploadAll(claimedCase);
    await submitDocuments(claimedCase);
    const reviewer = await createAccount(suite.t, `reviewer.browser.${Date.now()}@example.org`);
    await grantRoles(suite.t, reviewer.email, ['reviewer']);
    const reviewerAgent = await signIn(suite.t, reviewer);
    const claim = await reviewerAgent.post('/agent/review/next').type('form').send({ _csrf: csrfOf((await reviewerAgent.get('/agent/review')).text) });
    const casePath = String(claim.headers.location);
    const secondReviewer = await createAccount(suite.t, `reviewer2.browser.${Date.now()}@example.org`);
    await grantRoles(suite.t, secondReviewer.email, ['reviewer']);
    await signIn(suite.t, secondReviewer); // signed in: one the case could be reassigned to
    const caller = await approvedApplicant(suite.t, 'on-call');
    await caller.post('/call');
    const referee = await newReferee(suite.t, 'browser-referee');
    const next = await submitForm(referee.browser!, '/agent/calls', '/agent/calls/next', {});
    const consolePath = String(next.headers.location);

    const supervisor = await createAccount(suite.t, `supervisor.browser.${Date.now()}@example.org`);
    await grantRoles(suite.t, supervisor.email, ['supervisor']);
    await browser.context.clearCookies(); // the Arabic applicant's language choice, from the test above, is not the supervisor's
    const page = await signedInPage(await signIn(suite.t, supervisor));
    const errors = collectPageErrors(page);
    await page.goto(`${suite.baseUrl}/supervisor`);
    expect(await page.locator('h1').innerText()).toBe('Supervisor');
    // The charts are images named by their titles; their tables open from a disclosure.
    expect(await page.getByRole('img', { name: 'Applicants waiting over the last 8 hours' }).count()).toBe(1);
    expect(await page.getByRole('img', { name: 'Outcomes per day over the last 14 days' }).count()).toBe(1);
    for (const summary of ['Applicants waiting, as a table', 'Outcomes per day, as a table']) await page.getByText(summary).click();
    expect(await page.locator('[data-outcomes-table] tbody tr').count()).toBe(14);
    expect(await page.locator('[data-outcomes-table] tbody tr').last().locator('[data-verified]').innerText()).toBe(await page.locator('[data-outcome-verified]').innerText());
    expect(await page.locator('[data-per-agent] tbody tr').count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'supervisor');
    await checkAccessibility(page);

    // Reassign without choosing: the form comes back with its error summary; then release instead.
    await clickAndLoad(page, page.getByRole('link', { name: `Release or reassign case ${casePath.split('/').pop()!.slice(0, 8)}` }));
    await checkAccessibility(page);
    await clickAndLoad(page, page.getByRole('button', { name: /^Reassign case/ }));
    expect(await page.title()).toMatch(/^Error:/);
    await checkAccessibility(page);
    await clickAndLoad(page, page.getByRole('button', { name: /^Release case .* to the queue$/ }));
    expect(new URL(page.url()).search).toBe('?done=released');
    await checkAccessibility(page);
    // This test's call (the test above left its Arabic call in progress too).
    await clickAndLoad(page, page.getByRole('link', { name: `Release the call of case ${caller.caseId.slice(0, 8)}` }));
    await checkAccessibility(page);
    await clickAndLoad(page, page.getByRole('button', { name: 'Release this call' }));
    expect(new URL(page.url()).search).toBe('?done=call-released');
    expect(errors).toEqual([]);

    // What the reviewer and the referee see next, in another browser.
    const other = await suite.launch();
    try {
      for (const [agent, path, text] of [
        [reviewerAgent, casePath, 'A supervisor released this case'],
        [referee.browser!, consolePath, 'A supervisor ended this call'],
      ] as const) {
        await other.context.clearCookies();
        await shareCookies(agent, other.context, suite.baseUrl);
        await other.page.goto(`${suite.baseUrl}${path}`);
        expect(await other.page.getByText(text).count()).toBe(1);
        await checkAccessibility(other.page);
      }
    } finally {
      await other.close();
    }
  });
  /** An applicant an agent has taken (the call is theirs), who agreed to the recording: the call page opens the video. */
  async function applicantOnCall(label: string) {
    // The tests above leave applicants waiting (a released call goes back to the head of the queue): this one is next.
    await suite.t.db.sql.query(`update queue_entry set status = 'left' where status = 'waiting'`);
    const a = await approvedApplicant(suite.t, label);
    await a.post('/call');
    const referee = await newReferee(suite.t, `${label}-referee`);
    const next = await submitForm(referee.browser!, '/agent/calls', '/agent/calls/next', {});
    return { a, referee, consolePath: String(next.headers.location) };
  }
  const fire = (page: Page, name: string, data: unknown = {}) =>
    page.evaluate(([n, d]) => (window as unknown as { __jitsiFire(n: string, d?: unknown): void }).__jitsiFire(n as string, d), [name, data] as const);
  const state = (page: Page, name: string) => page.locator(`[data-call-state="${name}"]`);
  const serveDouble = (context: Page['context'] extends () => infer C ? C : never) =>
    context.route('https://jitsi.test/**', (route) =>
      route.fulfill(route.request().url().endsWith('/external_api.js') ? { status: 200, contentType: 'application/javascript', body: EXTERNAL_API_DOUBLE } : { status: 200, contentType: 'text/html', body: '<p>room</p>' }),
    );

  it("tells the applicant when Jitsi's script cannot load, with what to do, and keeps their call; no error summary on arrival or during the call; links once", async () => {
    const browser = await suite.launch();
    await browser.context.route('https://jitsi.test/**', (route) => route.abort('blockedbyclient'));
    const { a, referee, consolePath } = await applicantOnCall('blocked');
    await shareCookies(a.browser, browser.context, suite.baseUrl);
    const page = browser.page;
    await page.goto(`${suite.baseUrl}/call/join`);
    expect(await page.locator('[data-error-summary]').count()).toBe(0);
    // The "Learn more" links are listed once, by the layout.
    expect(await page.locator('a[href="/help/video-call-scams"]').count()).toBe(1);
    await page.getByText('I agree that this video call is recorded').click();
    await clickAndLoad(page, page.getByRole('button', { name: 'Join Video Call' }));
    const failed = state(page, 'script');
    await failed.waitFor();
    expect(await failed.getByRole('heading').innerText()).toBe('The video call could not load');
    expect(await failed.innerText()).toContain('You keep your place: your Trusted Referee keeps this call open for you.');
    expect(await page.locator('[data-call-state]:visible').count()).toBe(1);
    // Its actions: try again (focused, for the keyboard), test the camera and microphone, or another way.
    expect(await page.evaluate(() => (document.activeElement as unknown as { textContent: string } | null)?.textContent)).toBe('Try again');
    expect(await failed.getByRole('link', { name: 'Test your camera and microphone' }).getAttribute('href')).toBe('#device-check');
    expect(await failed.getByRole('link', { name: 'contact support' }).getAttribute('href')).toBe('/support');
    expect(await page.locator('[data-error-summary]').count()).toBe(0);
    expect(await page.locator('a[href="/help/video-call-scams"]').count()).toBe(1);
    await checkAccessibility(page);
    await screenshot(page, 'call-script-blocked');
    // Trying again opens the same call page: the call is still theirs.
    await clickAndLoad(page, failed.getByRole('button', { name: 'Try again' }));
    expect(new URL(page.url()).pathname).toBe('/call/join');
    await state(page, 'script').waitFor();
    expect((await a.row()).status).toBe('in_call');
    // Or book a time instead: the call ends as not held, the schedule opens, the documents stay approved.
    await clickAndLoad(page, state(page, 'script').getByRole('button', { name: 'Schedule an appointment instead' }));
    expect(new URL(page.url()).pathname).toBe('/call/schedule');
    expect((await a.row()).status).toBe('approved');
    await checkAccessibility(page);
    // The referee's console says the applicant left to book.
    const told = await referee.browser!.get(consolePath);
    expect(told.text).toContain('The applicant left to book an appointment');
  });

  it("shows the applicant what the video is doing from Jitsi's events: connecting, waiting, on the call, reconnecting, a lost connection and a refused camera", async () => {
    const browser = await suite.launch();
    await serveDouble(browser.context);
    const { a } = await applicantOnCall('states');
    await a.post('/call/join', { recordingConsent: 'yes' });
    await shareCookies(a.browser, browser.context, suite.baseUrl);
    const page = browser.page;
    const errors = collectPageErrors(page);
    await page.goto(`${suite.baseUrl}/call/join`);
    await page.waitForFunction(() => (window as unknown as { __jitsi?: { created: unknown[] } }).__jitsi?.created.length === 1);
    expect(await state(page, 'connecting').innerText()).toBe('Connecting to the video call…');
    await fire(page, 'videoConferenceJoined');
    expect(await state(page, 'waiting').innerText()).toContain('Your Trusted Referee will join you shortly');
    await fire(page, 'participantJoined', { id: 'referee', displayName: 'Trusted Referee' });
    expect(await state(page, 'live').isVisible()).toBe(true);
    await fire(page, 'errorOccurred', { type: 'CONNECTION', isFatal: false, name: 'connection.droppedError' });
    expect(await state(page, 'reconnecting').isVisible()).toBe(true);
    await fire(page, 'errorOccurred', { type: 'CONNECTION', isFatal: true, name: 'connection.droppedError' });
    const lost = state(page, 'connection');
    expect(await lost.getByRole('heading').innerText()).toBe('The connection to the video call was lost');
    expect(await lost.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
    await fire(page, 'cameraError', { type: 'gum.permission_denied', message: 'Permission denied' });
    expect(await state(page, 'camera').getByRole('heading').innerText()).toBe('Your camera is not working');
    expect(await page.locator('[data-call-state]:visible').count()).toBe(1);
    expect(await page.locator('[data-call-status]').getAttribute('aria-live')).toBe('polite');
    await checkAccessibility(page);
    expect(errors).toEqual([]);
  });

  it('lets the applicant test their camera and microphone before joining, and says what is wrong when the browser refuses or finds none', async () => {
    const { a } = await applicantOnCall('devices');
    // Refused camera, no microphone: getUserMedia rejects as the browser does (the edge of the page).
    const refused = await suite.launch();
    await refused.context.addInitScript(() => {
      const devices = navigator.mediaDevices as unknown as { getUserMedia(c: { video?: unknown }): Promise<unknown> };
      devices.getUserMedia = (c) => Promise.reject(new DOMException('no', c.video ? 'NotAllowedError' : 'NotFoundError'));
    });
    await shareCookies(a.browser, refused.context, suite.baseUrl);
    await refused.page.goto(`${suite.baseUrl}/call/join`);
    const check = refused.page.getByRole('region', { name: 'Test your camera and microphone' });
    await check.getByRole('button', { name: 'Test camera and microphone' }).click();
    const status = check.getByRole('status');
    await status.getByText('Your camera is blocked: this site was not allowed to use it.', { exact: false }).waitFor();
    await status.getByText('No microphone was found.', { exact: false }).waitFor();
    expect(await status.locator('p:visible').count()).toBe(2);
    // No black picture nor empty level for devices that do not work.
    expect(await refused.page.locator('[data-device-preview]').isVisible()).toBe(false);
    expect(await refused.page.locator('[data-device-level]').isVisible()).toBe(false);
    await checkAccessibility(refused.page);
    await refused.close();

    // A working camera and microphone (Chromium's fake devices, permission granted).
    const working = await suite.launch({ args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
    await shareCookies(a.browser, working.context, suite.baseUrl);
    await working.page.goto(`${suite.baseUrl}/call/join`);
    const ok = working.page.getByRole('region', { name: 'Test your camera and microphone' });
    await ok.getByRole('button', { name: 'Test camera and microphone' }).focus();
    await working.page.keyboard.press('Enter');
    await ok.getByRole('status').getByText('Your camera works.').waitFor();
    await ok.getByRole('status').getByText('Your microphone works.').waitFor();
    expect(await ok.getByLabel('Microphone level (speak to see it move)').count()).toBe(1);
    await working.page.waitForFunction(() => ((document.querySelector('[data-device-preview]') as unknown as { videoWidth: number }).videoWidth > 0));
    await checkAccessibility(working.page);
  });

  it("shows the referee's console the video's states, the applicant's details as a summary, and a real character count for the notes", async () => {
    const browser = await suite.launch();
    await serveDouble(browser.context);
    const { referee, consolePath } = await applicantOnCall('console');
    await shareCookies(referee.browser!, browser.context, suite.baseUrl);
    const page = browser.page;
    const errors = collectPageErrors(page);
    await page.goto(`${suite.baseUrl}${consolePath}`);
    await page.waitForFunction(() => (window as unknown as { __jitsi?: { created: unknown[] } }).__jitsi?.created.length === 1);
    expect(await state(page, 'connecting').isVisible()).toBe(true);
    await fire(page, 'videoConferenceJoined');
    expect(await state(page, 'waiting').innerText()).toBe('You are on the call. The applicant has not joined yet.');
    await fire(page, 'participantJoined', { id: 'applicant' });
    expect(await state(page, 'live').innerText()).toBe('The applicant is on the call.');
    await fire(page, 'participantLeft', { id: 'applicant' });
    expect(await state(page, 'left').innerText()).toContain('The applicant has left the video.');
    await fire(page, 'errorOccurred', { type: 'CONNECTION', isFatal: true });
    expect(await state(page, 'connection').getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
    // The notes: a count from the field's limit (it once said "NaN characters allowed"), numbers written for the page's language.
    const count = page.locator('[data-count-status]');
    expect(await count.innerText()).toBe('2,000 characters allowed');
    await page.getByLabel('Notes').fill('Seen');
    expect(await count.innerText()).toBe('1,996 characters left');
    expect(await page.locator('dl.referee-applicant-details dt').first().innerText()).toBe('Name');
    await checkAccessibility(page);
    expect(errors).toEqual([]);
  });

  it('shows the queue place and estimate as the main fact, and with nobody on duty offers an appointment, not "your turn is close"', async () => {
    await suite.t.db.sql.query(`update agent_status set status = 'away'`);
    await suite.t.db.sql.query(`update queue_entry set status = 'left' where status = 'waiting'`);
    const a = await approvedApplicant(suite.t, 'queue-page');
    await a.post('/call');
    const browser = await suite.launch();
    await shareCookies(a.browser, browser.context, suite.baseUrl);
    const page = browser.page;
    await page.goto(`${suite.baseUrl}/call`);
    const summary = page.locator('[data-wait-summary]');
    expect(await summary.locator('[data-position]').innerText()).toBe('1');
    expect(await summary.locator('[data-wait]').innerText()).toBe('No Trusted Referee is available now');
    expect(Number.parseFloat(await summary.locator('[data-position]').evaluate((n) => getComputedStyle(n as never).fontSize))).toBeGreaterThan(24);
    expect(await page.getByText('Your turn is close').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Schedule an appointment' }).getAttribute('href')).toBe('/call/schedule');
    expect(await page.locator('a[href="/help/appointments"]').count()).toBe(1);
    await checkAccessibility(page);
    await a.post('/call/leave');
  });
});
