import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { PROJECT_ROOT } from '../src/config/paths';
import { Messages } from '../src/i18n/messages';
import { STATUS_TRANSITIONS, STEPS, TERMINAL_STATUSES, flowMarkdown, followsTable, mayMove, type StepKey } from '../src/verification/flow';
import { CASE_STATUSES } from '../src/verification/verification-case.entity';
import { VerificationController } from '../src/verification/verification.controller';
import { DocumentsController } from '../src/documents/documents.controller';
import { CallController } from '../src/video/call.controller';
import { CaseSteps } from '../src/verification/case-steps';
import { CallsService } from '../src/video/calls.service';
import { startTestApp, type TestApp } from './harness/app';
import { inContext, JITSI, newReferee, takeIntoReview } from './harness/calls';
import { applicantAtDocuments, submitDocuments, uploadAll } from './harness/documents';
import { reviewTimePhrase } from '../src/documents/review-time';
import { textOf } from './harness/forms';
import { FRENCH_DETAILS, newApplicant } from './harness/verification';

/** The lint of the flow table itself: the table is data, so it is checked as data. */
describe('the verification flow table', () => {
  const keys = new Set(STEPS.map((s) => s.key));
  const reach = (from: StepKey[], edges: (k: StepKey) => StepKey[]) => {
    const seen = new Set<StepKey>(from);
    const queue = [...from];
    while (queue.length) for (const next of edges(queue.shift()!)) if (!seen.has(next)) seen.add(next), queue.push(next);
    return seen;
  };
  const nextOf = (k: StepKey) => STEPS.find((s) => s.key === k)!.next;

  it('has unique keys and routes', () => {
    expect(keys.size).toBe(STEPS.length);
    expect(new Set(STEPS.map((s) => s.route)).size).toBe(STEPS.length);
  });

  it('leads only to steps that exist', () => {
    const missing = STEPS.flatMap((s) => s.next.filter((n) => !keys.has(n)).map((n) => `${s.key} → ${n}`));
    expect(missing).toEqual([]);
  });

  it('reaches every step from the start', () => {
    const reached = reach(['choose_method'], nextOf);
    expect(STEPS.map((s) => s.key).filter((k) => !reached.has(k))).toEqual([]);
  });

  it('can reach an end from every step, and ends only where it says so', () => {
    const ends = STEPS.filter((s) => s.end).map((s) => s.key);
    expect(ends.length).toBeGreaterThan(0);
    const stuck = STEPS.filter((s) => !ends.some((e) => reach([s.key], nextOf).has(e))).map((s) => s.key);
    expect(stuck).toEqual([]);
    expect(STEPS.filter((s) => !s.end && s.next.length === 0).map((s) => s.key)).toEqual([]);
  });

  it('has a controller route for every step (GET, and POST where it takes a form)', () => {
    const routes = new Set<string>();
    for (const controller of [VerificationController, DocumentsController, CallController] as Function[]) {
      const prefix = Reflect.getMetadata(PATH_METADATA, controller) as string;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as unknown as Record<string, object>)[name];
        const path = typeof handler === 'function' ? (Reflect.getMetadata(PATH_METADATA, handler) as string | undefined) : undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        routes.add(`${method} /${prefix}${path === '/' || path === '' ? '' : `/${path}`}`);
      }
    }
    for (const s of STEPS) {
      expect([s.key, routes.has(`GET ${s.route}`)]).toEqual([s.key, true]);
      if (s.key !== 'review_documents' && !s.end) expect([s.key, routes.has(`POST ${s.route}`)]).toEqual([s.key, true]);
    }
  });

  it('names an audit event for every step, and the international link on exactly the four screens of the product', () => {
    expect(STEPS.filter((s) => !/^verification\.[a-z_]+$/.test(s.audit)).map((s) => s.key)).toEqual([]);
    const english = new Messages();
    expect(STEPS.filter((s) => s.escape).map((s) => [s.key, english.text('en', s.escape!.label)])).toEqual([
      ['choose_method', "I don't live in the United States"],
      ['us_phone', "I don't have a US Phone Number"],
      ['us_address', "I don't have a US address"],
      ['us_ssn', "I don't have a Social Security Number"],
    ]);
  });

  it('has status transitions between real statuses, every one reachable from started and able to finish', () => {
    const statuses = new Set<string>(CASE_STATUSES);
    expect(STATUS_TRANSITIONS.flat().filter((s) => !statuses.has(s))).toEqual([]);
    expect(STEPS.flatMap((s) => s.status).filter((s) => !statuses.has(s))).toEqual([]);
    type S = (typeof CASE_STATUSES)[number];
    const after = (s: S) => STATUS_TRANSITIONS.filter(([from]) => from === s).map(([, to]) => to);
    const reachable = (from: S) => {
      const seen = new Set<S>([from]);
      const queue = [from];
      while (queue.length) for (const n of after(queue.shift()!)) if (!seen.has(n)) seen.add(n), queue.push(n);
      return seen;
    };
    expect(CASE_STATUSES.filter((s) => !reachable('started').has(s))).toEqual([]);
    expect(CASE_STATUSES.filter((s) => !TERMINAL_STATUSES.some((t) => reachable(s).has(t)))).toEqual([]);
    expect(TERMINAL_STATUSES.flatMap(after)).toEqual([]);
  });

  it('covers the whole lifecycle: every status but Save & Exit belongs to a step, and every status change follows the steps\' next', () => {
    const covered = new Set(STEPS.flatMap((s) => s.status));
    expect(CASE_STATUSES.filter((s) => s !== 'abandoned' && !covered.has(s))).toEqual([]);
    expect(STATUS_TRANSITIONS.filter(([from, to]) => !followsTable(from, to))).toEqual([]);
  });

  it('refuses at run time a status change that skips a step or is no transition', () => {
    expect(mayMove('in_review', 'approved')).toBe(true);
    expect(followsTable('documents_chosen', 'approved')).toBe(false); // past the review
    expect(mayMove('started', 'approved')).toBe(false);
    expect(mayMove('approved', 'in_call')).toBe(false); // along next, but only from the queue or an appointment
    expect(mayMove('verified', 'abandoned')).toBe(false);
  });

  it('moves the tracker forward only: its stage never decreases in the order of the table', () => {
    const stages = STEPS.filter((s) => s.tracker).map((s) => [s.key, s.tracker!] as const);
    expect(stages.filter(([, stage], i) => i > 0 && stage < stages[i - 1][1])).toEqual([]);
    expect(STEPS.filter((s) => !s.end && !s.tracker && s.owner !== 'verification').map((s) => s.key)).toEqual([]);
  });

  it('names every step in every language', () => {
    const messages = new Messages();
    for (const language of ['en', 'es', 'fr', 'ar'] as const) {
      expect(STEPS.filter((s) => !messages.has(s.title, language)).map((s) => s.key)).toEqual([]);
    }
  });

  it('is drawn in docs/verification-flow.md as it is now (npm run flow-diagram)', () => {
    expect(readFileSync(join(PROJECT_ROOT, 'docs/verification-flow.md'), 'utf8')).toBe(flowMarkdown());
  });
});

