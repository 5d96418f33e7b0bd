/**
 * The tour: every page a person meets, in the order of the journey, each in the state that
 * matters. `npm run tour` photographs each stop (tour/<lang>/<width>/<name>.png) and
 * test/browser/what-people-see.spec.ts checks each one; both read this one list.
 *
 * A stop is a person (a state of test/tour/states.ts, built once), an address, and what that
 * person does there before we look (submit the form empty, follow a button).
 */
import type { Page } from 'playwright-core';
import type { Person, StateName } from './states';

export type Jitsi = 'loaded' | 'loading' | 'failed';

export interface Stop {
  /** Stable file name: number, then what it shows. */
  name: string;
  as: StateName;
  /** Where to go (an address, or one the state made). */
  path: string | ((person: Person) => string);
  /** What the person does on the page before we look at it. */
  act?: (page: Page) => Promise<void>;
  /** The Jitsi script at the network edge: answered by the test double (default), never answered, or failed. */
  jitsi?: Jitsi;
  /** A step of the applicant's journey: its progress tracker must never go back along this order. */
  journey?: boolean;
}

/** Sends the form that posts to `action` as it is (nothing filled in), with its own main button (not Save & Exit). */
export const submitEmpty = (action: string) => async (page: Page) => {
  const target = page.locator(`main form[action="${action}"] [type="submit"]:not([form])`).last();
  await Promise.all([page.waitForEvent('load'), target.click()]);
};

/** The demo organization's "Verify with Referee" button, followed to wherever Referee takes the person. */
const throughDemo = (allow = false) => async (page: Page) => {
  await Promise.all([page.waitForEvent('load'), page.locator('main a[href*="/demo/login"], main a[href*="login"]').first().click()]);
  if (allow && (await page.locator('main button[value="allow"], main button[name="allow"], main form button[type="submit"]').count())) {
    await Promise.all([page.waitForURL(/\/demo\/callback/), page.locator('main form button[type="submit"]').first().click()]);
    await page.waitForLoadState('load');
  }
};

let signUps = 0;
/** A new address each time: the sign-up succeeds and shows "Check your email". */
const signUp = async (page: Page) => {
  await page.locator('input[name="email"]').fill(`tour.sign-up.${Date.now()}.${++signUps}@example.org`);
  await page.locator('input[name="password"]').fill('correct horse battery staple 42');
  await submitEmpty('/sign-up')(page);
};

