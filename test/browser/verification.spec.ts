import type { Page } from 'playwright-core';
import { PASSWORD, codeFor, createAccount } from '../harness/accounts';
import { lastEmailTo } from '../harness/outbox';
import { FRENCH_DETAILS, newApplicant } from '../harness/verification';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot, shareCookies } from './browser';

const suite = browserSuite({}, { host: 'localhost' });

const h1 = (page: Page) => page.locator('h1').innerText();
const path = (page: Page) => new URL(page.url()).pathname;
const main = (page: Page) => page.getByRole('main');

/** Checks the page is the expected step and passes axe, then saves a screenshot when asked. */
async function at(page: Page, pathname: string, heading: string, shot: string) {
  expect(path(page)).toBe(pathname);
  expect(await h1(page)).toBe(heading);
  await checkAccessibility(page);
  await screenshot(page, shot);
}

async function answerYes(page: Page, questions: string[]) {
  for (const question of questions) {
    await page.getByRole('group', { name: question }).getByText('Yes', { exact: true }).click();
  }
}

/**
 * The "Done when", as a new user would do it: a fresh account with a second factor,
 * "I don't live in the United States", details, no SSN or ITIN, a passport and a utility bill
 * with their requirements confirmed, Save & Exit, the emailed link, and back on the same step.
 */