describe('the tracker along the journey', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(JITSI);
  });
  afterAll(() => t?.close());

  /** The tracker's current stage on a page, or null when the page has no tracker. */
  const stageOn = (html: string) => {
    const found = /usa-step-indicator__current-step">\s*(\d+)\s*</.exec(html);
    return found ? Number(found[1]) : null;
  };

  it('never goes back: each page of the journey shows the stage of the page before or a later one', async () => {
    const a = await newApplicant(t, 'tracker');
    const seen: [string, number | null][] = [];
    const look = async (path: string) => {
      const page = await a.browser.get(path);
      expect([path, page.status]).toEqual([path, 200]);
      seen.push([path, stageOn(page.text)]);
    };
    const go = async (path: string, fields: Record<string, string>) => {
      const res = await a.post(path, fields);
      expect([path, res.status]).toEqual([path, 303]);
      await look(res.headers.location);
    };
    await look('/verify/how');
    await go('/verify/international', { from: 'choose_method' });
    await go('/verify/video-call', {});
    await go('/verify/details', FRENCH_DETAILS);
    await look('/verify/no-ssn-or-itin');
    await go('/verify/no-ssn-or-itin', {});
    await go('/verify/documents/primary', { document: 'foreign_passport' });
    await go('/verify/documents/primary/check', { original: 'yes', nameMatches: 'yes', unexpired: 'yes' });
    await go('/verify/documents/second', { document: 'utility_bill' });
    await go('/verify/documents/second/check', { nameMatches: 'yes', recent: 'yes' });
    await look('/documents');
    await uploadAll(a);
    const sent = await submitDocuments(a);
    expect(sent.status).toBe(303);
    await look(sent.headers.location);

    // A reviewer takes the documents, then approves them (the documents module's own moves).
    const caseId: string = (await a.row()).id;
    const steps = t.app.get(CaseSteps);
    await takeIntoReview(t, caseId);
    await look('/documents/review');
    await inContext(t, () => steps.markDocumentsApproved(caseId));
    await look('/documents/review');
    await look('/call');
    await go('/call', {});
    await look('/call/preferences');
    await look('/call/schedule');
    const referee = await newReferee(t, 'tracker-referee', false);
    expect(await inContext(t, () => t.app.get(CallsService).next(referee.accountId))).toMatchObject({ status: 'active' });
    await look('/call/join');

    const stages = seen.filter(([, stage]) => stage !== null);
    expect(stages.filter(([, stage], i) => i > 0 && stage! < stages[i - 1][1]!)).toEqual([]);
    expect([...new Set(stages.map(([, stage]) => stage))]).toEqual([1, 2, 3, 4]);
    expect(seen.slice(-6).map(([, stage]) => stage)).toEqual([4, 4, 4, 4, 4, 4]); // approved on the hold page, then every call page
  });

  it('the hold page says how long a review usually takes while it waits, and what comes next once approved', async () => {
    const a = await applicantAtDocuments(t, 'hold');
    await uploadAll(a);
    expect((await submitDocuments(a)).status).toBe(303);
    const waiting = await a.browser.get('/documents/review');
    expect(waiting.text).toContain('<h1>Hold for document review</h1>');
    expect(waiting.text).toContain('Most reviews end within 1 business day.'); // too few reviews measured yet
    expect(waiting.text).not.toContain('/call/schedule'); // no booking before approval: the link only led back here

    const caseId: string = (await a.row()).id;
    const steps = t.app.get(CaseSteps);
    await takeIntoReview(t, caseId);
    await inContext(t, () => steps.markDocumentsApproved(caseId));
    const approved = await a.browser.get('/documents/review');
    expect(textOf(approved.text, 'review-status')).toContain('Your documents were approved');
    expect(approved.text).toContain('<h1>Next: your video call</h1>');
    expect(stageOn(approved.text)).toBe(4);
    expect(approved.text).not.toContain('Most reviews end');
    expect(approved.text).not.toContain('Check again');
    expect(approved.text).not.toContain('While you wait');
  });

  it('gives the median review time of the last 30 days, rounded as a person would say it', () => {
    const english = new Messages();
    const say = (seconds: number | null, decided: number) => english.text('en', reviewTimePhrase(seconds, decided));
    expect(say(null, 0)).toBe('Most reviews end within 1 business day.');
    expect(say(7200, 4)).toBe('Most reviews end within 1 business day.');
    expect(say(17 * 60, 12)).toBe('Over the last 30 days, half of all reviews were done within about 20 minutes.');
    expect(say(2.4 * 3600, 12)).toBe('Over the last 30 days, half of all reviews were done within about 2 hours.');
    expect(say(50 * 3600, 12)).toBe('Over the last 30 days, half of all reviews were done within about 2 days.');
  });
});
