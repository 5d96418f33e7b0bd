/**
 * The help centre, the policies and support as people use them, in Chromium: every page
 * passes axe-core (WCAG 2.2 A/AA and best practices); search and the forms work with
 * JavaScript off; a question goes from an applicant to a support agent and the answer
 * comes back by email (the development outbox) and on the account.
 */
import type { Page } from 'playwright-core';
import { PASSWORD, codeFor, createAccount, grantRoles } from '../harness/accounts';
import { HelpContent } from '../../src/help/content';
import { Messages } from '../../src/i18n/messages';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot } from './browser';

const suite = browserSuite();
let n = 0;

const h1 = (page: Page) => page.locator('h1').innerText();
const main = (page: Page) => page.getByRole('main');
const pathOf = (page: Page) => {
  const url = new URL(page.url());
  return url.pathname + url.search;
};

async function open(options: Parameters<typeof suite.launch>[0] = {}): Promise<{ page: Page; errors: string[] }> {
  const browser = await suite.launch(options);
  return { page: browser.page, errors: collectPageErrors(browser.page) };
}

async function visit(page: Page, path: string, heading: string, shot?: string) {
  const res = await page.goto(`${suite.baseUrl}${path}`);
  expect(`${path} ${res?.status()}`).toBe(`${path} 200`);
  expect(await h1(page)).toBe(heading);
  if (shot) await screenshot(page, shot);
  await checkAccessibility(page);
}

