import type { Page } from 'playwright-core';
import type { TestApp } from '../harness/app';
import { createAccount, grantRoles, signIn } from '../harness/accounts';
import { approvedApplicant, JITSI, newReferee } from '../harness/calls';
import { applicantAtDocuments, submitDocuments, uploadAll } from '../harness/documents';
import { csrfOf, submitForm } from '../harness/forms';
import { lastEmailTo } from '../harness/outbox';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot, shareCookies } from './browser';

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
    expect(await page.locator('h1').innerText()).toBe('انضم إلى مكالمة الفيديو');
    await page.getByText('إذا أرسل إليك أي شخص رابط مكالمة فيديو، فأبلغ وكيلك فورًا.').waitFor();
    await checkAccessibility(page);
    // Joining without agreeing: the reason, in Arabic.
    await clickAndLoad(page, page.getByRole('button', { name: 'انضم إلى مكالمة الفيديو' }));
    await page.getByRole('alert').getByText('حدّد المربع للموافقة على تسجيل المكالمة').first().waitFor();
    await page.locator('label[for="recordingConsent"]', { hasText: 'أوافق على تسجيل مكالمة الفيديو هذه' }).click();
    await clickAndLoad(page, page.getByRole('button', { name: 'انضم إلى مكالمة الفيديو' }));
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
});
