/**
 * Walks the stops of test/tour/stops.ts in Chromium: each stop as its person, in each
 * language and width, with the checks of test/tour/checks.ts run on what is shown. Used by
 * `npm run tour` (which also photographs each page) and by what-people-see.spec.ts.
 */
import type { BrowserContext, Page, Route } from 'playwright-core';
import type { TestApp } from '../harness/app';
import { shareCookies } from '../browser/browser';
import { PAGE_CHECKS, type Finding, type PageReport } from './checks';
import { tourStates } from './states';
import type { Jitsi, Stop } from './stops';

/** A stand-in for Jitsi's external_api.js at the network edge: it puts the room's iframe where the page asks. */
const EXTERNAL_API_DOUBLE = `
window.JitsiMeetExternalAPI = function (domain, options) {
  var frame = document.createElement('iframe');
  frame.title = 'Video call';
  frame.src = 'https://' + domain + '/' + options.roomName;
  frame.style.width = '100%'; frame.style.height = '100%'; frame.style.border = '0';
  options.parentNode.appendChild(frame);
  this.addListener = function () {};
  this.dispose = function () {};
  this.executeCommand = function () {};
};
`;
const ROOM = '<!doctype html><title>Video call</title><body style="margin:0;background:#1b1b1b;color:#fff;font:16px sans-serif;display:grid;place-items:center;height:100vh"><p>Video</p>';

export interface Visit {
  stop: Stop;
  language: string;
  width: number;
  /** The address the page ended on. */
  landed: string;
  report: PageReport;
  page: Page;
}

export interface TourOptions {
  t: TestApp;
  baseUrl: string;
  context: BrowserContext;
  stops: Stop[];
  languages: readonly string[];
  widths: readonly number[];
  /** Called with the page as it is shown, after the checks (the tour photographs it). */
  onVisit?: (visit: Visit) => Promise<void>;
  /** Told how long each stop's person took to build and its pages to visit. */
  progress?: (line: string) => void;
}

export interface Violation extends Finding {
  stop: string;
  language: string;
  width: number;
}

const HEIGHT = { 1280: 900, 390: 844 } as Record<number, number>;

/**
 * A walk along the stops: `visit(stop)` shows one stop in every language and width and keeps
 * what it finds in `violations` (one list for the whole walk), the tracker's step along the journey included.
 */
export async function tourWalk(options: Omit<TourOptions, 'stops'>): Promise<{ visit(stop: Stop): Promise<void>; violations: Violation[] }> {
  const { t, baseUrl, context, onVisit } = options;
  const states = tourStates(t);
  const violations: Violation[] = [];
  let jitsi: Jitsi = 'loaded';
  let held: Route[] = [];
  await context.route('https://jitsi.test/**', async (route) => {
    if (jitsi === 'failed') return route.abort('connectionrefused');
    if (jitsi === 'loading') return void held.push(route);
    const script = route.request().url().endsWith('/external_api.js');
    await route.fulfill(script ? { status: 200, contentType: 'application/javascript', body: EXTERNAL_API_DOUBLE } : { status: 200, contentType: 'text/html', body: ROOM });
  });
  await context.route(/meet\.jit\.si/, (route) => route.abort());
  // The tracker's last step along the journey, per language and width.
  const lastStep = new Map<string, { stop: string; step: number }>();

  const visit = async (stop: Stop) => {
    const building = Date.now();
    const person = await states(stop.as);
    const visiting = Date.now();
    const path = typeof stop.path === 'function' ? stop.path(person) : stop.path;
    const page = await context.newPage();
    try {
      for (const language of options.languages) {
        // One load per language; each width is the same page laid out again (a phone turned, a window narrowed).
        const [firstWidth, ...otherWidths] = options.widths;
        jitsi = stop.jitsi ?? 'loaded';
        try {
          await context.clearCookies();
          if (person.agent) await shareCookies(person.agent, context, baseUrl);
          await context.setExtraHTTPHeaders({ 'Accept-Language': language });
          await page.setViewportSize({ width: firstWidth, height: HEIGHT[firstWidth] ?? 900 });
          if (jitsi === 'loading') {
            // The page as it is while Jitsi's script has not answered: everything before that script is there.
            await page.goto(`${baseUrl}${path}`, { waitUntil: 'commit' });
            await page.waitForSelector('script[src$="/external_api.js"]', { state: 'attached' });
          } else {
            await page.goto(`${baseUrl}${path}`);
          }
          if (stop.act) await stop.act(page);
          if (stop.jitsi === 'loaded') await page.waitForSelector('#jitsi-call iframe', { timeout: 10_000 }).catch(() => undefined);
        } catch (error) {
          for (const width of options.widths) violations.push({ stop: stop.name, language, width, what: 'could not be shown', where: path, text: String((error as Error).message).split('\n')[0].slice(0, 200) });
          continue;
        }
        for (const width of [firstWidth, ...otherWidths]) {
          const at = { stop: stop.name, language, width };
          if (width !== firstWidth) await page.setViewportSize({ width, height: HEIGHT[width] ?? 900 });
          const report = (await page.evaluate(PAGE_CHECKS)) as PageReport;
          for (const finding of report.findings) violations.push({ ...at, ...finding });
          if (stop.journey && report.trackerStep !== null) {
            const key = `${language}/${width}`;
            const before = lastStep.get(key);
            if (before && report.trackerStep < before.step) {
              violations.push({ ...at, what: `progress tracker went back to step ${report.trackerStep} (step ${before.step} at ${before.stop})`, where: '.usa-step-indicator', text: '' });
            }
            lastStep.set(key, { stop: stop.name, step: Math.max(report.trackerStep, before?.step ?? 0) });
          }
          await onVisit?.({ stop, language, width, landed: new URL(page.url()).pathname, report, page });
        }
        for (const route of held) await route.abort().catch(() => undefined);
        held = [];
      }
    } finally {
      await page.close();
      options.progress?.(`${stop.name}: ${stop.as} ready in ${visiting - building} ms, visited in ${Date.now() - visiting} ms`);
    }
  };
  return { visit, violations };
}

/** Visits every stop in every language and width; answers every violation found, in one list. */
export async function tour(options: TourOptions): Promise<Violation[]> {
  const walk = await tourWalk(options);
  for (const stop of options.stops) await walk.visit(stop);
  return walk.violations;
}

/** One readable list: stop, language, width, what, where, and the text. */
export function formatViolations(violations: Violation[]): string {
  return violations.map((v) => `${v.stop} [${v.language} ${v.width}px] ${v.what} at ${v.where}${v.text ? `: "${v.text}"` : ''}`).join('\n');
}