/** A new account signed in on this page: password, then a code generator app as the second factor. */
async function signInNew(page: Page, who: string, roles: Parameters<typeof grantRoles>[2] = []): Promise<string> {
  const email = `${who}${++n}.${Date.now()}@example.org`;
  await createAccount(suite.t, email);
  if (roles.length) await grantRoles(suite.t, email, roles);
  await page.goto(`${suite.baseUrl}/sign-in`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await clickAndLoad(page, main(page).getByRole('button', { name: 'Sign in', exact: true }));
  await clickAndLoad(page, page.getByRole('link', { name: 'Set up a code generator app' }));
  const key = (await page.locator('#totp-key').innerText()).replace(/\s/g, '');
  await page.getByLabel('Code', { exact: true }).fill(await codeFor(key));
  await clickAndLoad(page, page.getByRole('button', { name: 'Confirm' }));
  await clickAndLoad(page, page.getByRole('link', { name: 'Continue' }));
  expect(await h1(page)).toBe('Your account');
  return email;
}

suite.describe('help centre, policies and support in a browser', () => {
  it('a new visitor finds help from the footer, searches, reads an article and every policy', async () => {
    const { page, errors } = await open();
    await page.goto(`${suite.baseUrl}/`);
    await clickAndLoad(page, page.getByRole('contentinfo').getByRole('link', { name: 'Help', exact: true }));
    expect(pathOf(page)).toBe('/help');
    expect(await h1(page)).toBe('Help Center');
    await screenshot(page, 'help-index');
    await checkAccessibility(page);

    await page.getByLabel('Search the Help Center').fill('roaming');
    await clickAndLoad(page, page.getByRole('search').getByRole('button', { name: 'Search' }));
    expect(pathOf(page)).toBe('/help/search?q=roaming');
    expect(await main(page).locator('#search-results li').count()).toBeGreaterThan(0);
    await screenshot(page, 'help-search');
    await checkAccessibility(page);
    await clickAndLoad(page, main(page).getByRole('link', { name: 'Troubleshooting international verification' }));
    expect(await h1(page)).toBe('Troubleshooting international verification');
    await screenshot(page, 'help-article');
    await checkAccessibility(page);

    for (const [link, heading] of [
      ['Terms of Service', 'Terms of Service'],
      ['Privacy Policy', 'Privacy Policy'],
      ['Fair Credit Reporting Act notice', 'Fair Credit Reporting Act notice'],
      ['Accessibility', 'Accessibility statement'],
    ]) {
      await clickAndLoad(page, page.getByRole('contentinfo').getByRole('link', { name: link, exact: true }));
      expect(await h1(page)).toBe(heading);
      await screenshot(page, `policy-${link.toLowerCase().replace(/\W+/g, '-')}`);
      await checkAccessibility(page);
    }
    await visit(page, '/policies', 'Policies');
    expect(errors).toEqual([]);
  });

  it('every article passes axe-core', async () => {
    const { page, errors } = await open();
    for (const article of suite.t.app.get(HelpContent).list('article')) await visit(page, article.url, article.title);
    await visit(page, '/help/search?q=zzqxw', 'Search results for “zzqxw”');
    expect(errors).toEqual([]);
  });

  it('in Arabic the help centre reads right to left, mirrored, and passes axe-core; the switcher turns it to Spanish', async () => {
    const content = suite.t.app.get(HelpContent);
    const { page, errors } = await open({ locale: 'ar' }); // the browser asks for Arabic (Accept-Language)
    await visit(page, '/help', 'مركز المساعدة', 'help-index-ar');
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');

    await page.getByLabel('البحث في مركز المساعدة').fill('مترجم');
    await clickAndLoad(page, page.getByRole('search').getByRole('button', { name: 'بحث' }));
    // The count in Arabic's own plural form for that number (صفحتان for two, …), not just any sentence.
    const found = await page.locator('#search-results > li').count();
    expect(found).toBeGreaterThan(0);
    expect(await main(page).getByRole('status').innerText()).toBe(suite.t.app.get(Messages).text('ar', 'help.search.count', { count: found }));
    await checkAccessibility(page);
    const helpers = content.find('article', 'helpers-and-interpreters', 'ar')!;
    await clickAndLoad(page, main(page).getByRole('link', { name: helpers.title }));
    expect(pathOf(page)).toBe('/help/helpers-and-interpreters');
    expect(await h1(page)).toBe('كيف يمكن للمساعدين والمترجمين الفوريين مساعدتك أثناء مكالمة الفيديو');
    await screenshot(page, 'help-article-ar');
    await checkAccessibility(page);
    // Mirrored: the article comes first from the right, its side column to its left.
    const article = (await page.locator('article').boundingBox())!;
    const aside = (await page.getByRole('complementary', { name: 'المزيد حول هذا الموضوع' }).boundingBox())!;
    expect(aside.x + aside.width).toBeLessThanOrEqual(article.x + 1);

    for (const doc of content.list('article', 'ar')) await visit(page, doc.url, doc.title);

    await page.goto(`${suite.baseUrl}/help/helpers-and-interpreters`);
    await clickAndLoad(page, page.getByRole('button', { name: 'Español' }));
    expect(pathOf(page)).toBe('/help/helpers-and-interpreters');
    expect(await page.locator('html').getAttribute('dir')).toBe('ltr');
    expect(await h1(page)).toBe('Cómo pueden ayudarle los acompañantes y los intérpretes durante una videollamada');
    await screenshot(page, 'help-article-es');
    await checkAccessibility(page);
    expect(errors).toEqual([]);
  });

  it('searching and asking support work with JavaScript turned off', async () => {
    const { page, errors } = await open({ javaScriptEnabled: false });
    await page.goto(`${suite.baseUrl}/help`);
    await page.getByLabel('Search the Help Center').fill('interpreter');
    await clickAndLoad(page, page.getByRole('search').getByRole('button', { name: 'Search' }));
    expect(await main(page).getByRole('link', { name: 'How helpers and interpreters can support you during a video call' }).count()).toBe(1);
    await checkAccessibility(page);

    // Contact support without an account: a mistake first, then sent.
    await visit(page, '/support', 'Contact support', 'support-contact');
    await page.getByLabel('What is it about?').selectOption('accessibility');
    await page.getByLabel('Your email address').fill('not an email');
    await clickAndLoad(page, page.getByRole('button', { name: 'Send' }));
    expect(await page.title()).toMatch(/^Error: /);
    expect(await page.locator('[data-error-summary]').innerText()).toContain('Enter your question');
    await screenshot(page, 'support-contact-errors');
    await checkAccessibility(page);
    await page.getByLabel('Your question').fill('The call page is hard to use with my screen reader.');
    await page.getByLabel('Your email address').fill('no.js.person@example.org');
    await clickAndLoad(page, page.getByRole('button', { name: 'Send' }));
    expect(await h1(page)).toBe('We received your question');
    await checkAccessibility(page);
    expect(errors).toEqual([]);
  });

  it('a question goes from the applicant to a support agent, and the answer comes back by email and on the account', async () => {
    const { page, errors } = await open();
    const email = await signInNew(page, 'asker');
    await clickAndLoad(page, main(page).getByRole('link', { name: 'contact support' }));
    expect(await h1(page)).toBe('Contact support');
    await checkAccessibility(page);
    await page.getByLabel('What is it about?').selectOption('video_call');
    await page.getByLabel('Your question').fill('Can my daughter help me hold the documents during the call?');
    await clickAndLoad(page, page.getByRole('button', { name: 'Send' }));
    const reference = (await h1(page)).replace('Support request ', '');
    expect(reference).toMatch(/^RF-/);
    await screenshot(page, 'support-request-sent');
    await checkAccessibility(page);
    const requestPath = pathOf(page).split('?')[0];

    // The support agent, in another browser.
    const { page: agentPage, errors: agentErrors } = await open();
    await signInNew(agentPage, 'agent', ['support']);
    await visit(agentPage, '/agent/support', 'Support queue', 'support-queue');
    await clickAndLoad(agentPage, main(agentPage).getByRole('link', { name: reference }));
    expect(await h1(agentPage)).toBe(reference);
    await screenshot(agentPage, 'support-agent-request');
    await checkAccessibility(agentPage);
    await agentPage.getByLabel('Your answer').fill('Yes. She must be on camera and say her name and that she is your daughter.');
    await clickAndLoad(agentPage, agentPage.getByRole('button', { name: 'Send answer' }));
    expect(await main(agentPage).getByRole('status').first().innerText()).toContain('Your answer was sent by email and shows on the person');
    await checkAccessibility(agentPage);

    // The answer on the development outbox...
    await visit(page, '/dev/outbox', 'Development outbox');
    const mail = page.locator('article').filter({ hasText: `To ${email}` }).first();
    expect(await mail.getByRole('heading').innerText()).toBe(`Referee support answered your question (${reference})`);
    expect(await mail.innerText()).toContain('She must be on camera');
    // ...and on the account.
    await page.goto(`${suite.baseUrl}/account`);
    await clickAndLoad(page, main(page).getByRole('link', { name: 'Your support requests' }));
    expect(await h1(page)).toBe('Your support requests');
    await checkAccessibility(page);
    await clickAndLoad(page, main(page).getByRole('link', { name: reference }));
    expect(pathOf(page)).toBe(requestPath);
    expect(await main(page).innerText()).toContain('She must be on camera');
    await screenshot(page, 'support-request-answered');
    await checkAccessibility(page);
    expect([...errors, ...agentErrors]).toEqual([]);
  });

  it('reporting fraud tells the person what to do, and supervisors see the report', async () => {
    const { page, errors } = await open();
    await page.goto(`${suite.baseUrl}/help/video-call-scams`);
    await clickAndLoad(page, main(page).getByRole('link', { name: 'Report it to Referee' }));
    expect(await h1(page)).toBe('Report fraud');
    expect(await page.getByLabel('Someone sent me a video call link').isChecked()).toBe(true);
    await checkAccessibility(page);
    await clickAndLoad(page, page.getByRole('button', { name: 'Send report' }));
    expect(await page.title()).toMatch(/^Error: /);
    await checkAccessibility(page);
    await page.getByLabel('Your email address').fill('reporter@example.org');
    await page.getByLabel('Tell us more (optional)').fill('A text message with a link to a video call.');
    await clickAndLoad(page, page.getByRole('button', { name: 'Send report' }));
    expect(await h1(page)).toBe('We received your report');
    expect(await page.locator('#next-steps li').count()).toBeGreaterThan(2);
    await screenshot(page, 'fraud-reported');
    await checkAccessibility(page);

    const { page: supervisorPage, errors: supervisorErrors } = await open();
    await signInNew(supervisorPage, 'supervisor', ['supervisor']);
    await visit(supervisorPage, '/supervisor/fraud-reports', 'Fraud reports', 'fraud-reports');
    expect(await main(supervisorPage).innerText()).toContain('Someone sent me a video call link');
    await visit(supervisorPage, '/agent/support?fraud=1', 'Support queue');
    expect([...errors, ...supervisorErrors]).toEqual([]);
  });
});
