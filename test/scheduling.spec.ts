import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { Messages } from '../src/i18n/messages';
import { estimateWait, waitPhrase, expectedWaitSeconds, readyWindowOpen, relativeSpread } from '../src/scheduling/estimate';
import { QueueService } from '../src/scheduling/queue.service';
import { CallsService } from '../src/video/calls.service';
import { startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { approvedApplicant, inContext, newReferee } from './harness/calls';
import { emailCount } from './harness/outbox';

describe('the estimated wait (pure)', () => {
  const base = { fallbackHandleSeconds: 20 * 60 };
  const english = new Messages();
  const describeWait = (estimate: Parameters<typeof waitPhrase>[0]) => english.text('en', waitPhrase(estimate));

  it('is (n + 1)·h / s', () => {
    expect(expectedWaitSeconds({ ...base, ahead: 3, agentsOnDuty: 2, handleTimes: [600, 600, 600] })).toBe((4 * 600) / 2);
    expect(expectedWaitSeconds({ ...base, ahead: 0, agentsOnDuty: 1, handleTimes: [] })).toBe(1200); // the slot length until calls are measured
    expect(expectedWaitSeconds({ ...base, ahead: 1, agentsOnDuty: 3, agentsAvailable: 2, handleTimes: [600] })).toBe(0); // a free agent for everyone ahead and you
  });

  it("says it can't estimate when no agent is on duty, rather than making a number up", () => {
    const e = estimateWait({ ...base, ahead: 2, agentsOnDuty: 0, handleTimes: [600] });
    expect(e).toEqual({ kind: 'unknown' });
    expect(describeWait(e)).toBe('No Trusted Referee is available now');
  });

  it('is a range, wide with little data or a short queue, narrower with more', () => {
    const thin = estimateWait({ ...base, ahead: 1, agentsOnDuty: 1, handleTimes: [900] });
    const rich = estimateWait({ ...base, ahead: 20, agentsOnDuty: 5, handleTimes: Array(40).fill(900) });
    if (thin.kind !== 'range' || rich.kind !== 'range') throw new Error('expected ranges');
    expect(describeWait(thin)).toMatch(/^About \d+–\d+ minutes$/);
    expect(thin.lowMinutes).toBeLessThanOrEqual(30 * (1 - 0.3));
    expect((rich.highMinutes - rich.lowMinutes) / (rich.expectedSeconds / 60)).toBeLessThan((thin.highMinutes - thin.lowMinutes) / (thin.expectedSeconds / 60));
    expect(relativeSpread(0, 0)).toBe(0.75);
    expect(relativeSpread(99, 50)).toBe(0.15);
  });

  it("words the estimate in the reader's language, with its plural forms", () => {
    const messages = new Messages();
    const soon = waitPhrase(estimateWait({ ...base, ahead: 0, agentsOnDuty: 4, handleTimes: [600] }));
    expect(messages.text('es', soon)).toBe('Menos de 5 minutos');
    expect(messages.text('fr', waitPhrase({ kind: 'unknown' }))).toBe('Aucun Trusted Referee n’est disponible pour le moment');
    const range = waitPhrase({ kind: 'range', expectedSeconds: 900, lowMinutes: 10, highMinutes: 20 });
    expect(messages.text('en', range)).toBe('About 10–20 minutes');
    expect(messages.text('es', range)).toBe('Unos 10–20 minutos');
    expect(messages.text('fr', range)).toBe('Environ 10 à 20 minutes');
    // Arabic counts 3–10 with a plural noun and 11 and up with a singular one.
    const arabic = (low: number, high: number) => messages.text('ar', waitPhrase({ kind: 'range', expectedSeconds: high * 60, lowMinutes: low, highMinutes: high }));
    expect(arabic(5, 10)).toContain('دقائق');
    expect(arabic(10, 15)).toContain('دقيقة');
    expect(arabic(10, 15)).not.toContain('دقائق');
    const hours = waitPhrase({ kind: 'range', expectedSeconds: 7200, lowMinutes: 90, highMinutes: 150 });
    expect(messages.text('en', hours)).toBe('About 1.5–2.5 hours');
    expect(messages.text('fr', hours)).toBe('Environ 1,5 à 2,5 heures');
  });

  it("writes the agents' estimate as a whole sentence in each language (no phrase for the queue page dropped mid-sentence)", () => {
    const messages = new Messages();
    const agents = (estimate: Parameters<typeof waitPhrase>[0], language: 'en' | 'es' | 'fr' | 'ar') => messages.text(language, waitPhrase(estimate, 'agent.calls.nextWait'));
    const soon = estimateWait({ ...base, ahead: 0, agentsOnDuty: 4, handleTimes: [600] });
    expect(agents(soon, 'en')).toBe('The next applicant in line would wait less than 5 minutes.');
    expect(agents(soon, 'es')).toBe('El siguiente solicitante de la fila esperaría menos de 5 minutos.');
    expect(agents(soon, 'fr')).toBe('Le prochain demandeur de la file attendrait moins de 5 minutes.');
    expect(agents({ kind: 'range', expectedSeconds: 900, lowMinutes: 10, highMinutes: 20 }, 'en')).toBe('The next applicant in line would wait about 10–20 minutes.');
    expect(agents({ kind: 'range', expectedSeconds: 900, lowMinutes: 5, highMinutes: 10 }, 'ar')).toContain('دقائق');
    expect(agents({ kind: 'unknown' }, 'en')).toBe('No Trusted Referee is on duty, so the next applicant in line has no estimated wait.');
  });

  it('says "less than 5 minutes" and hours when they apply; opens the ready window 15 minutes before', () => {
    expect(describeWait(estimateWait({ ...base, ahead: 0, agentsOnDuty: 4, handleTimes: [600] }))).toBe('Less than 5 minutes');
    expect(describeWait(estimateWait({ ...base, ahead: 30, agentsOnDuty: 2, handleTimes: Array(20).fill(1200) }))).toMatch(/^About [\d.]+–[\d.]+ hours$/);
    expect(readyWindowOpen(estimateWait({ ...base, ahead: 0, agentsOnDuty: 2, handleTimes: Array(20).fill(1200) }))).toBe(true);
    expect(readyWindowOpen(estimateWait({ ...base, ahead: 9, agentsOnDuty: 1, handleTimes: Array(20).fill(1200) }))).toBe(false);
    // Nobody on duty: no turn is close, not even at the head of the queue.
    expect(readyWindowOpen({ kind: 'unknown' })).toBe(false);
  });
});

describe('the queue', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('Save & Exit loses the place and keeps the approval; joining again works', async () => {
    const a = await approvedApplicant(t, 'leaver');
    await a.post('/call');
    expect((await a.row()).status).toBe('queued');
    const left = await a.post('/call/leave');
    expect(left.headers.location).toBe('/call?left=1');
    expect((await a.row()).status).toBe('approved');
    expect((await a.browser.get('/call?left=1')).text).toContain('Your documents and their approval are kept');
    await a.post('/call');
    expect((await a.row()).status).toBe('queued');
    const entries = await t.db.sql.query('select status from queue_entry where verification_case_id = $1 order by joined_at', [a.caseId]);
    expect(entries.rows.map((r) => r.status)).toEqual(['left', 'waiting']);
  });

  it('a page not seen for 60 minutes gives up its place, once, with one email, even with two instances running the job', async () => {
    const a = await approvedApplicant(t, 'sleeper');
    await a.post('/call');
    await t.db.sql.query(`update queue_entry set last_seen_at = now() - interval '61 minutes' where verification_case_id = $1`, [a.caseId]);
    const before = await emailCount(t.db.sql, a.person.email);
    const other = await startAnotherInstance(t);
    try {
      const [one, two] = await Promise.all([t.app.get(QueueService).expireStale(), other.app.get(QueueService).expireStale()]);
      expect(one + two).toBe(1);
      expect(await t.app.get(QueueService).expireStale()).toBe(0);
    } finally {
      await other.close();
    }
    expect((await a.row()).status).toBe('approved');
    expect(await emailCount(t.db.sql, a.person.email)).toBe(before + 1);
    const page = await a.browser.get('/call');
    expect(page.text).toContain('Your documents are approved');
  });

  it('says only what is true at the head of the queue: with nobody on duty, no "your turn is close" but an appointment; with a referee, the turn', async () => {
    await t.db.sql.query(`update agent_status set status = 'away'`); // nobody on duty
    const a = await approvedApplicant(t, 'head');
    await t.db.sql.query(`update queue_entry set status = 'left' where status = 'waiting'`);
    await a.post('/call');
    const alone = await a.browser.get('/call');
    expect(alone.text).toContain('data-wait-summary');
    expect(alone.text).toMatch(/<dd data-position>1<\/dd>/);
    expect(alone.text).toContain('<dd data-wait>No Trusted Referee is available now</dd>');
    expect(alone.text).not.toContain('Your turn is close');
    expect(alone.text).not.toContain('action="/call/ready"');
    expect(alone.text).toContain('data-no-referee');
    expect(alone.text).toContain('<a class="usa-button" href="/call/schedule">Schedule an appointment</a>');
    // The page refreshes its facts with htmx, in the attribute form that is valid HTML.
    expect(alone.text).toContain('data-hx-get="/call"');
    expect(alone.text).not.toMatch(/\shx-get=/);

    // A Trusted Referee comes on duty: now the turn is close, and the page says so.
    const referee = await newReferee(t, 'on-duty', false);
    await inContext(t, () => t.app.get(QueueService).setAgentStatus(referee.accountId, 'available'));
    const withReferee = await a.browser.get('/call');
    expect(withReferee.text).toContain('<dd data-wait>Less than 5 minutes</dd>');
    expect(withReferee.text).toContain('Your turn is close');
    expect(withReferee.text).not.toContain('data-no-referee');
    await inContext(t, () => t.app.get(QueueService).setAgentStatus(referee.accountId, 'away'));
    await a.post('/call/leave');
  });

  it('shows the queue in Arabic (right to left) and Spanish, the call language named in the reader’s language', async () => {
    const a = await approvedApplicant(t, 'languages');
    const approved = await a.browser.get('/call').set('Accept-Language', 'es');
    expect(approved.text).toContain('<h1>Sus documentos están aprobados</h1>');
    expect(approved.text).toContain('Esperar al próximo Trusted Referee');
    await a.post('/call');
    const arabic = await a.browser.get('/call').set('Accept-Language', 'ar');
    expect(arabic.text).toContain('<html lang="ar" dir="rtl">');
    expect(arabic.text).toContain('<h1>أنت في قائمة الانتظار</h1>');
    expect(arabic.text).toContain('<dt>ترتيبك في قائمة الانتظار</dt>');
    expect(arabic.text).toMatch(/<dd data-wait>(لا يوجد Trusted Referee متاح الآن|أقل من 5 دقائق|من )/);
    expect(arabic.text).toContain('<strong data-language>الإنجليزية</strong>');
    expect(arabic.text).toContain('aria-label="التحقق من الهوية في مكالمة فيديو"'); // the progress indicator
    const spanish = await a.browser.get('/call').set('Accept-Language', 'es');
    expect(spanish.text).toContain('<h1>Está en la cola</h1>');
    expect(spanish.text).toContain('<dt>Espera estimada</dt>');
    expect(spanish.text).toContain('Idioma de la llamada: <strong data-language>inglés</strong>.');
    expect(spanish.text).toContain('Si se cierra durante 60 minutos, perderá su lugar');
    expect(spanish.text).not.toMatch(/You are in the queue|Estimated wait/);
    await a.post('/call/leave');
  });

  it('20 agents pressing "Next applicant" at once never get the same applicant; the oldest are taken first', async () => {
    await t.db.sql.query(`update queue_entry set status = 'left' where status = 'waiting'`); // the tests above leave no one behind
    const applicants = [];
    for (let i = 0; i < 22; i++) applicants.push(await approvedApplicant(t, `q${i}`));
    for (const a of applicants) await a.post('/call');
    const agents: { accountId: string }[] = [];
    for (let i = 0; i < 20; i++) agents.push(await newReferee(t, `agent${i}`, false));
    const orm = t.app.get(MikroORM);
    const calls = t.app.get(CallsService);
    const results = await Promise.all(agents.map((g) => RequestContext.create(orm.em, () => calls.next(g.accountId))));
    const cases = results.map((r) => (r && typeof r === 'object' ? r.verificationCase.id : String(r)));
    expect(new Set(cases).size).toBe(20);
    const claimed = await t.db.sql.query(`select verification_case_id, claimed_by from queue_entry where status = 'claimed'`);
    expect(claimed.rows).toHaveLength(20);
    expect(new Set(claimed.rows.map((r) => r.claimed_by)).size).toBe(20);
    // The two who joined last are still waiting.
    const waiting = await t.db.sql.query(`select verification_case_id from queue_entry where status = 'waiting' order by joined_at`);
    expect(waiting.rows.map((r) => r.verification_case_id)).toEqual(applicants.slice(20).map((a) => a.caseId));
    // Pressing again (a double click) gives the agent the call they already have.
    const again = await inContext(t, () => calls.next(agents[0].accountId));
    expect(again && typeof again === 'object' && again.id).toBe(results[0] && typeof results[0] === 'object' && results[0].id);
  }, 120_000);
});
