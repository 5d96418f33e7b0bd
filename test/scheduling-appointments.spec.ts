import { AppointmentsService } from '../src/scheduling/appointments.service';
import { appointmentIcs } from '../src/scheduling/ics';
import { formatDate } from '../src/i18n/formats';
import { isTimeZone, offsetMinutes, zonedToUtc } from '../src/scheduling/time-zones';
import { CallsService } from '../src/video/calls.service';
import { startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { approvedApplicant, inContext, newReferee } from './harness/calls';
import { csrfOf } from './harness/forms';
import { emailCount, lastEmailTo, messagesTo } from './harness/outbox';

describe('time zones (IANA names, UTC stored, Intl to show)', () => {
  it('knows the zones and their offsets across a DST change', () => {
    expect(isTimeZone('Asia/Tokyo')).toBe(true);
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(offsetMinutes(new Date('2026-03-07T12:00:00Z'), 'America/New_York')).toBe(-300);
    expect(offsetMinutes(new Date('2026-03-09T12:00:00Z'), 'America/New_York')).toBe(-240);
    expect(offsetMinutes(new Date('2026-03-09T12:00:00Z'), 'Asia/Tokyo')).toBe(540);
  });

  it('turns wall-clock times into instants: 9:00 in New York is 14:00Z before the change and 13:00Z after; skipped times do not exist', () => {
    expect(zonedToUtc(2026, 3, 7, 9, 0, 'America/New_York')!.toISOString()).toBe('2026-03-07T14:00:00.000Z');
    expect(zonedToUtc(2026, 3, 9, 9, 0, 'America/New_York')!.toISOString()).toBe('2026-03-09T13:00:00.000Z');
    expect(zonedToUtc(2026, 3, 8, 2, 30, 'America/New_York')).toBeUndefined(); // spring forward
    expect(zonedToUtc(2026, 11, 1, 1, 30, 'America/New_York')!.toISOString()).toBe('2026-11-01T05:30:00.000Z'); // fall back: the first 1:30
    expect(zonedToUtc(2026, 11, 27, 9, 0, 'Asia/Tokyo')!.toISOString()).toBe('2026-11-27T00:00:00.000Z');
  });

  it('shows one instant in each zone', () => {
    const at = new Date('2026-11-27T00:00:00Z');
    expect(formatDate('en', at, 'dateTimeLong', 'Asia/Tokyo')).toBe('Friday, November 27, 2026 at 9:00 AM');
    expect(formatDate('en', at, 'dateTimeLong', 'America/New_York')).toBe('Thursday, November 26, 2026 at 7:00 PM');
  });

  it('writes an .ics in UTC', () => {
    const ics = appointmentIcs({ id: 'a1', startsAt: new Date('2026-11-27T00:00:00Z'), endsAt: new Date('2026-11-27T00:20:00Z'), summary: 'Call', description: 'Join, then talk; ok', url: 'https://referee.example/call', domain: 'referee.example', now: new Date('2026-11-26T00:00:00Z') });
    expect(ics).toContain('\r\nDTSTART:20261127T000000Z\r\n');
    expect(ics).toContain('\r\nDTEND:20261127T002000Z\r\n');
    expect(ics).toContain('DESCRIPTION:Join\\, then talk\\; ok');
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
  });
});

describe('appointments', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  type Browser = ReturnType<TestApp['browser']>;
  const post = async (b: Browser, from: string, path: string, fields: Record<string, string>) =>
    b.post(path).type('form').send({ _csrf: csrfOf((await b.get(from)).text), ...fields });
  const slotsOn = (html: string) => [...html.matchAll(/name="slot" value="([^"]+)"/g)].map((m) => m[1]);

  /** A referee in New York working every day, all day (so there are slots whenever the test runs). */
  async function newYorkReferee(label: string, hours: [string, string] = ['00:00', '24:00']) {
    const r = await newReferee(t, label);
    for (const weekday of ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']) {
      const res = await post(r.browser!, '/agent/calls/schedule', '/agent/calls/shifts', { weekday, start: hours[0], end: hours[1], timeZone: 'America/New_York' });
      expect(res.headers.location).toBe('/agent/calls/schedule?added=1');
    }
    return r;
  }

  it('books tomorrow in Asia/Tokyo with an agent in America/New_York: both see their local time, the email and the .ics agree', async () => {
    await t.db.sql.query('delete from agent_shift');
    const agent = await newYorkReferee('ny');
    const a = await approvedApplicant(t, 'tokyo');
    const page = await a.browser.get('/call/schedule?tz=Asia/Tokyo');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<option value="Asia/Tokyo" selected>');
    const slots = slotsOn(page.text);
    const earliest = Date.now() + 2 * 3600_000;
    expect(new Date(slots[0]).getTime()).toBeGreaterThanOrEqual(earliest - 1000);
    expect(new Date(slots[slots.length - 1]).getTime()).toBeLessThanOrEqual(Date.now() + 7 * 24 * 3600_000);
    // Tomorrow in Tokyo.
    const tomorrow = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date(Date.now() + 24 * 3600_000));
    const slot = slots.find((s) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date(s)) === tomorrow)!;
    expect(slot).toBeDefined();
    const tokyoLabel = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo', timeStyle: 'short' }).format(new Date(slot));
    expect(page.text).toContain(`>${tokyoLabel}</label>`);

    const booked = await a.post('/call/schedule', { slot, timeZone: 'Asia/Tokyo' });
    expect(booked.headers.location).toBe('/call?booked=1');
    expect((await a.row()).status).toBe('scheduled');
    // The applicant's time: in the zone they booked in, written in their language.
    const inTokyo = formatDate('en', new Date(slot), 'dateTimeLong', 'Asia/Tokyo');
    expect(inTokyo).toMatch(/^\w+day, /);
    // The zone by its name in the reader's language and its city, never its identifier.
    const queuePage = (await a.browser.get('/call')).text;
    expect(queuePage).toContain(`<strong data-when>${inTokyo}</strong>, Japan Standard Time (Tokyo)`);
    expect(queuePage).not.toContain('Asia/Tokyo');
    expect((await a.browser.get('/call/appointment')).text).toContain(`${inTokyo}</strong>, Japan Standard Time (Tokyo)`);
    const mail = await lastEmailTo(t.db.sql, a.person.email);
    expect(mail!.subject).toBe('Your Referee video call is booked');
    expect(mail!.body).toContain(`${inTokyo}, Japan Standard Time (Tokyo)`);
    expect(mail!.body).not.toContain('Asia/Tokyo');
    expect(mail!.body).toContain('/call/appointment.ics');
    const ics = await a.browser.get('/call/appointment.ics');
    expect(ics.headers['content-type']).toBe('text/calendar; charset=utf-8');
    const stamp = slot.replace(/[-:]/g, '').replace('.000', '');
    expect(ics.text).toContain(`DTSTART:${stamp}`);
    // The same calendar file travels with the confirmation email.
    const sent = (await messagesTo(t.db.sql, a.person.email, ['email'])).find((m) => m.subject === 'Your Referee video call is booked')!;
    expect(sent.attachments).toEqual([{ filename: 'referee-video-call.ics', contentType: 'text/calendar; charset=utf-8; method=PUBLISH', content: expect.stringContaining(`DTSTART:${stamp}`) }]);

    // The agent reads it in their own zone (the page names the zone), in their language.
    const agentPage = await agent.browser!.get('/agent/calls/schedule');
    expect(agentPage.text).toContain('Times in Eastern Time (New York).');
    expect(agentPage.text).toContain('<option value="America/New_York" selected>Eastern Time (New York)</option>');
    expect(agentPage.text).toContain(`the applicant sees ${inTokyo}, Japan Standard Time (Tokyo)</li>`);
    // No zone identifier in the text a person reads (option values are not read).
    expect(agentPage.text).not.toMatch(/>[^<]*(America\/New.York|Asia\/Tokyo)/);
    expect(agentPage.text).toContain(`<span data-when>${formatDate('en', new Date(slot), 'dateTimeLong', 'America/New_York')}</span>`);
  });

  it("confirms a booking in the account's language, the time written in that language and in the applicant's zone; the schedule page too", async () => {
    await newYorkReferee('es-agent');
    const a = await approvedApplicant(t, 'madrid');
    // The applicant chose Spanish (on the account); this browser still sends English.
    expect((await a.post('/language', { language: 'es', returnTo: '/call' })).status).toBe(303);
    const page = await a.browser.get('/call/schedule?tz=Asia/Tokyo').set('Accept-Language', 'en');
    expect(page.text).toContain('<html lang="es" dir="ltr">');
    expect(page.text).toContain('Programe su videollamada');
    const slot = slotsOn(page.text)[5];
    const at = new Date(slot);
    // Times on the page: Spanish words, Tokyo's clock.
    const tokyoTime = new Intl.DateTimeFormat('es', { timeZone: 'Asia/Tokyo', timeStyle: 'short' }).format(at);
    expect(page.text).toContain(`>${tokyoTime}</label>`);
    expect((await a.post('/call/schedule', { slot, timeZone: 'Asia/Tokyo' })).headers.location).toBe('/call?booked=1');

    const mail = (await lastEmailTo(t.db.sql, a.person.email))!;
    expect(mail.subject).toBe('Su videollamada de Referee está reservada');
    const when = formatDate('es', at, 'dateTimeLong', 'Asia/Tokyo');
    expect(when).toMatch(/^(lunes|martes|miércoles|jueves|viernes|sábado|domingo), \d+ de [a-z]+ de \d{4}/);
    expect(when).toContain(tokyoTime);
    expect(mail.body).toContain(`Su videollamada con un Trusted Referee es el ${when}, hora estándar de Japón (Tokyo).`);
    expect(mail.body).toContain('Tenga a mano sus documentos originales.');
    expect(mail.body).not.toMatch(/Your video call|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday/);
    // Not the time in UTC, nor in the agent's New York.
    for (const zone of ['UTC', 'America/New_York']) {
      const elsewhere = new Intl.DateTimeFormat('es', { timeZone: zone, timeStyle: 'short' }).format(at);
      if (elsewhere !== tokyoTime) expect(mail.body).not.toContain(elsewhere);
    }
    const queue = await a.browser.get('/call').set('Accept-Language', 'en');
    expect(queue.text).toContain(`<strong data-when>${when}</strong>, hora estándar de Japón (Tokyo)`);
    expect(queue.text).toContain('Su videollamada está programada');
    await a.post('/call/appointment/cancel');
  });

  it('two applicants booking the only free slot at once: one wins, the other is asked to choose again', async () => {
    await t.db.sql.query('delete from agent_shift');
    const single = await newYorkReferee('single');
    const [x, y] = [await approvedApplicant(t, 'x'), await approvedApplicant(t, 'y')];
    const slot = slotsOn((await x.browser.get('/call/schedule?tz=UTC')).text)[3];
    const [cx, cy] = [csrfOf((await x.browser.get('/account')).text), csrfOf((await y.browser.get('/account')).text)];
    const results = await Promise.all([
      x.browser.post('/call/schedule').type('form').send({ _csrf: cx, slot, timeZone: 'UTC' }),
      y.browser.post('/call/schedule').type('form').send({ _csrf: cy, slot, timeZone: 'UTC' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 400]);
    expect(results.find((r) => r.status === 400)!.text).toContain('Someone has just booked that time');
    const { rows } = await t.db.sql.query('select count(*)::int as n from booked_slot where starts_at = $1 and agent_id = $2', [slot, single.accountId]);
    expect(rows[0].n).toBe(1);
  });

  it('reschedule releases the old slot; cancel releases it and returns to "wait or schedule"', async () => {
    const a = await approvedApplicant(t, 'mover');
    const slots = slotsOn((await a.browser.get('/call/schedule?tz=UTC')).text);
    await a.post('/call/schedule', { slot: slots[10], timeZone: 'UTC' });
    const moved = await a.post('/call/schedule', { slot: slots[12], timeZone: 'UTC' });
    expect(moved.headers.location).toBe('/call?booked=1');
    expect((await lastEmailTo(t.db.sql, a.person.email))!.subject).toBe('Your Referee video call has moved');
    const statuses = await t.db.sql.query('select status from appointment where account_id = (select id from account where email = $1) order by created_at', [a.person.email]);
    expect(statuses.rows.map((r) => r.status)).toEqual(['rescheduled', 'booked']);
    expect(slotsOn((await a.browser.get('/call/schedule?tz=UTC')).text)).toContain(slots[10]);
    expect((await a.post('/call/appointment/cancel')).headers.location).toBe('/call?cancelled=1');
    expect((await a.row()).status).toBe('approved');
    expect(slotsOn((await a.browser.get('/call/schedule?tz=UTC')).text)).toContain(slots[12]);
  });

  it('sends each reminder exactly once with two instances running the job, and a no-show frees the slot and asks to rebook', async () => {
    const [day, soon, gone] = [await approvedApplicant(t, 'day'), await approvedApplicant(t, 'soon'), await approvedApplicant(t, 'gone')];
    await gone.post('/language', { language: 'fr', returnTo: '/call' }); // the no-show email follows the account's language
    for (const a of [day, soon, gone]) {
      const slots = slotsOn((await a.browser.get('/call/schedule?tz=UTC')).text);
      const res = await a.post('/call/schedule', { slot: slots[20 + [day, soon, gone].indexOf(a)], timeZone: 'UTC', });
      expect(res.status).toBe(303);
    }
    const move = (a: typeof day, startsIn: string) =>
      t.db.sql.query(
        `with m as (update appointment set starts_at = now() + $2::interval, created_at = now() - interval '3 days' where verification_case_id = $1 and status = 'booked' returning id)
         update booked_slot set starts_at = now() + $2::interval where appointment_id in (select id from m)`,
        [a.caseId, startsIn],
      );
    await move(day, '23 hours');
    await move(soon, '10 minutes');
    await move(gone, '-11 minutes');
    const before = await Promise.all([day, soon, gone].map((a) => emailCount(t.db.sql, a.person.email)));
    const other = await startAnotherInstance(t);
    try {
      const runs = await Promise.all([t.app.get(AppointmentsService).runJobs(), other.app.get(AppointmentsService).runJobs()]);
      expect(runs.reduce((n, r) => n + r.reminders, 0)).toBe(2);
      expect(runs.reduce((n, r) => n + r.noShows, 0)).toBe(1);
      const again = await other.app.get(AppointmentsService).runJobs();
      expect(again).toEqual({ reminders: 0, noShows: 0 });
    } finally {
      await other.close();
    }
    const after = await Promise.all([day, soon, gone].map((a) => emailCount(t.db.sql, a.person.email)));
    expect(after.map((n, i) => n - before[i])).toEqual([1, 1, 1]);
    expect((await lastEmailTo(t.db.sql, day.person.email))!.subject).toBe('Your Referee video call is tomorrow');
    expect((await lastEmailTo(t.db.sql, soon.person.email))!.subject).toBe('Your Referee video call is in 15 minutes');
    const missed = (await lastEmailTo(t.db.sql, gone.person.email))!;
    expect(missed.subject).toBe('Vous avez manqué votre appel vidéo Referee');
    expect(missed.body).toMatch(/^Nous ne vous avons pas vu à votre appel vidéo du \S+ \d+ \S+ \d{4} à \d{2}:\d{2}, temps universel coordonné\./);
    expect((await gone.row()).status).toBe('approved');
    const freed = await t.db.sql.query(`select count(*)::int as n from booked_slot b join appointment a on a.id = b.appointment_id where a.verification_case_id = $1`, [gone.caseId]);
    expect(freed.rows[0].n).toBe(0);
  });

  it('"Next applicant" takes an appointment due within 5 minutes before the queue', async () => {
    await t.db.sql.query(`update queue_entry set status = 'left' where status = 'waiting'`);
    await t.db.sql.query('delete from agent_shift');
    const agent = await newYorkReferee('due');
    const waiting = await approvedApplicant(t, 'waiting');
    await waiting.post('/call');
    const booked = await approvedApplicant(t, 'booked');
    const slot = slotsOn((await booked.browser.get('/call/schedule?tz=UTC')).text)[0];
    expect((await booked.post('/call/schedule', { slot, timeZone: 'UTC' })).status).toBe(303);
    await t.db.sql.query(`update appointment set starts_at = now() + interval '3 minutes' where verification_case_id = $1`, [booked.caseId]);
    const call = await inContext(t, () => t.app.get(CallsService).next(agent.accountId));
    expect(call && typeof call === 'object' && call.verificationCase.id).toBe(booked.caseId);
    expect((await booked.row()).status).toBe('in_call');
    expect((await booked.browser.get('/call')).headers.location).toBe('/call/join');
    expect((await waiting.row()).status).toBe('queued');
  });

  it("generates an agent's slots in the agent's zone across a DST change (9:00 New York is 14:00Z, then 13:00Z)", async () => {
    await t.db.sql.query('delete from agent_shift');
    const r = await newReferee(t, 'dst', false);
    const service = t.app.get(AppointmentsService);
    await inContext(t, async () => {
      await service.addShift(r.accountId, { weekday: 0, startMinute: 9 * 60, endMinute: 10 * 60, timeZone: 'America/New_York' });
      await service.addDayOff(r.accountId, '2026-03-15');
    });
    const slots = await inContext(t, () => service.slots(new Date('2026-03-01T00:00:00Z'), new Date('2026-03-16T00:00:00Z')));
    expect(slots.map((s) => s.startsAt.toISOString())).toEqual([
      '2026-03-01T14:00:00.000Z',
      '2026-03-01T14:20:00.000Z',
      '2026-03-01T14:40:00.000Z',
      '2026-03-08T13:00:00.000Z',
      '2026-03-08T13:20:00.000Z',
      '2026-03-08T13:40:00.000Z',
    ]); // and none on the 15th, a day off
    expect(slots.every((s) => s.agentIds.length === 1 && s.agentIds[0] === r.accountId)).toBe(true);
    await t.db.sql.query('delete from agent_shift');
  });

  it('names time zones in the reader’s language, groups the times by day in a grid, and says what to do when no time is free', async () => {
    await t.db.sql.query('delete from agent_shift');
    const a = await approvedApplicant(t, 'zones');
    const none = await a.browser.get('/call/schedule?tz=Europe/Berlin');
    expect(none.text).toContain('<option value="Europe/Berlin" selected>Central European Time (Berlin)</option>');
    expect(none.text).not.toContain('>Europe/Berlin<');
    expect(none.text).not.toContain('Book this time');
    expect(none.text).toContain('No times available');
    expect(none.text).toMatch(/<a class="usa-button" href="\/call">Wait in the queue for a call<\/a>/);

    await newYorkReferee('grid');
    const page = await a.browser.get('/call/schedule?tz=Europe/Berlin');
    const days = new Set(slotsOn(page.text).map((s) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date(s))));
    expect(page.text.match(/class="referee-slot-grid"/g)).toHaveLength(days.size);
    expect(page.text).toContain('Book this time');
    const spanish = await a.browser.get('/call/schedule?tz=Europe/Berlin').set('Accept-Language', 'es');
    expect(spanish.text).toContain('<option value="Europe/Berlin" selected>hora de Europa central (Berlin)</option>');
  });

  it('starts the call’s language as the page’s, and reads the helper’s fields only when the applicant brings one', async () => {
    const a = await approvedApplicant(t, 'prefs');
    const page = await a.browser.get('/call/preferences').set('Accept-Language', 'es');
    expect(page.text).toMatch(/<option value="es" selected>/);
    expect(page.text).toMatch(/class="referee-conditional__fields"[\s\S]*id="helperName"/);
    // No helper: whatever the hidden fields hold, nothing is asked of them.
    expect((await a.post('/call/preferences', { language: 'es', helperName: '' })).headers.location).toBe('/call?saved=1');
    const missing = await a.post('/call/preferences', { language: 'es', hasHelper: 'yes', helperName: 'Ana' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Enter how your helper is related to you');
    // Chosen once, the choice stands whatever language the page is read in.
    expect((await a.browser.get('/call/preferences').set('Accept-Language', 'fr')).text).toMatch(/<option value="es" selected>/);
  });
});
