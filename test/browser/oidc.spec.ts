/**
 * What a new user tries first: the demo organization, its "Verify with Referee" button,
 * sign-up, the second factor, the verification the organization asks for, then Allow, and
 * the organization showing the verified claims it received. Every page passes axe, and no
 * page logs an error (a CSP block would).
 */
import type { Page } from 'playwright-core';
import { PASSWORD, codeFor } from '../harness/accounts';
import { lastEmailTo } from '../harness/outbox';
import { recordVerified } from '../oidc/flow';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot } from './browser';

const suite = browserSuite();

const h1 = (page: Page) => page.locator('h1').innerText();
const path = (page: Page) => new URL(page.url()).pathname;

suite.describe('the demo organization, as a new user tries it', () => {
  it('signs up, sets up a second factor, verifies, allows, and the demo shows the verified claims', async () => {
    const browser = await suite.launch();
    const { page } = browser;
    const errors = collectPageErrors(page);
    const email = 'amina.demo@example.org';

    await page.goto(`${suite.baseUrl}/demo`);
    expect(await h1(page)).toBe('Demo Organization');
    await checkAccessibility(page);
    await clickAndLoad(page, page.getByRole('link', { name: 'Verify with Referee' }));
    expect(path(page)).toBe('/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toMatch(/^\/interaction\/[^/]+\/login$/);

    // A new account, confirmed from the development outbox.
    await clickAndLoad(page, page.getByRole('main').getByRole('link', { name: 'Create an account' }));
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await clickAndLoad(page, page.getByRole('button', { name: 'Create account' }));
    expect(await h1(page)).toBe('Check your email');
    await page.goto((await lastEmailTo(suite.t.db.sql, email))!.link!);
    await clickAndLoad(page, page.getByRole('button', { name: 'Confirm email address' }));

    // Back to the organization, as the product says: select the button again and sign in.
    await page.goto(`${suite.baseUrl}/demo`);
    await clickAndLoad(page, page.getByRole('link', { name: 'Verify with Referee' }));
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await clickAndLoad(page, page.getByRole('main').getByRole('button', { name: 'Sign in', exact: true }));
    expect(await h1(page)).toBe('Add a second way to sign in');
    await clickAndLoad(page, page.getByRole('link', { name: 'Set up a code generator app' }));
    const key = (await page.locator('#totp-key').innerText()).replace(/\s/g, '');
    await page.getByLabel('Code', { exact: true }).fill(await codeFor(key));
    await page.getByLabel('Name this method').fill('Phone app');
    await clickAndLoad(page, page.getByRole('button', { name: 'Confirm' }));
    expect(await h1(page)).toBe('Code generator app added');
    await clickAndLoad(page, page.getByRole('link', { name: 'Continue' }));
    await page.waitForURL(/\/interaction\/[^/]+$/);

    // The organization asks for a verified identity: verification comes first.
    expect(await h1(page)).toBe('Verify your identity to continue to Demo Organization');
    expect(await page.getByRole('link', { name: 'Verify your identity' }).getAttribute('href')).toBe('/verify');
    await screenshot(page, 'oidc-verify-first');
    await checkAccessibility(page);

    // A Trusted Referee verifies the identity (by fixture, through the service the call uses).
    const { rows } = await suite.t.db.sql.query('select id from account where email = $1', [email]);
    await recordVerified(suite.t, rows[0].id);

    await clickAndLoad(page, page.getByRole('link', { name: 'Continue to Demo Organization' }));
    expect(await h1(page)).toBe('Share your information with Demo Organization');
    expect(await page.locator('#shared-claims').innerText()).toContain('Your verified identity');
    await screenshot(page, 'oidc-consent');
    await checkAccessibility(page);

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/\/demo\/callback\?/);
    await page.waitForLoadState('load');
    expect(await h1(page)).toBe('Welcome to Demo Organization');
    const received = await page.locator('#verified-claims').innerText();
    expect(received).toContain('Amina');
    expect(received).toContain('nist_800_63A');
    expect(received).toContain('ial2');
    await screenshot(page, 'oidc-demo-claims');
    await checkAccessibility(page);
    expect(errors).toEqual([]);
  });
});