async function journey(page: Page, email: string, { javaScript, shots }: { javaScript: boolean; shots: string }) {
  await createAccount(suite.t, email);

  // Sign in, adding a code generator app as the second factor.
  await page.goto(`${suite.baseUrl}/sign-in`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await clickAndLoad(page, main(page).getByRole('button', { name: 'Sign in', exact: true }));
  expect([path(page), path(page) === '/mfa/setup' ? '' : await main(page).innerText()]).toEqual(['/mfa/setup', '']);
  await clickAndLoad(page, page.getByRole('link', { name: 'Set up a code generator app' }));
  const key = (await page.locator('#totp-key').innerText()).replace(/\s/g, '');
  await page.getByLabel('Code', { exact: true }).fill(await codeFor(key));
  await clickAndLoad(page, page.getByRole('button', { name: 'Confirm' }));
  await clickAndLoad(page, page.getByRole('link', { name: 'Continue' }));
  await at(page, '/account', 'Your account', `${shots}-account`);

  // Start, and the international link.
  await clickAndLoad(page, main(page).getByRole('link', { name: 'Continue verifying your identity' }));
  await at(page, '/verify/how', 'Choose how to verify your identity', `${shots}-how`);
  await clickAndLoad(page, page.getByRole('button', { name: "I don't live in the United States" }));
  await at(page, '/verify/video-call', 'Verify identity on a video call', `${shots}-video-call`);
  for (const stage of ['Confirm Details', 'Send Documents', 'Hold for Document Review', 'Join Video Call']) {
    expect(await main(page).getByRole('heading', { name: stage }).count()).toBe(1);
  }
  await clickAndLoad(page, page.getByRole('button', { name: 'Get started' }));
  await at(page, '/verify/details', 'Confirm your personal information', `${shots}-details`);

  // Details: first with a mistake (a P.O. box and a future birth date), then right.
  await page.getByLabel('First name').fill('Amélie');
  await page.getByLabel('Last name').fill('Poulain');
  await page.getByLabel('Month').selectOption('4');
  await page.getByLabel('Day').fill('28');
  await page.getByLabel('Year').fill(String(new Date().getUTCFullYear() + 1));
  await page.getByLabel('Phone number').fill('+33 1 42 68 53 00');
  if (javaScript) {
    // The design system's combo box; choosing France swaps in France's address fields (no region line).
    await page.getByRole('combobox', { name: 'Country' }).fill('France');
    const fields = page.waitForResponse((r) => r.url().includes('/verify/details/address-fields?'));
    await page.getByRole('option', { name: 'France', exact: true }).click();
    expect((await fields).status()).toBe(200);
    await page.waitForFunction(() => !document.querySelector('#address-fields [name="region"]'));
    await page.getByLabel('Address line 1').focus(); // leaving the combo box sends no second request
  } else {
    await page.getByLabel('Country').selectOption('FR');
    await clickAndLoad(page, page.getByRole('button', { name: 'Show the address fields for this country' }));
    expect(await main(page).innerText()).toContain('The address fields are now those of France');
    expect(await page.locator('#address-fields [name="region"]').count()).toBe(0);
  }
  await page.getByLabel('Address line 1').fill('P.O. Box 12');
  await page.getByLabel('City').fill('Paris');
  await page.getByLabel('Postal code').fill('75001');
  await page.getByRole('group', { name: 'Has your legal name changed?' }).getByText('No', { exact: true }).click();
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));
  expect(await page.title()).toMatch(/^Error: /);
  expect(await page.locator('[data-error-summary]').innerText()).toContain('Your date of birth must be in the past');
  expect(await page.locator('#line1-error').innerText()).toBe('Enter your home address. A P.O. box is not a home address');
  expect(await page.getByLabel('First name').inputValue()).toBe('Amélie');
  await checkAccessibility(page);
  await screenshot(page, `${shots}-details-errors`);
  await page.getByLabel('Year').fill('1986');
  await page.getByLabel('Address line 1').fill('12 rue de Rivoli');
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));

  // No SSN or ITIN: the non-U.S. passport path.
  await at(page, '/verify/ssn', 'Confirm your Social Security number', `${shots}-ssn`);
  if (javaScript) {
    // "Show SSN" shows what was typed; without JavaScript the field simply stays masked.
    await page.getByLabel('Enter SSN').fill('123');
    await page.locator('label[for="number-show"]').click();
    expect(await page.getByLabel('Enter SSN').getAttribute('type')).toBe('text');
  } else {
    expect(await page.getByLabel('Show SSN').first().isVisible()).toBe(false);
  }
  await main(page).getByText('What is the Federal Fair Credit Reporting Act?').click();
  expect(await main(page).getByText('consumer reporting agencies').isVisible()).toBe(true);
  await clickAndLoad(page, page.getByRole('link', { name: "I don't have a Social Security number or ITIN" }));
  await at(page, '/verify/no-ssn-or-itin', 'Verify with your non-U.S. passport', `${shots}-no-number`);
  expect(await main(page).innerText()).toContain('12 rue de Rivoli');
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue with my non-U.S. passport' }));

  // The passport.
  await at(page, '/verify/documents/primary', 'Select primary document', `${shots}-primary`);
  await page.getByText('Foreign (non-U.S.) passport', { exact: true }).click();
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));
  await at(page, '/verify/documents/primary/check', 'Foreign (non-U.S.) passport', `${shots}-passport`);
  expect(await main(page).innerText()).toContain('machine-readable zone');
  await answerYes(page, [
    'Will you have the original passport with you on the video call?',
    'Does the name on your passport match the name you entered (Amélie Poulain)?',
    'Is your passport unexpired?',
  ]);
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));

  // The utility bill.
  await at(page, '/verify/documents/second', 'Select your second document', `${shots}-second`);
  await page.getByText('Utility bill', { exact: true }).click();
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));
  await at(page, '/verify/documents/second/check', 'Utility bill', `${shots}-bill`);
  await answerYes(page, [
    'Does the name on your utility bill match the name you entered (Amélie Poulain)?',
    'Was your utility bill issued within the last 90 days, and does it show your current address?',
  ]);
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));

  // Living outside the United States, the bill is also the proof of that address: the review comes next.
  await at(page, '/verify/documents/review', 'Your documents', `${shots}-review`);
  expect(await main(page).innerText()).toContain('Utility bill');

  // Save & Exit, then the emailed link: sign in again with the code generator, and back on the same step.
  await clickAndLoad(page, page.getByRole('button', { name: 'Save & Exit' }));
  await at(page, '/verify/saved', 'Your progress is saved', `${shots}-saved`);
  const mail = await lastEmailTo(suite.t.db.sql, email);
  expect(mail?.link).toBeDefined();
  await page.goto(mail!.link!);
  expect(path(page)).toBe('/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await clickAndLoad(page, main(page).getByRole('button', { name: 'Sign in', exact: true }));
  expect(path(page)).toBe('/mfa/challenge');
  await page.getByLabel('Code', { exact: true }).fill(await codeFor(key, 1)); // the setup's code works once only
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));
  await at(page, '/verify/resume', 'Continue verifying your identity', `${shots}-resume`);
  await clickAndLoad(page, main(page).getByRole('button', { name: 'Continue' }));
  await at(page, '/verify/documents/review', 'Your documents', `${shots}-resumed`);
  expect(await main(page).innerText()).toContain('Foreign (non-U.S.) passport');

  // Everything kept: the details as entered.
  await page.goto(`${suite.baseUrl}/verify/details`);
  expect(await page.getByLabel('First name').inputValue()).toBe('Amélie');
  expect(await page.getByLabel('Address line 1').inputValue()).toBe('12 rue de Rivoli');
  expect(await page.getByLabel('Year').inputValue()).toBe('1986');
}

