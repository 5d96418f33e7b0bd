import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager, RequestContext } from '@mikro-orm/postgresql';
import { claimDueAppointment, recordDayOff } from './appointments.queries';
import { CONFIG, type Config } from '../config/config';
import type { Account } from '../identity/account.entity';
import { formatDate } from '../i18n/formats';
import { type Language, languageOr } from '../i18n/languages';
import { Messages, phrase } from '../i18n/messages';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { NotificationsService } from '../notifications/notifications.service';
import { SmsSender } from '../notifications/sms-sender';
import { CaseSteps } from '../verification/case-steps';
import { VerificationCase } from '../verification/verification-case.entity';
import { RateLimits } from '../web/rate-limits';
import { AgentShift, AgentShiftException, Appointment, BookedSlot } from './appointment.entity';
import { appointmentIcs } from './ics';
import { QueueEntry } from './queue-entry.entity';
import { isTimeZone, localDate, wallClock, zonedToUtc, zoneLabel } from './time-zones';

const languageOf = (account: Account): Language => languageOr(account.language);

/** An appointment's time for a message: written in the reader's language, in the zone it was booked in, and that zone's name in the reader's language. */
export function appointmentTime(language: Language, a: Pick<Appointment, 'startsAt' | 'timeZone'>): { when: string; zone: string } {
  return { when: formatDate(language, a.startsAt, 'dateTimeLong', a.timeZone), zone: zoneLabel(a.timeZone, language) };
}

/** Booking window: from 2 hours to 7 days ahead. */
export const BOOK_MIN_AHEAD_MS = 2 * 3600_000;
export const BOOK_MAX_AHEAD_MS = 7 * 24 * 3600_000;
/** The call may start this early ("Next applicant" takes appointments due within 5 minutes first)… */
export const DUE_BEFORE_MS = 5 * 60_000;
/** …and this late: after the grace period the applicant did not show. */
export const NO_SHOW_GRACE_MS = 10 * 60_000;

export interface Slot {
  startsAt: Date;
  agentIds: string[];
}

type Booked = { appointment: Appointment } | { error: 'taken' | 'outside' | 'not-allowed' };

/** The days of the schedule form, Sunday first: AgentShift's weekday is the index. */
const SHIFT_WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Minutes since midnight of an "HH:MM" time (00:00 to 23:59); undefined for anything else. */
const minuteOfDay = (v: unknown): number | undefined =>
  typeof v === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(v) ? Number(v.slice(0, 2)) * 60 + Number(v.slice(3)) : undefined;

/**
 * Appointments: slots from agents' weekly hours (in each agent's time zone, minus days off
 * and booked slots), booking without double-booking (the booked_slot primary key),
 * reschedule and cancel (the slot is released), the .ics file, reminders sent once across
 * instances, and no-shows.
 */
