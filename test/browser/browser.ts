/**
 * Browser-test helpers: Debian's Chromium (/usr/bin/chromium) driven by playwright-core,
 * axe-core accessibility checks, and a Referee listening on a real port.
 *
 * No browser download: `npx playwright install` cannot reach the internet here. Install
 * Chromium with `apt-get install -y chromium`. Without it the browser suites are skipped
 * locally, but fail when CI=true (a CI run must never pass by testing nothing).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../harness/app';
import { freePort } from '../harness/ports';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for headless Chromium in a sandbox without network: without the background-networking
 * ones it keeps dialling out to hosts that cannot be reached.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const chromiumAvailable = existsSync(CHROMIUM_PATH);

/** Contexts launched with javaScriptEnabled: false (axe needs a hand there, see axeViolations). */
const scriptsDisabled = new WeakSet<BrowserContext>();
const inCi = process.env.CI === 'true';

/**
 * `describe` for suites that need Chromium. Chromium missing: skipped with a warning, or a
 * failing test when CI=true.
 */
export function describeWithBrowser(name: string, suite: () => void): void {
  if (chromiumAvailable) {
    describe(name, suite);
  } else if (inCi) {
    describe(name, () => {
      it('has Chromium to run in', () => {
        throw new Error(
          `${CHROMIUM_PATH} not found, and CI=true: browser tests must run in CI, not be skipped. ` +
            'Install it with: apt-get update && apt-get install -y chromium',
        );
      });
    });
  } else {
    console.warn(`Browser tests skipped: ${CHROMIUM_PATH} not found (apt-get install chromium)`);
    describe.skip(name, suite);
  }
}

type ContextOptions = NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>;

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A new Chromium with a fresh, throwaway profile (its own --user-data-dir), and one tab. */
export async function launchBrowser(options: ContextOptions = {}): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'referee-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
      ...options,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  if (options.javaScriptEnabled === false) scriptsDisabled.add(context);
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return; // a test may close its browser before the suite does
      closed = true;
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}


/**
 * Referee on a real port, with BASE_URL set to that address so the links in its emails
 * (and on /dev/outbox) lead back to it, as they would for a real user.
 *
 * `host: 'localhost'` puts that name in BASE_URL instead of 127.0.0.1 (the server still
 * listens on 127.0.0.1, where Chromium sends localhost). Passkeys need it: the WebAuthn
 * relying-party id is BASE_URL's hostname, and Chromium refuses an IP address as one
 * ("SecurityError: This is an invalid domain"), while http://localhost is a secure context.
 */
export async function startListeningApp(
  env: Record<string, string> = {},
  options: { host?: '127.0.0.1' | 'localhost' } = {},
): Promise<{ t: TestApp; baseUrl: string }> {
  const port = await freePort();
  const baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const t = await startTestApp({ BASE_URL: baseUrl, ...env });
  try {
    await t.app.listen(port, '127.0.0.1');
  } catch (error) {
    await t.close();
    throw error;
  }
  return { t, baseUrl };
}

/**
 * What every browser spec has around its tests: a Referee listening on a real port
 * (startListeningApp), started before them and closed after them, and the Chromiums the tests
 * launch, each closed when it is no longer needed. `t` and `baseUrl` are there once the suite's
 * tests and hooks run, not when the file loads.
 */
export interface BrowserSuite {
  readonly t: TestApp;
  readonly baseUrl: string;
  /** A new Chromium for this test, closed after it. */
  launch(options?: ContextOptions): Promise<Browser>;
  /**
   * The Chromium the suite's tests share, where each goes on from the previous one: launched
   * (with `options`) on first use, the same one after that, closed after the suite.
   */
  shared(options?: ContextOptions): Promise<Browser>;
  /** describeWithBrowser, with the hooks that start and close all of the above. */
  describe(name: string, tests: () => void): void;
}

export function browserSuite(env: Record<string, string> = {}, options: { host?: '127.0.0.1' | 'localhost' } = {}): BrowserSuite {
  let running: { t: TestApp; baseUrl: string } | undefined;
  let forTest: Browser[] = [];
  let shared: Promise<Browser> | undefined;
  const started = () => running ?? fail('the browser suite has not started: use t and baseUrl in tests and hooks');
  return {
    get t() {
      return started().t;
    },
    get baseUrl() {
      return started().baseUrl;
    },
    async launch(contextOptions) {
      const browser = await launchBrowser(contextOptions);
      forTest.push(browser);
      return browser;
    },
    shared(contextOptions) {
      return (shared ??= launchBrowser(contextOptions));
    },
    describe(name, tests) {
      describeWithBrowser(name, () => {
        beforeAll(async () => {
          running = await startListeningApp(env, options);
        });
        afterEach(async () => {
          const closing = forTest;
          forTest = [];
          for (const browser of closing) await browser.close();
        });
        afterAll(async () => {
          await (await shared?.catch(() => undefined))?.close();
          await running?.t.close();
        });
        tests();
      });
    },
  };
}

function fail(message: string): never {
  throw new Error(message);
}

/**
 * Clicks something that loads a new page (a link, or a form's submit button) and waits
 * until that page has loaded: also when a form posts back to its own address.
 */
