/**
 * The Privacy Rights Center in Chromium: from the footer to "Download my data", confirming who
 * you are (password, then the code generator app) on the way, the progress while the ZIP is
 * built (htmx), and the download itself. Every page passes axe-core; screenshots at 1280 and
 * 390 px in English and Arabic (BROWSER_SCREENSHOTS=dir).
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { codeFor, createAccount, signIn } from '../harness/accounts';
import { csrfOf } from '../harness/forms';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot, shareCookies } from './browser';

const suite = browserSuite();

suite.describe('the Privacy Rights Center', () => {
  it('walks from the footer through confirming who you are to the downloaded ZIP', async () => {
    const person = await createAccount(suite.t, `privacy-browser.${Date.now()}@example.org`);
    const agent = await signIn(suite.t, person);
    const { page, context } = await suite.launch();
    await shareCookies(agent, context, suite.baseUrl);
    const errors = collectPageErrors(page);

    await page.goto(`${suite.baseUrl}/account`);
    await clickAndLoad(page, page.getByRole('contentinfo').getByRole('link', { name: 'Privacy Rights Center' }));
    expect(await page.locator('h1').innerText()).toBe('Privacy Rights Center');
    await checkAccessibility(page);
    await clickAndLoad(page, page.getByRole('main').getByRole('link', { name: 'Download my data' }));
    expect(await page.locator('h1').innerText()).toBe('Download my data');
    await checkAccessibility(page);

    // Asking sends the person to confirm who they are first.
    await clickAndLoad(page, page.getByRole('button', { name: 'Request my data' }));
    expect(new URL(page.url()).pathname).toBe('/account/confirm');
    await checkAccessibility(page);
    await page.getByLabel('Password', { exact: true }).fill('not my password');
    await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));
    expect(await page.locator('[data-error-summary]').innerText()).toContain('That password is not right');
    await checkAccessibility(page);
    await page.getByLabel('Password', { exact: true }).fill(person.password);
    await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));
    expect(await page.locator('.usa-intro').innerText()).toContain('Now confirm with your second factor');
    expect(await page.getByLabel(/Remember this browser/).count()).toBe(0);
    await checkAccessibility(page);
    await screenshot(page, 'privacy-confirm-factor-en-1280');
    await page.getByLabel('Code', { exact: true }).fill(await codeFor(person.totpSecret!, 1)); // the next step: the current one was used to set the app up
    await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));
    expect(new URL(page.url()).pathname).toBe('/account/privacy/download');

    // Confirmed: now the request goes through, and the page follows the build.
    await clickAndLoad(page, page.getByRole('button', { name: 'Request my data' }));
    const button = page.getByRole('link', { name: 'Download my data (ZIP)' });
    await button.waitFor(); // htmx swaps the progress for the link when it is ready
    expect(await page.locator('#export-status').getAttribute('aria-live')).toBe('polite');
    await checkAccessibility(page);
    await screenshot(page, 'privacy-download-ready-en-1280');
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toBe('referee-data.zip');
    const zip = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    expect(JSON.parse(Buffer.from(zip['referee-data.json']).toString('utf8')).account.email).toBe(person.email);
    expect(errors).toEqual([]);
  }, 120_000);

  it('what people see at 1280 and 390 px, in English and Arabic: nothing wider than the screen', async () => {
    const person = await createAccount(suite.t, `privacy-widths.${Date.now()}@example.org`);
    const agent = await signIn(suite.t, person);
    await signIn(suite.t, person); // a sign-in to list
    for (const language of ['en', 'ar']) {
      const home = await agent.get('/account');
      expect((await agent.post('/language').type('form').send({ _csrf: csrfOf(home.text), language, returnTo: '/account' })).status).toBe(303);
      for (const width of [1280, 390]) {
        const b = await suite.launch({ viewport: { width, height: 900 }, ...(width < 600 ? { isMobile: true, hasTouch: true } : {}) });
        await shareCookies(agent, b.context, suite.baseUrl);
        const errors = collectPageErrors(b.page);
        for (const [name, path] of [['center', '/account/privacy'], ['access', '/account/privacy/access'], ['download', '/account/privacy/download'], ['confirm', '/account/confirm?next=/account/privacy/download']]) {
          await b.page.goto(`${suite.baseUrl}${path}`);
          const [scrollWidth, innerWidth] = await b.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
          expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
          await checkAccessibility(b.page);
          await screenshot(b.page, `privacy-${name}-${language}-${width}`);
        }
        expect(errors).toEqual([]);
      }
    }
  }, 300_000);
});
