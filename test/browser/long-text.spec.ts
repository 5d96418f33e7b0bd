/**
 * Long text in the page's language, in Chromium: the character count of a textarea speaks
 * Arabic (with Arabic's plural forms) on the support contact form and on the referee's call
 * notes, says itself politely to screen readers, and without JavaScript is the server's
 * sentence; Latin text typed on an Arabic page runs left to right; a support request's
 * reference stays whole on one line in right-to-left text at every phone width.
 */
import type { Page } from 'playwright-core';
import { Messages } from '../../src/i18n/messages';
import { approvedApplicant, JITSI, newReferee } from '../harness/calls';
import { submitForm } from '../harness/forms';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot, shareCookies } from './browser';

const suite = browserSuite(JITSI);
const messages = new Messages();
/** The count's sentence in Arabic, as the catalogs write it (ICU plurals). */
const arabic = (kind: 'allowed' | 'left', count: number) => messages.text('ar', { key: `form.characterCount.${kind}`, values: { count } });
const status = (page: Page) => page.locator('[data-count-status]');

suite.describe('long text in right-to-left pages', () => {
  it('counts the characters of the support contact form in Arabic, each plural form right, and announces the count politely', async () => {
    const browser = await suite.launch({ locale: 'ar' });
    const page = browser.page;
    const errors = collectPageErrors(page);
    await page.goto(`${suite.baseUrl}/support`);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    const field = page.locator('textarea[name="message"]');
    expect(await status(page).innerText()).toBe(arabic('allowed', 5000));
    expect(await page.getByRole('main').innerText()).not.toMatch(/characters? (allowed|left|over)/);

    // Latin text on an Arabic page keeps its punctuation where it belongs: the field runs left to right.
    await field.fill('My passport expired, what now?');
    expect(await field.evaluate((el) => getComputedStyle(el as never).direction)).toBe('ltr');
    expect(await status(page).innerText()).toBe(arabic('left', 5000 - 30));
    // And Arabic text right to left.
    await field.fill('انتهت صلاحية جوازي، ماذا أفعل؟');
    expect(await field.evaluate((el) => getComputedStyle(el as never).direction)).toBe('rtl');

    // Two, one, three left: the dual, the singular and the plural of few are different words in Arabic.
    for (const left of [2, 1, 3, 11]) {
      await field.fill('x'.repeat(5000 - left));
      expect(await status(page).innerText()).toBe(arabic('left', left));
    }
    expect(new Set([2, 1, 3, 11].map((left) => arabic('left', left).replace(/\d+/, '#'))).size).toBe(4);
    // Screen readers hear it once the typing pauses, from a polite live region.
    const live = page.locator('[data-count-live]');
    expect(await live.getAttribute('aria-live')).toBe('polite');
    await page.locator('[data-count-live]', { hasText: arabic('left', 11) }).waitFor();
    await screenshot(page, 'support-contact-count-ar');
    await checkAccessibility(page);
    expect(errors).toEqual([]);
  });

  it('without JavaScript, says how many characters are allowed, in Arabic', async () => {
    const browser = await suite.launch({ locale: 'ar', javaScriptEnabled: false });
    await browser.page.goto(`${suite.baseUrl}/support`);
    expect(await status(browser.page).innerText()).toBe(arabic('allowed', 5000));
  });

  it("counts the Trusted Referee's call notes in Arabic", async () => {
    const a = await approvedApplicant(suite.t, 'notes-ar');
    await a.post('/call');
    const referee = await newReferee(suite.t, 'notes-ar-referee');
    const consolePath = String((await submitForm(referee.browser!, '/agent/calls', '/agent/calls/next', {})).headers.location);
    expect((await submitForm(referee.browser!, '/agent/calls', '/language', { language: 'ar', returnTo: '/agent/calls' })).status).toBe(303);
    const browser = await suite.launch();
    await browser.context.route('https://jitsi.test/**', (route) => route.abort('blockedbyclient'));
    await shareCookies(referee.browser!, browser.context, suite.baseUrl);
    const page = browser.page;
    await page.goto(`${suite.baseUrl}${consolePath}`);
    expect(await page.locator('html').getAttribute('lang')).toBe('ar');
    const notes = page.locator('textarea[name="notes"]');
    expect(await notes.getAttribute('dir')).toBe('auto');
    expect(await status(page).innerText()).toBe(arabic('allowed', 2000));
    await notes.fill('Seen');
    expect(await status(page).innerText()).toBe(arabic('left', 1996));
    await page.locator('[data-count-live]', { hasText: arabic('left', 1996) }).waitFor();
    await screenshot(page, 'console-notes-count-ar');
  });

  it('keeps a support reference whole, on one line and in its own order, inside Arabic text at every phone width', async () => {
    const browser = await suite.launch({ locale: 'ar' });
    const page = browser.page;
    await page.goto(`${suite.baseUrl}/support`);
    await page.locator('select[name="category"]').selectOption('accessibility');
    await page.locator('textarea[name="message"]').fill('صفحة المكالمة صعبة الاستخدام مع قارئ الشاشة.');
    await page.locator('input[name="email"]').fill('rtl.reference@example.org');
    await clickAndLoad(page, page.getByRole('main').locator('form button[type="submit"]'));
    const reference = page.locator('#support-reference bdi');
    const text = await reference.innerText();
    expect(text).toMatch(/^RF-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    for (let width = 300; width <= 430; width += 5) {
      await page.setViewportSize({ width, height: 800 });
      const lines = await reference.evaluate((el) => (el as unknown as { getClientRects(): { length: number } }).getClientRects().length);
      expect(`${width}px: ${lines} line(s)`).toBe(`${width}px: 1 line(s)`);
    }
    await screenshot(page, 'support-sent-reference-ar');
  });
});