export async function clickAndLoad(page: Page, target: Locator): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await target.click();
  await navigated;
  await page.waitForLoadState('load');
}

/**
 * Console errors and uncaught exceptions (a CSP block or a missing script or font shows up
 * as a console error). The 4xx status of the page itself (a form with errors) is expected.
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // A form sent back with errors is the page itself, with status 400: the test checks that page.
    const documentStatus = message.text().startsWith('Failed to load resource: the server responded with a status of 4');
    if (documentStatus && message.location().url === page.url()) return;
    errors.push(`console error on ${page.url()}: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught exception on ${page.url()}: ${error.message}`));
  return errors;
}

/** With BROWSER_SCREENSHOTS=/some/folder set, saves a full-page screenshot there. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.BROWSER_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

// ---- Accessibility ------------------------------------------------------------------------

/** WCAG 2.0, 2.1 and 2.2 A and AA rules, and axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

let axeSource: string | undefined;
const AXE_TIME_LIMIT_MS = 30_000;

/**
 * With scripting disabled Chromium runs no timers and no queueMicrotask callbacks (promise
 * reactions still run), and axe.run waits on setTimeout(…, 0) after each rule, so it never
 * finishes. Only on such pages, where no page script runs, and before axe loads: both
 * become promise reactions. Longer timeouts (axe's time limits for frames and preloading)
 * never fire, like every other timer on the page.
 */
const PROMISE_TIMERS = `(() => {
  const soon = (callback) => { Promise.resolve().then(callback); };
  let lastId = 0;
  const cancelled = new Set();
  window.queueMicrotask = soon;
  window.setTimeout = (callback, delay, ...args) => {
    const id = ++lastId;
    if (!delay) soon(() => { if (!cancelled.delete(id)) callback(...args); });
    return id;
  };
  window.clearTimeout = (id) => { cancelled.add(id); };
})()`;

interface AxeNode {
  target: unknown[];
  html: string;
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

/** The axe-core violations on the page as it is now (axe injected without a <script>: CSP allows no inline ones). */
export async function axeViolations(page: Page, tags: string[] = AXE_TAGS): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // page.evaluate goes through the DevTools protocol: neither the CSP nor javaScriptEnabled: false stops it.
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) {
    if (scriptsDisabled.has(page.context())) await page.evaluate(PROMISE_TIMERS);
    await page.evaluate(axeSource);
  }
  // Runs in the page (the project's TypeScript has no DOM types, hence the casts).
  const run = page.evaluate((runOnly: string[]) => {
    const page = globalThis as unknown as {
      document: unknown;
      axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> };
    };
    const options = { runOnly: { type: 'tag', values: runOnly }, resultTypes: ['violations'] };
    return page.axe.run(page.document, options).then((result) => ({ violations: result.violations }));
  }, tags) as Promise<{ violations: AxeViolation[] }>;
  let timer: NodeJS.Timeout | undefined;
  const timeLimit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`axe-core did not finish within ${AXE_TIME_LIMIT_MS / 1000} s on ${page.url()}`)), AXE_TIME_LIMIT_MS);
  });
  try {
    return (await Promise.race([run, timeLimit])).violations;
  } finally {
    clearTimeout(timer);
  }
}

/** A readable list of violations: rule, impact, what to do, and each element (selector + HTML). */
export function formatViolations(url: string, title: string, violations: AxeViolation[]): string {
  const lines = [`axe-core found ${violations.length} accessibility violation(s) on ${url} ("${title}"):`];
  for (const v of violations) {
    lines.push(`  - ${v.id} [${v.impact ?? 'unknown impact'}]: ${v.help} (${v.helpUrl})`);
    for (const node of v.nodes) {
      const selector = node.target.map((part) => (Array.isArray(part) ? part.join(' >>> ') : String(part))).join(', ');
      lines.push(`      at ${selector}`);
      lines.push(`         ${node.html.replace(/\s+/g, ' ').slice(0, 200)}`);
      if (node.failureSummary) {
        lines.push(...node.failureSummary.split('\n').map((line) => `         ${line.trim()}`));
      }
    }
  }
  return lines.join('\n');
}

/** Fails the test with the list of axe-core violations, if there are any. */
export async function checkAccessibility(page: Page, tags: string[] = AXE_TAGS): Promise<void> {
  const violations = await axeViolations(page, tags);
  if (violations.length) throw new Error(formatViolations(page.url(), await page.title(), violations));
}

/**
 * Hands a supertest browser's cookies (a person signed in through the harness) to a Chromium
 * context: the same person, without driving every sign-in page again.
 */
export async function shareCookies(agent: unknown, context: BrowserContext, baseUrl: string): Promise<void> {
  const jar = (agent as { jar: { getCookies(info: unknown): { name: string; value: string }[] } }).jar;
  const { CookieAccessInfo } = require('cookiejar') as { CookieAccessInfo: { All: unknown } };
  await context.addCookies(jar.getCookies(CookieAccessInfo.All).map((c) => ({ name: c.name, value: c.value, url: baseUrl })));
}
