/**
 * A new person's first visit, in a real browser: sign up (a mistake first), confirm the
 * email from the development outbox, sign in, see the account, sign out. Every page on the
 * way must pass axe-core (WCAG 2.2 A/AA and best practices). The same journey must work
 * with JavaScript turned off, and the sign-in page must fit a phone's screen.
 */
import type { Page } from 'playwright-core';
import { codeFor } from '../harness/accounts';
import { lastEmailTo, pathOf } from '../harness/outbox';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot } from './browser';

const PASSWORD = 'correct horse battery staple 42';

const suite = browserSuite();

const h1 = (page: Page) => page.locator('h1').innerText();
const pathAndQuery = (page: Page) => {
  const url = new URL(page.url());
  return url.pathname + url.search;
};

async function journey(page: Page, email: string, { javaScript, shots }: { javaScript: boolean; shots: string }) {
  // The landing page, then "Create an account" in the header.
  await page.goto(`${suite.baseUrl}/`);
  await checkAccessibility(page);
  await clickAndLoad(page, page.getByRole('banner').getByRole('link', { name: 'Create an account' }));
  expect(pathAndQuery(page)).toBe('/sign-up');
  expect(await h1(page)).toBe('Create your account');
  await checkAccessibility(page);

  // A password that is too short: the form comes back with the error, and the email kept.
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('too short');
  await clickAndLoad(page, page.getByRole('button', { name: 'Create account' }));
  expect(await page.title()).toMatch(/^Error: /);
  expect(await h1(page)).toBe('Create your account');
  expect(await page.getByLabel('Email address').inputValue()).toBe(email);
  expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
  const summary = page.locator('[data-error-summary]');
  expect(await summary.innerText()).toMatch(/Your password must be at least 12 characters/i);
  expect(await page.locator('#password-error').innerText()).toMatch(/12 characters/);
  if (javaScript) {
    // referee.js moves focus to the error summary, so a screen reader announces it.
    expect(await page.evaluate('document.activeElement?.hasAttribute("data-error-summary") ?? false')).toBe(true);
  }
  await screenshot(page, `${shots}-sign-up-error`);
  await checkAccessibility(page);

  // A good password, checked with "Show password" (the design system's script, under our CSP).
  const password = page.getByLabel('Password', { exact: true });
  await password.fill(PASSWORD);
  if (javaScript) {
    await page.getByRole('button', { name: 'Show password' }).click();
    expect(await password.getAttribute('type')).toBe('text');
    await page.getByRole('button', { name: 'Hide password' }).click();
    expect(await password.getAttribute('type')).toBe('password');
  }
  await clickAndLoad(page, page.getByRole('button', { name: 'Create account' }));
  expect(await h1(page)).toBe('Check your email');
  expect(await page.title()).not.toMatch(/^Error/);
  await checkAccessibility(page);

  // The email, as a new user reads it: on the development outbox, newest first.
  await clickAndLoad(page, page.getByRole('main').getByRole('link', { name: 'development outbox' }));
  expect(pathAndQuery(page)).toBe('/dev/outbox');
  expect(await h1(page)).toBe('Development outbox');
  await checkAccessibility(page);
  const message = page.locator('article').filter({ hasText: `To ${email}` }).first();
  expect(await message.getByRole('heading').innerText()).toBe('Confirm your email address for Referee');
  const link = message.locator('pre a[href*="/sign-up/confirm?token="]');
  const sent = await lastEmailTo(suite.t.db.sql, email);
  expect(sent?.link).toBeDefined();
  expect(await link.getAttribute('href')).toBe(sent!.link);
  await clickAndLoad(page, link);
  expect(pathAndQuery(page)).toBe(pathOf(sent!.link!));

  // Confirming is a button on the linked page.
  expect(await h1(page)).toBe('Confirm your email address');
  await checkAccessibility(page);
  await clickAndLoad(page, page.getByRole('button', { name: 'Confirm email address' }));
  expect(pathAndQuery(page)).toBe('/sign-in?confirmed=1');
  expect(await page.getByRole('main').innerText()).toContain('Your email address is confirmed.');
  await checkAccessibility(page);

  // Sign in.
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await clickAndLoad(page, page.getByRole('main').getByRole('button', { name: 'Sign in', exact: true }));

  // The password alone is not enough: a second way to sign in comes first.
  expect(pathAndQuery(page)).toBe('/mfa/setup');
  expect(await h1(page)).toBe('Add a second way to sign in');
  await checkAccessibility(page);
  await clickAndLoad(page, page.getByRole('link', { name: 'Set up a code generator app' }));
  expect(await h1(page)).toBe('Set up a code generator app');
  await checkAccessibility(page);
  const key = (await page.locator('#totp-key').innerText()).replace(/\s/g, '');
  await page.getByLabel('Code', { exact: true }).fill(await codeFor(key));
  await clickAndLoad(page, page.getByRole('button', { name: 'Confirm' }));
  expect(await h1(page)).toBe('Code generator app added');
  await checkAccessibility(page);
  await clickAndLoad(page, page.getByRole('link', { name: 'Continue' }));
  expect(pathAndQuery(page)).toBe('/account');
  expect(await h1(page)).toBe('Your account');
  expect(await page.getByRole('main').innerText()).toContain(email);
  await screenshot(page, `${shots}-account`);
  await checkAccessibility(page);

  // Sign out, from the header.
  await clickAndLoad(page, page.getByRole('banner').getByRole('button', { name: 'Sign out' }));
  expect(pathAndQuery(page)).toBe('/sign-in?signed-out=1');
  expect(await page.getByRole('main').innerText()).toContain('You have signed out.');
  await checkAccessibility(page);

  // Signed out for real: the account page asks to sign in again.
  await page.goto(`${suite.baseUrl}/account`);
  expect(new URL(page.url()).pathname).toBe('/sign-in');
  expect(await h1(page)).toBe('Sign in');
}

suite.describe('a new account, in a browser', () => {
  it('signs up, confirms the email from the outbox, signs in and out; every page passes axe', async () => {
    const browser = await suite.launch();
    const errors = collectPageErrors(browser.page);
    await journey(browser.page, 'ada.browser@example.com', { javaScript: true, shots: 'js' });
    expect(errors).toEqual([]);
  });

  it('does the same with JavaScript turned off', async () => {
    const browser = await suite.launch({ javaScriptEnabled: false });
    await journey(browser.page, 'grace.nojs@example.com', { javaScript: false, shots: 'nojs' });
  });

  it('shows no "Show password" button when JavaScript is off (it cannot work then)', async () => {
    const noScripts = await suite.launch({ javaScriptEnabled: false });
    await noScripts.page.goto(`${suite.baseUrl}/sign-in`);
    expect(await noScripts.page.getByRole('button', { name: 'Show password' }).count()).toBe(0);
    await noScripts.close();
    const browser = await suite.launch();
    await browser.page.goto(`${suite.baseUrl}/sign-in`);
    expect(await browser.page.getByRole('button', { name: 'Show password' }).isVisible()).toBe(true);
  });

  it('fits the sign-in page on a phone (390 × 844) without sideways scrolling', async () => {
    const browser = await suite.launch({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
    const { page } = browser;
    await page.goto(`${suite.baseUrl}/sign-in`);
    expect(await h1(page)).toBe('Sign in');
    // (Page code as strings: the project's TypeScript has no DOM types.)
    const { scrollWidth, innerWidth } = (await page.evaluate(
      '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
    )) as { scrollWidth: number; innerWidth: number };
    expect(innerWidth).toBe(390);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await screenshot(page, 'phone-sign-in');
  });
});