suite.describe('verifying from outside the United States, in a browser', () => {
  it('no SSN → passport + utility bill → Save & Exit → resume link; every page passes axe', async () => {
    const browser = await suite.launch();
    const errors = collectPageErrors(browser.page);
    await journey(browser.page, 'amelie.js@example.fr', { javaScript: true, shots: 'verify-js' });
    expect(errors).toEqual([]);
  });

  it('reads right to left in Arabic, from "how to verify" to a document’s questions; every page passes axe', async () => {
    const browser = await suite.launch({ javaScriptEnabled: false });
    const a = await newApplicant(suite.t, 'arabic');
    expect((await a.post('/language', { language: 'ar', returnTo: '/verify' })).status).toBe(303);
    await shareCookies(a.browser, browser.context, suite.baseUrl);
    const page = browser.page;
    const rtl = async (pathname: string, heading: string, shot: string) => {
      expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
      // Nothing hidden off to the side makes a right-to-left page scroll sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await at(page, pathname, heading, shot);
    };

    await page.goto(`${suite.baseUrl}/verify`);
    await rtl('/verify/how', 'اختيار طريقة التحقق من هويتك', 'verify-ar-how');
    await clickAndLoad(page, page.getByRole('button', { name: 'لا أقيم في الولايات المتحدة' }));
    await rtl('/verify/video-call', 'التحقق من الهوية عبر مكالمة فيديو', 'verify-ar-video-call');
    await clickAndLoad(page, page.getByRole('button', { name: 'البدء' }));
    await rtl('/verify/details', 'تأكيد معلوماتك الشخصية', 'verify-ar-details');

    // Sent empty: the error summary and each field's message, in Arabic.
    await clickAndLoad(page, main(page).getByRole('button', { name: 'متابعة' }));
    expect(await page.locator('[data-error-summary]').innerText()).toContain('يُرجى إدخال اسمك الأول');
    expect(await page.locator('#dateOfBirth-error').innerText()).toBe('يُرجى إدخال تاريخ ميلادك');
    await checkAccessibility(page);
    await screenshot(page, 'verify-ar-details-errors');

    await page.getByLabel('الاسم الأول').fill(FRENCH_DETAILS.firstName);
    await page.getByLabel('اسم العائلة').fill(FRENCH_DETAILS.lastName);
    await page.getByLabel('الشهر').selectOption('4');
    await page.getByLabel('اليوم').fill('28');
    await page.getByLabel('السنة').fill('1986');
    await page.getByLabel('رقم الهاتف').fill(FRENCH_DETAILS.phone);
    await page.getByLabel('البلد').selectOption({ label: 'فرنسا' });
    await page.locator('#line1').fill(FRENCH_DETAILS.line1);
    await page.locator('#city').fill(FRENCH_DETAILS.city);
    await page.locator('#postalCode').fill(FRENCH_DETAILS.postalCode);
    await page.getByRole('group', { name: 'هل تغيّر اسمك القانوني؟' }).getByText('لا', { exact: true }).click();
    await clickAndLoad(page, main(page).getByRole('button', { name: 'متابعة' }));
    await rtl('/verify/ssn', 'تأكيد رقم الضمان الاجتماعي الأمريكي (SSN)', 'verify-ar-ssn');
    await clickAndLoad(page, page.getByRole('link', { name: 'ليس لدي رقم الضمان الاجتماعي الأمريكي (SSN) ولا رقم ITIN' }));
    await rtl('/verify/no-ssn-or-itin', 'التحقق باستخدام جواز سفرك غير الأمريكي', 'verify-ar-no-number');
    expect(await main(page).innerText()).toContain('فرنسا');
    await clickAndLoad(page, page.getByRole('button', { name: 'المتابعة بجواز سفري غير الأمريكي' }));
    await rtl('/verify/documents/primary', 'اختيار المستند الأساسي', 'verify-ar-primary');
    await page.getByText('جواز سفر أجنبي (غير أمريكي)', { exact: true }).click();
    await clickAndLoad(page, main(page).getByRole('button', { name: 'متابعة' }));
    await rtl('/verify/documents/primary/check', 'جواز سفر أجنبي (غير أمريكي)', 'verify-ar-passport');
    await page.getByRole('group', { name: 'هل سيكون أصل جواز السفر معك أثناء مكالمة الفيديو؟' }).getByText('نعم', { exact: true }).click();
    expect(await page.locator('input[name=original][value=yes]').isChecked()).toBe(true); // the Arabic label belongs to its radio
  });

  it('does the same with JavaScript turned off', async () => {
    const browser = await suite.launch({ javaScriptEnabled: false });
    await journey(browser.page, 'amelie.nojs@example.fr', { javaScript: false, shots: 'verify-nojs' });
  });
});