@Injectable()
export class AppointmentsService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly notifications: NotificationsService,
    private readonly sms: SmsSender,
    private readonly rateLimits: RateLimits,
    private readonly messages: Messages,
    private readonly jobs: JobRunner,
  ) {}

  get slotMinutes(): number {
    return this.config.slotMinutes;
  }

  private get slotMs(): number {
    return this.config.slotMinutes * 60_000;
  }

  // ---- Agents' hours ---------------------------------------------------------------------------

  /**
   * Adds the weekly shift an agent entered on their schedule page: a day's English name,
   * "HH:MM" start and end ("24:00" ends at midnight) and a time zone. False, and nothing
   * added, when these do not make a shift.
   */
  async addShiftFromForm(agentId: string, form: { weekday?: unknown; start?: unknown; end?: unknown; timeZone?: unknown }): Promise<boolean> {
    const weekday = SHIFT_WEEKDAYS.indexOf(String(form.weekday));
    const start = minuteOfDay(form.start);
    const end = form.end === '24:00' ? 24 * 60 : minuteOfDay(form.end);
    if (weekday < 0 || start === undefined || end === undefined || end <= start || !isTimeZone(form.timeZone)) return false;
    await this.addShift(agentId, { weekday, startMinute: start, endMinute: end, timeZone: form.timeZone });
    return true;
  }

  async addShift(agentId: string, shift: { weekday: number; startMinute: number; endMinute: number; timeZone: string }): Promise<void> {
    if (!isTimeZone(shift.timeZone) || shift.weekday < 0 || shift.weekday > 6 || shift.startMinute < 0 || shift.endMinute > 24 * 60 || shift.endMinute <= shift.startMinute) {
      throw new Error('invalid shift');
    }
    this.em.create(AgentShift, { agent: agentId, ...shift });
    await this.em.flush();
  }

  async addDayOff(agentId: string, date: string): Promise<void> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error('invalid date');
    await recordDayOff(this.em, agentId, date);
  }

  shiftsOf(agentId: string): Promise<AgentShift[]> {
    return this.em.find(AgentShift, { agent: agentId }, { orderBy: { weekday: 'asc', startMinute: 'asc' } });
  }

  // ---- Slots -------------------------------------------------------------------------------------

  /** Free slots between `from` and `to` (UTC instants), each with the agents free then. */
  async slots(from: Date, to: Date): Promise<Slot[]> {
    const [shifts, exceptions, booked] = await Promise.all([
      this.em.find(AgentShift, {}),
      this.em.find(AgentShiftException, {}),
      this.em.find(BookedSlot, { startsAt: { $gte: from, $lte: to } }),
    ]);
    const off = new Set(exceptions.map((e) => `${e.agent.id}:${e.date}`));
    const taken = new Set(booked.map((b) => `${b.agent.id}:${b.startsAt.getTime()}`));
    const byTime = new Map<number, Set<string>>();
    for (const shift of shifts) {
      // Each local day the window touches, in the agent's zone: sampled every 12 hours so a
      // DST change never skips a day (a day seen twice gives the same slots, merged below).
      const seen = new Set<string>();
      for (let t = from.getTime() - 24 * 3600_000; t <= to.getTime() + 24 * 3600_000; t += 12 * 3600_000) {
        const day = wallClock(new Date(t), shift.timeZone);
        const date = localDate(new Date(t), shift.timeZone);
        if (seen.has(date)) continue;
        seen.add(date);
        if (day.weekday !== shift.weekday || off.has(`${shift.agent.id}:${date}`)) continue;
        for (let m = shift.startMinute; m + this.config.slotMinutes <= shift.endMinute; m += this.config.slotMinutes) {
          const at = zonedToUtc(day.year, day.month, day.day, Math.floor(m / 60), m % 60, shift.timeZone);
          if (!at || at < from || at > to || taken.has(`${shift.agent.id}:${at.getTime()}`)) continue;
          const agents = byTime.get(at.getTime()) ?? new Set<string>();
          agents.add(shift.agent.id);
          byTime.set(at.getTime(), agents);
        }
      }
    }
    return [...byTime.entries()].sort(([a], [b]) => a - b).map(([t, agents]) => ({ startsAt: new Date(t), agentIds: [...agents].sort() }));
  }

  /** The slots an applicant may book now: 2 hours to 7 days ahead. */
  bookable(now = new Date()): Promise<Slot[]> {
    return this.slots(new Date(now.getTime() + BOOK_MIN_AHEAD_MS), new Date(now.getTime() + BOOK_MAX_AHEAD_MS));
  }

  // ---- Applicants ----------------------------------------------------------------------------------

  current(accountId: string): Promise<Appointment | null> {
    return this.em.findOne(Appointment, { account: accountId, status: 'booked' }, { refresh: true, populate: ['agent'] });
  }

  isDue(a: Appointment, now = new Date()): boolean {
    return now.getTime() >= a.startsAt.getTime() - DUE_BEFORE_MS && now.getTime() <= a.startsAt.getTime() + NO_SHOW_GRACE_MS;
  }

  /**
   * Books (or, with an appointment already booked, moves it to) the slot at `startsAt`.
   * Each free agent of that slot is tried in turn; the booked_slot key lets one of two
   * concurrent bookings of the same agent's slot win and sends the other to the next agent.
   */
  async book(accountId: string, startsAt: Date, timeZone: string, now = new Date()): Promise<Booked> {
    if (!isTimeZone(timeZone)) return { error: 'outside' };
    await this.rateLimits.consume('call-booking:account', accountId);
    if (startsAt.getTime() < now.getTime() + BOOK_MIN_AHEAD_MS || startsAt.getTime() > now.getTime() + BOOK_MAX_AHEAD_MS) return { error: 'outside' };
    const slot = (await this.slots(startsAt, startsAt)).find((s) => s.startsAt.getTime() === startsAt.getTime());
    if (!slot) return { error: 'taken' };
    for (const agentId of slot.agentIds) {
      try {
        const booked = await this.em.fork().transactional(async (em) => {
          // The applicant's queue place first, then the case: the order a claim locks them in.
          const entry = await em.findOne(QueueEntry, { account: accountId, status: 'waiting' }, { lockMode: LockMode.PESSIMISTIC_WRITE });
          const c = await em.findOne(VerificationCase, { account: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true, populate: ['account'] });
          if (!c || !['approved', 'queued', 'scheduled'].includes(c.status)) return null;
          const previous = await em.findOne(Appointment, { verificationCase: c, status: 'booked' });
          const appointment = em.create(Appointment, { verificationCase: c, account: accountId, agent: agentId, startsAt, endsAt: new Date(startsAt.getTime() + this.slotMs), timeZone });
          em.create(BookedSlot, { agent: agentId, startsAt, appointment });
          if (previous) {
            previous.status = 'rescheduled';
            await em.nativeDelete(BookedSlot, { appointment: previous.id }); // the old slot is free again
            await this.steps.record(em, c, 'verification.appointment_rescheduled', undefined, { from: previous.startsAt.toISOString(), to: startsAt.toISOString() });
          } else {
            if (entry) entry.status = 'left';
            await this.steps.move(em, c, 'scheduled', 'verification.appointment_booked', { startsAt: startsAt.toISOString(), timeZone });
          }
          await em.flush();
          this.notifications.queueEmail(this.confirmation(c.account, appointment, !!previous));
          return { appointment };
        });
        if (!booked) return { error: 'not-allowed' };
        return { appointment: booked.appointment };
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
      }
    }
    return { error: 'taken' };
  }

  /** Cancels the appointment: the slot is released and the case is back to "wait or schedule". */
  async cancel(accountId: string): Promise<boolean> {
    return this.em.transactional(async (em) => {
      const c = await em.findOne(VerificationCase, { account: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      const a = c && (await em.findOne(Appointment, { verificationCase: c, status: 'booked' }));
      if (!c || !a || c.status !== 'scheduled') return false;
      a.status = 'cancelled';
      await em.nativeDelete(BookedSlot, { appointment: a.id });
      await this.steps.move(em, c, 'approved', 'verification.appointment_cancelled', { startsAt: a.startsAt.toISOString() });
      return true;
    });
  }

  ics(a: Appointment): string {
    return appointmentIcs({
      id: a.id,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      summary: 'Referee video call with a Trusted Referee',
      description: `Join from your Referee account: ${this.config.baseUrl}/call\nOnly join calls from ${new URL(this.config.baseUrl).host}. If anyone sends you a video call link, tell your agent immediately.`,
      url: `${this.config.baseUrl}/call`,
      domain: new URL(this.config.baseUrl).hostname,
    });
  }

  /** The confirmation in the applicant's language, the time in their zone (the .ics lets a calendar show it in its own). */
  private confirmation(account: Account, a: Appointment, moved: boolean) {
    const base = this.config.baseUrl;
    const language = languageOf(account);
    return {
      to: account.email,
      ...this.notifications.compose(language, moved ? 'call.email.booked.subjectMoved' : 'call.email.booked.subject', [
        phrase('call.email.booked.when', appointmentTime(language, a)),
        phrase('call.email.booked.links', { joinUrl: `${base}/call`, changeUrl: `${base}/call/schedule`, cancelUrl: `${base}/call/appointment`, icsUrl: `${base}/call/appointment.ics` }),
        phrase('call.email.booked.bring', { site: new URL(base).host }),
      ]),
      attachments: [{ filename: 'referee-video-call.ics', contentType: 'text/calendar; charset=utf-8; method=PUBLISH', content: this.ics(a) }],
    };
  }

  // ---- Agents: "Next applicant" --------------------------------------------------------------------

  /** This agent's appointment due within 5 minutes (or in its grace period), taken in the caller's transaction. */
  async claimDue(em: EntityManager, agentId: string, now = new Date()): Promise<{ caseId: string; accountId: string } | null> {
    return (await claimDueAppointment(em, agentId, new Date(now.getTime() + DUE_BEFORE_MS), new Date(now.getTime() - NO_SHOW_GRACE_MS))) ?? null;
  }

  upcomingFor(agentId: string): Promise<Appointment[]> {
    return this.em.find(Appointment, { agent: agentId, status: 'booked', startsAt: { $gte: new Date(Date.now() - NO_SHOW_GRACE_MS) } }, { orderBy: { startsAt: 'asc' }, limit: 50 });
  }

  // ---- The reminder job ------------------------------------------------------------------------------

  /**
   * Every minute, on one instance at a time: reminders 24 hours and 15 minutes before (email,
   * and SMS with a phone), each marked sent in the same transaction that queues it, so it goes
   * out once; and no-shows after the 10-minute grace.
   */
  @Cron(JOBS['appointment-reminders'].schedule, { name: 'appointment-reminders' })
  async runJobs(now = new Date()): Promise<{ reminders: number; noShows: number }> {
    const done = await this.jobs.runExclusive('appointment-reminders', () => this.remindAndMarkNoShows(now));
    return done ?? { reminders: 0, noShows: 0 };
  }

  private remindAndMarkNoShows(now: Date): Promise<{ reminders: number; noShows: number }> {
    return RequestContext.create(this.em, async () => {
      const texts: { phone: string; text: string }[] = [];
      const result = await this.em.transactional(async (em) => {
        let reminders = 0;
        const dueDay = await em.find(
          Appointment,
          { status: 'booked', reminderDaySentAt: null, startsAt: { $lte: new Date(now.getTime() + 24 * 3600_000), $gt: new Date(now.getTime() + 15 * 60_000) } },
          { populate: ['account', 'verificationCase'] },
        );
        const dueSoon = await em.find(
          Appointment,
          { status: 'booked', reminderSoonSentAt: null, startsAt: { $lte: new Date(now.getTime() + 15 * 60_000), $gt: new Date(now.getTime() - NO_SHOW_GRACE_MS) } },
          { populate: ['account', 'verificationCase'] },
        );
        for (const [list, when] of [[dueDay, 'Day'], [dueSoon, 'Soon']] as const) {
          for (const a of list) {
            if (when === 'Day') {
              a.reminderDaySentAt = now;
              // Booked less than a day ahead: the confirmation was the reminder.
              if (a.createdAt.getTime() > a.startsAt.getTime() - 24 * 3600_000) continue;
            } else a.reminderSoonSentAt = now;
            // In the applicant's language, the time in the zone they booked in.
            const language = languageOf(a.account);
            const reminder = phrase(`call.email.reminder.text${when}`, { ...appointmentTime(language, a), url: `${this.config.baseUrl}/call` });
            this.notifications.queueEmail({
              to: a.account.email,
              ...this.notifications.compose(language, `call.email.reminder.subject${when}`, [reminder, phrase('call.email.reminder.change', { url: `${this.config.baseUrl}/call/schedule` })]),
            });
            if (a.verificationCase.phone) texts.push({ phone: a.verificationCase.phone, text: this.messages.text(language, reminder) });
            reminders++;
          }
        }
        // No-shows: the slot and the agent are free again; the applicant is asked to book again.
        const missed = await em.find(Appointment, { status: 'booked', startsAt: { $lt: new Date(now.getTime() - NO_SHOW_GRACE_MS) } }, { populate: ['account'] });
        for (const a of missed) {
          a.status = 'no_show';
          await em.nativeDelete(BookedSlot, { appointment: a.id });
          const c = await em.findOneOrFail(VerificationCase, a.verificationCase.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
          if (c.status === 'scheduled') await this.steps.move(em, c, 'approved', 'verification.appointment_missed', { startsAt: a.startsAt.toISOString() });
          const language = languageOf(a.account);
          this.notifications.queueEmail({
            to: a.account.email,
            ...this.notifications.compose(language, 'call.email.noShow.subject', [
              phrase('call.email.noShow.body', { ...appointmentTime(language, a), url: `${this.config.baseUrl}/call` }),
            ]),
          });
        }
        return { reminders, noShows: missed.length };
      });
      for (const t of texts) await this.sms.send(t.phone, t.text, 'sms').catch(() => undefined); // kept in the outbox when it fails
      return { reminders: result.reminders, noShows: result.noShows };
    });
  }
}
