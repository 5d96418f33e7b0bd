/**
 * An applicant goes from "Create an account" to a verified video call with the keyboard
 * alone (Tab, Shift+Tab, arrows, Space, Enter and typing: no clicks, no programmatic focus),
 * in Arabic, right to left, while the staff side is played through HTTP. Elements are found
 * by what does not change with the language (form actions, field names, links' addresses),
 * and every page on the way is checked with axe-core.
 */
import type { FileChooser, Page } from 'playwright-core';
import { PASSWORD, codeFor, createAccount, grantRoles, signIn } from '../harness/accounts';
import { JITSI, newReferee } from '../harness/calls';
import { photo } from '../harness/documents';
import { submitForm } from '../harness/forms';
import { lastEmailTo } from '../harness/outbox';
import { browserSuite, checkAccessibility, collectPageErrors, screenshot } from './browser';


const suite = browserSuite(JITSI);

const path = (page: Page) => new URL(page.url()).pathname;
const isFocused = (page: Page, selector: string) => page.evaluate((s) => !!document.activeElement?.matches(s), selector);

/** Presses Tab (forward) until the element matching `selector` has the focus, as a keyboard user would. */
async function tabTo(page: Page, selector: string, limit = 120): Promise<void> {
  if (await isFocused(page, selector)) return;
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await isFocused(page, selector)) return;
  }
  throw new Error(`${path(page)}: ${selector} cannot be reached with the Tab key`);
}

async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await tabTo(page, selector);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(text);
}

/** Presses a key on a focused link or button that loads a new page, and waits for it. */
async function pressAndLoad(page: Page, selector: string, key = 'Enter'): Promise<void> {
  await tabTo(page, selector);
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await page.keyboard.press(key);
  await navigated;
  await page.waitForLoadState('load');
}

/** A radio group: Tab into it, arrows to the option, Space to choose it. */
async function chooseRadio(page: Page, name: string, value: string): Promise<void> {
  await tabTo(page, `input[type=radio][name="${name}"]`);
  for (let i = 0; i < 40; i++) {
    const current = await page.evaluate(() => (document.activeElement as HTMLInputElement).value);
    if (current === value) {
      await page.keyboard.press('Space');
      expect(await page.locator(`input[name="${name}"][value="${value}"]`).isChecked()).toBe(true);
      return;
    }
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`${path(page)}: option ${value} of ${name} not reached with the arrow keys`);
}

async function tick(page: Page, selector: string): Promise<void> {
  await tabTo(page, selector);
  await page.keyboard.press('Space');
  expect(await page.locator(selector).isChecked()).toBe(true);
}

/**
 * A file input: Tab to it and press Space, which opens the file chooser. Busy CI machines have
 * seen headless Chromium not open it for the first Space (one run in about ten); then the key
 * is pressed once more, still from the keyboard.
 */
async function openFileChooser(page: Page, selector: string): Promise<FileChooser> {
  for (let attempt = 0; attempt < 2; attempt++) {
    await tabTo(page, selector);
    const chooser = page.waitForEvent('filechooser', { timeout: 7_500 }).catch(() => undefined);
    await page.keyboard.press('Space');
    const opened = await chooser;
    if (opened) return opened;
  }
  throw new Error(`${path(page)}: Space on ${selector} opened no file chooser`);
}

/** A native select: focus it, then arrows until the wanted value is chosen. */
async function chooseOption(page: Page, selector: string, value: string): Promise<void> {
  await tabTo(page, selector);
  await page.keyboard.press('Home');
  for (let i = 0; i < 300; i++) {
    if ((await page.locator(selector).inputValue()) === value) return;
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`${path(page)}: ${value} not reached in ${selector}`);
}

/** The page is in Arabic, right to left, and passes axe; saved as a screenshot when asked. */
async function checkPage(page: Page, pathname: string, shot: string): Promise<void> {
  expect(path(page)).toBe(pathname);
  expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['ar', 'rtl']);
  // In Arabic words, not only in Arabic's direction: the heading and the main text are Arabic.
  expect(await page.locator('h1').innerText()).toMatch(/\p{Script=Arabic}/u);
  const latinWords = (await page.locator('main').innerText()).match(/\b(?!Referee\b|Trusted\b)(?=[A-Za-z]*[a-z])[A-Za-z]{4,}\b/g) ?? [];
  expect(latinWords.filter((w) => !/^(rue|Rivoli|Paris|Layla|Haddad|France|example|keyboard|Google|Microsoft|Authenticator|Authy|Jitsi|Meet|Fair|Credit|Reporting|Global|Entry|NEXUS|SENTRI|FAST|WebP|HEIC|HEIF|JPEG)$/i.test(w))).toEqual([]);
  // Mirrored, not merely flipped: nothing hidden off-screen widens the page or scrolls it sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await checkAccessibility(page);
  await screenshot(page, `keyboard-${shot}`);
}