export const STOPS: Stop[] = [
  // The applicant: from the organization's button through sign-up and the second factor.
  { name: '000-demo-organization', as: 'nobody', path: '/demo' },
  { name: '005-sign-in-from-organization', as: 'nobody', path: '/demo', act: throughDemo() },
  { name: '010-sign-up', as: 'nobody', path: '/sign-up' },
  { name: '011-sign-up-errors', as: 'nobody', path: '/sign-up', act: submitEmpty('/sign-up') },
  { name: '012-check-email', as: 'nobody', path: '/sign-up', act: signUp },
  { name: '015-sign-in', as: 'nobody', path: '/sign-in' },
  { name: '016-sign-in-errors', as: 'nobody', path: '/sign-in', act: submitEmpty('/sign-in') },
  { name: '020-second-factor-choose', as: 'password-only', path: '/mfa/setup' },
  { name: '021-second-factor-app', as: 'password-only', path: '/mfa/setup/totp' },
  { name: '022-second-factor-app-errors', as: 'password-only', path: '/mfa/setup/totp', act: submitEmpty('/mfa/setup/totp') },
  { name: '023-second-factor-phone', as: 'password-only', path: '/mfa/setup/phone' },
  { name: '025-second-factor-challenge', as: 'second-factor', path: '/mfa/challenge' },
  { name: '026-second-factor-challenge-errors', as: 'second-factor', path: '/mfa/challenge', act: submitEmpty('/mfa/challenge/totp') },
  // Verifying: details, documents, hold, approval, queue, schedule, call, verified.
  { name: '030-verify-start', as: 'new-applicant', path: '/verify', journey: true },
  { name: '035-verify-organization-asks', as: 'new-applicant', path: '/demo', act: throughDemo() },
  { name: '040-details', as: 'at-details', path: '/verify/details', journey: true },
  { name: '041-details-errors', as: 'at-details', path: '/verify/details', act: submitEmpty('/verify/details'), journey: true },
  { name: '045-details-filled', as: 'details-done', path: '/verify/details', journey: true },
  { name: '046-ssn-or-itin', as: 'details-done', path: '/verify', journey: true },
  { name: '050-documents', as: 'at-documents', path: '/documents', journey: true },
  { name: '051-documents-errors', as: 'at-documents', path: '/documents', act: submitEmpty('/documents'), journey: true },
  { name: '060-hold', as: 'on-hold', path: '/documents/review', journey: true },
  { name: '065-approval', as: 'approved', path: '/documents/review', journey: true },
  { name: '070-call-choice', as: 'approved', path: '/call', journey: true },
  { name: '072-call-preferences', as: 'approved', path: '/call/preferences', journey: true },
  { name: '075-schedule', as: 'approved', path: '/call/schedule', journey: true },
  { name: '080-queue', as: 'queued', path: '/call', journey: true },
  { name: '090-call-join', as: 'taken', path: '/call/join', journey: true },
  { name: '091-call-join-errors', as: 'taken', path: '/call/join', act: submitEmpty('/call/join'), journey: true },
  { name: '092-call-video-loading', as: 'on-call', path: '/call/join', jitsi: 'loading', journey: true },
  { name: '093-call-video-failed', as: 'on-call', path: '/call/join', jitsi: 'failed', journey: true },
  { name: '094-call-video-loaded', as: 'on-call', path: '/call/join', jitsi: 'loaded', journey: true },
  { name: '100-verified', as: 'verified', path: '/call/verified', journey: true },
  // Back to the organization, and consent.
  { name: '110-organization-consent', as: 'verified', path: '/demo', act: throughDemo() },
  { name: '115-organization-claims', as: 'verified', path: '/demo', act: throughDemo(true) },
  { name: '120-account', as: 'verified', path: '/account' },
  { name: '121-account-organizations', as: 'verified', path: '/account/organizations' },
  { name: '125-second-factor-methods', as: 'verified', path: '/mfa/methods' },
  { name: '126-privacy-center', as: 'verified', path: '/account/privacy' },
  { name: '127-privacy-access', as: 'verified', path: '/account/privacy/access' },
  { name: '128-privacy-confirm', as: 'verified', path: '/account/confirm?next=%2Faccount%2Fprivacy%2Fdownload' },
  { name: '129-privacy-confirm-errors', as: 'verified', path: '/account/confirm?next=%2Faccount%2Fprivacy%2Fdownload', act: submitEmpty('/account/confirm') },
  { name: '130-help', as: 'verified', path: '/help' },
  { name: '131-contact-support', as: 'verified', path: '/support' },
  { name: '132-contact-support-errors', as: 'verified', path: '/support', act: submitEmpty('/support') },
  { name: '133-report-fraud', as: 'verified', path: '/help/report-fraud' },
  { name: '134-policies', as: 'nobody', path: '/policies' },
  // Staff: reviewer, Trusted Referee, support, supervisor, admin.
  { name: '200-reviewer-queue', as: 'reviewer', path: '/agent/review' },
  { name: '205-reviewer-case', as: 'reviewer', path: (p) => p.paths.case },
  { name: '210-referee-queue', as: 'referee', path: '/agent/calls' },
  { name: '211-referee-shifts', as: 'referee', path: '/agent/calls/schedule' },
  { name: '215-referee-console', as: 'referee', path: (p) => p.paths.console, jitsi: 'loaded' },
  { name: '220-support-queue', as: 'support', path: '/agent/support' },
  { name: '225-support-request', as: 'support', path: (p) => p.paths.request },
  { name: '230-supervisor', as: 'supervisor', path: '/supervisor' },
  { name: '231-supervisor-review', as: 'supervisor', path: (p) => p.paths.review },
  { name: '232-supervisor-call', as: 'supervisor', path: (p) => p.paths.call, jitsi: 'loaded' },
  { name: '235-supervisor-audit', as: 'supervisor', path: '/supervisor/audit' },
  { name: '236-supervisor-fraud-reports', as: 'supervisor', path: '/supervisor/fraud-reports' },
  { name: '240-admin-staff', as: 'admin', path: '/admin/staff' },
  { name: '241-admin-staff-errors', as: 'admin', path: '/admin/staff', act: submitEmpty('/admin/staff') },
  { name: '245-admin-organizations', as: 'admin', path: '/admin/organizations' },
  { name: '246-admin-organization', as: 'admin', path: (p) => p.paths.organization },
];

export const LANGUAGES = ['en', 'es', 'fr', 'ar'] as const;
export const WIDTHS = [1280, 390] as const;

/** TOUR_ONLY=call,queue keeps the stops whose name contains one of the words; TOUR_LANGS=en,ar and TOUR_WIDTHS=390 narrow the rest. */
export function selected(env = process.env) {
  const words = env.TOUR_ONLY?.split(',').map((w) => w.trim()).filter(Boolean);
  const langs = env.TOUR_LANGS?.split(',').map((w) => w.trim());
  const widths = env.TOUR_WIDTHS?.split(',').map((w) => Number(w.trim()));
  return {
    stops: words?.length ? STOPS.filter((s) => words.some((w) => s.name.includes(w))) : STOPS,
    languages: langs ? LANGUAGES.filter((l) => langs.includes(l)) : [...LANGUAGES],
    widths: widths ? WIDTHS.filter((w) => widths.includes(w)) : [...WIDTHS],
  };
}
