/**
 * Deleting an account in Chromium, in English and Arabic, on a desktop and on a 390 px phone:
 * the page that says what is deleted and kept (its time-zone field filled by the browser),
 * its error, and "Your account will be deleted on …" with "Keep my account". Every page passes
 * axe and fits the phone without sideways scrolling.
 */
import type { Page } from 'playwright-core';
import { createAccount, signIn, type TestPerson } from '../harness/accounts';
import { csrfOf } from '../harness/forms';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot, shareCookies } from './browser';

const suite = browserSuite();
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 900 } };
let people = 0;

/** A signed-in person who just confirmed who they are (password and backup code), through the harness; their browser's language decides the pages'. */
async function confirmedPerson() {
  const person: TestPerson = await createAccount(suite.t, `delete.browser${++people}@example.com`);
  const agent = await signIn(suite.t, person);
  const page = await agent.get('/account/confirm?next=/account/privacy/delete');
  const step = await agent.post('/account/confirm').type('form').send({ _csrf: csrfOf(page.text), password: person.password, next: '/account/privacy/delete' });
  const factor = await agent.get(step.headers.location);
  await agent.post('/account/confirm/backup').type('form').send({ _csrf: csrfOf(factor.text), code: person.backupCodes.shift(), next: '/account/privacy/delete' });
  return agent;
}

async function fitsThePhone(page: Page) {
  const { scrollWidth, innerWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })')) as { scrollWidth: number; innerWidth: number };
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

suite.describe('deleting an account, in a browser', () => {
  it.each([
    ['en', 'desktop', DESKTOP, { submit: 'Delete my account', understand: 'I understand', scheduled: 'Your account will be deleted on', keep: 'Keep my account', kept: 'Your account will not be deleted' }],
    ['en', 'phone', PHONE, { submit: 'Delete my account', understand: 'I understand', scheduled: 'Your account will be deleted on', keep: 'Keep my account', kept: 'Your account will not be deleted' }],
    ['ar', 'desktop', DESKTOP, { submit: 'حذف حسابي', understand: 'أفهم', scheduled: 'سيُحذف حسابك في', keep: 'الإبقاء على حسابي', kept: 'لن يُحذف حسابك' }],
    ['ar', 'phone', PHONE, { submit: 'حذف حسابي', understand: 'أفهم', scheduled: 'سيُحذف حسابك في', keep: 'الإبقاء على حسابي', kept: 'لن يُحذف حسابك' }],
  ])('%s on a %s: what is deleted and kept, the error, then "will be deleted on …" and keeping it', async (language, device, options, words) => {
    const agent = await confirmedPerson();
    const browser = await suite.launch({ ...options, locale: language, timezoneId: 'Asia/Tokyo' });
    const { page } = browser;
    const errors = collectPageErrors(page);
    await shareCookies(agent, browser.context, suite.baseUrl);

    await page.goto(`${suite.baseUrl}/account/privacy/delete`);
    expect(new URL(page.url()).pathname).toBe('/account/privacy/delete');
    expect(await page.locator('html').getAttribute('dir')).toBe(language === 'ar' ? 'rtl' : 'ltr');
    expect(await page.locator('input[name="timeZone"]').inputValue()).toBe('Asia/Tokyo'); // filled by the page's script
    await screenshot(page, `deletion-${language}-${device}-page`);
    await checkAccessibility(page);
    if (device === 'phone') await fitsThePhone(page);

    // Without the box ticked: the error next to it and in the summary, focus on the summary.
    await clickAndLoad(page, page.getByRole('button', { name: words.submit }));
    expect(await page.locator('#understand-error').isVisible()).toBe(true);
    expect(await page.locator('[data-error-summary] a[href="#understand"]').count()).toBe(1);
    await screenshot(page, `deletion-${language}-${device}-error`);
    await checkAccessibility(page);

    await page.locator('label[for="understand"]').click(); // the design system draws the box on the label
    expect(await page.locator('#understand').isChecked()).toBe(true);
    expect(await page.locator('label[for="understand"]').innerText()).toContain(words.understand);
    await clickAndLoad(page, page.getByRole('button', { name: words.submit }));
    expect(new URL(page.url()).pathname).toBe('/account/privacy/delete/scheduled');
    expect(await page.locator('h1').innerText()).toContain(words.scheduled);
    await screenshot(page, `deletion-${language}-${device}-scheduled`);
    await checkAccessibility(page);
    if (device === 'phone') await fitsThePhone(page);

    await clickAndLoad(page, page.getByRole('button', { name: words.keep }));
    expect(await page.locator('h1').innerText()).toBe(words.kept);
    await checkAccessibility(page);
    expect(errors).toEqual([]);
  });
});