/** The main form's Continue: not the hidden copy that Enter in a field uses, not Save & Exit (another form's, or this one's sent elsewhere). */
const continueIn = (action: string) => `form[action="${action}"] button[type=submit]:not([form]):not([formaction]):not([hidden])`;

suite.describe('the applicant journey with the keyboard alone, in Arabic', () => {
  it('from sign-up to a verified video call, without a mouse', async () => {
    const browser = await suite.launch({ locale: 'en-US' });
    const page = browser.page;
    const errors = collectPageErrors(page);
    await browser.context.route('https://jitsi.test/**', (route) =>
      route.fulfill({ status: 200, contentType: 'application/javascript', body: 'window.JitsiMeetExternalAPI = function () { return { addListener() {}, executeCommand() {}, dispose() {} }; };' }),
    );

    // The home page in English (the browser's language); the switcher to Arabic.
    await page.goto(suite.baseUrl);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    // The skip link is the first stop and moves the focus to the main content.
    await page.keyboard.press('Tab');
    expect(await isFocused(page, 'a.usa-skipnav')).toBe(true);
    await page.keyboard.press('Enter');
    expect(await isFocused(page, 'main#main-content')).toBe(true);
    await page.goto(suite.baseUrl); // back to the top of the page, as a reload would
    await pressAndLoad(page, 'button[name=language][value=ar]');
    await checkPage(page, '/', 'home');

    // Create an account.
    const email = `keyboard.${Date.now()}@example.org`;
    await pressAndLoad(page, 'main a[href="/sign-up"]');
    await typeInto(page, 'input[name=email]', email);
    await typeInto(page, 'input[name=password]', PASSWORD);
    await pressAndLoad(page, 'form[action="/sign-up"] button[type=submit]');
    await checkPage(page, '/sign-up', 'check-email');
    const mail = await lastEmailTo(suite.t.db.sql, email);
    await page.goto(mail!.link!); // the link in the email
    await checkPage(page, '/sign-up/confirm', 'confirm-email');
    await pressAndLoad(page, 'form[action="/sign-up/confirm"] button[type=submit]');

    // Sign in, adding a code generator app.
    await checkPage(page, '/sign-in', 'sign-in');
    await typeInto(page, 'input[name=email]', email);
    await typeInto(page, 'input[name=password]', PASSWORD);
    await pressAndLoad(page, 'form[action="/sign-in"] button[type=submit]');
    await checkPage(page, '/mfa/setup', 'mfa-setup');
    await pressAndLoad(page, 'a[href^="/mfa/setup/totp"]');
    await checkPage(page, '/mfa/setup/totp', 'totp');
    const key = (await page.locator('#totp-key').innerText()).replace(/\s/g, '');
    await typeInto(page, 'input[name=code]', await codeFor(key));
    await pressAndLoad(page, 'form[action="/mfa/setup/totp"] button[type=submit]');
    await checkPage(page, '/mfa/setup/totp', 'totp-added');
    await pressAndLoad(page, 'main a.usa-button');
    await checkPage(page, '/account', 'account');

    // The intake: outside the United States, details, no SSN or ITIN, passport and utility bill.
    await pressAndLoad(page, 'main a[href="/verify"]');
    await checkPage(page, '/verify/how', 'how');
    await pressAndLoad(page, 'form[action="/verify/international"] button[type=submit]');
    await checkPage(page, '/verify/video-call', 'video-call');
    await pressAndLoad(page, continueIn('/verify/video-call'));
    await checkPage(page, '/verify/details', 'details');
    await typeInto(page, 'input[name=firstName]', 'Layla');
    await typeInto(page, 'input[name=lastName]', 'Haddad');
    await chooseOption(page, 'select[name="dateOfBirth-month"]', '4');
    await typeInto(page, 'input[name="dateOfBirth-day"]', '28');
    await typeInto(page, 'input[name="dateOfBirth-year"]', '1986');
    await typeInto(page, 'input[name=email]', email);
    await typeInto(page, 'input[name=phone]', '+33 1 42 68 53 00');
    // The country combo box: type the country's name as the page writes it, arrow down, Enter.
    const france = (await page.locator('select[name=country] option[value=FR]').textContent())!.trim();
    await typeInto(page, 'input#country', france);
    const fields = page.waitForResponse((r) => r.url().includes('/verify/details/address-fields?'));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect((await fields).status()).toBe(200);
    await page.waitForFunction(() => !document.querySelector('#address-fields [name="region"]'));
    await typeInto(page, 'input[name=line1]', '12 rue de Rivoli');
    await typeInto(page, 'input[name=city]', 'Paris');
    await typeInto(page, 'input[name=postalCode]', '75001');
    await chooseRadio(page, 'nameChanged', 'no');
    await pressAndLoad(page, continueIn('/verify/details'));
    await checkPage(page, '/verify/ssn', 'ssn');
    await pressAndLoad(page, 'main a[href="/verify/no-ssn-or-itin"]');
    await checkPage(page, '/verify/no-ssn-or-itin', 'no-number');
    await pressAndLoad(page, continueIn('/verify/no-ssn-or-itin'));
    await checkPage(page, '/verify/documents/primary', 'primary');
    await chooseRadio(page, 'document', 'foreign_passport');
    await pressAndLoad(page, continueIn('/verify/documents/primary'));
    await checkPage(page, '/verify/documents/primary/check', 'passport');
    for (const question of ['original', 'nameMatches', 'unexpired']) await chooseRadio(page, question, 'yes');
    await pressAndLoad(page, continueIn('/verify/documents/primary/check'));
    await checkPage(page, '/verify/documents/second', 'second');
    await chooseRadio(page, 'document', 'utility_bill');
    await pressAndLoad(page, continueIn('/verify/documents/second'));
    await checkPage(page, '/verify/documents/second/check', 'bill');
    for (const question of ['nameMatches', 'recent']) await chooseRadio(page, question, 'yes');
    // Living outside the United States, the bill is also the proof of that address: the review comes next.
    await pressAndLoad(page, continueIn('/verify/documents/second/check'));
    await checkPage(page, '/verify/documents/review', 'review');
    await pressAndLoad(page, 'main a.usa-button[href="/documents"]');

    // The documents: each Choose Image opened with the keyboard (the file chooser), then Send photos.
    await checkPage(page, '/documents', 'documents');
    const image = await photo(1600, 1100);
    for (const [item, input] of [['first', '#file-0-photo_page'], ['second', '#file-1-page1']]) {
      await (await openFileChooser(page, input)).setFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: image });
      await tabTo(page, `form[action="/documents/upload/${item}"] button.referee-upload__send`);
      await page.keyboard.press('Enter');
      await page.locator(`[id="${item}"] img.referee-thumb`).first().waitFor({ timeout: 20_000 });
    }
    await checkPage(page, '/documents', 'documents-sent');
    await tick(page, 'form[action="/documents"] input[name=confirm]');
    await pressAndLoad(page, 'form[action="/documents"] button[type=submit]:not([form])');
    await checkPage(page, '/documents/review', 'hold');

    // A reviewer approves every document through the console's form (tested on its own elsewhere).
    const reviewerEmail = `kb-reviewer.${Date.now()}@referee.example`;
    const reviewer = await createAccount(suite.t, reviewerEmail);
    await grantRoles(suite.t, reviewerEmail, ['reviewer']);
    const r = await signIn(suite.t, reviewer);
    const next = await submitForm(r, '/agent/review', '/agent/review/next', {});
    const casePath = String(next.headers.location);
    const decided = await submitForm(r, casePath, casePath, { 'decision-0': 'accepted', 'decision-1': 'accepted', 'decision-2': 'accepted' });
    expect(decided.headers.location).toBe('/agent/review?decided=approved');

    // The hold page moves on by itself; the applicant waits for the next Trusted Referee.
    await page.locator('main a[href="/call"]').first().waitFor({ timeout: 20_000 });
    await pressAndLoad(page, 'main a[href="/call"]');
    await checkPage(page, '/call', 'call-choice');
    await pressAndLoad(page, 'form[action="/call"] button[type=submit]');
    await checkPage(page, '/call', 'queue');

    // A Trusted Referee takes the next applicant; the applicant's page follows to the call.
    const referee = await newReferee(suite.t, 'kb-referee');
    const b = referee.browser!;
    const taken = await submitForm(b, '/agent/calls', '/agent/calls/next', {});
    const consolePath = String(taken.headers.location);
    await page.waitForURL((url) => url.pathname === '/call/join', { timeout: 30_000 });
    await checkPage(page, '/call/join', 'join');
    await tick(page, 'form[action="/call/join"] input[type=checkbox]');
    await pressAndLoad(page, 'form[action="/call/join"] button[type=submit]');
    await checkPage(page, '/call/join', 'on-call');

    // The referee checks everything, has the code read back and records "verified".
    const post = (action: string, fields: Record<string, string> = {}) => submitForm(b, consolePath, action, fields);
    await post(`${consolePath}/code`);
    const code = /(\d{6})/.exec((await lastEmailTo(suite.t.db.sql, email))!.body)![1];
    const checks = Object.fromEntries(['name', 'dateOfBirth', 'address', 'originals', 'face', 'tilted', 'inView'].map((k) => [`check-${k}`, 'yes']));
    const done = await post(`${consolePath}/outcome`, { outcome: 'verified', ...checks, code, 'doc-first-country': 'FR', 'doc-first-number': '19AB12345', 'doc-first-expiry': '2031-05-01' });
    expect(done.status).toBe(303);
    await page.goto(`${suite.baseUrl}/call`);
    await checkPage(page, '/call/verified', 'verified');
    expect(errors).toEqual([]);
  });
});
