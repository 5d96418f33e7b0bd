import { Body, Controller, Get, HttpCode, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { LanguageResolver } from '../i18n/language';
import { SignedInGuard } from '../identity/signed-in.guard';
import { AppointmentsService } from '../scheduling/appointments.service';
import { waitPhrase } from '../scheduling/estimate';
import { isTimeZone, localDate, zoneLabel, zoneOptions } from '../scheduling/time-zones';
import { QUEUE_TIMEOUT_MINUTES, QueueService } from '../scheduling/queue.service';
import { CaseSteps } from '../verification/case-steps';
import { landing, mayShow, pageOf, type StepKey } from '../verification/flow';
import type { VerificationCase } from '../verification/verification-case.entity';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { readForm } from '../web/form';
import { invalidForm, redirect, view, type FieldErrors, type Redirect, type View } from '../web/view';
import { CallsService } from './calls.service';
import { BookingForm, CallEventForm, CallPreferencesForm, RecordingConsentForm } from './forms';
import { allowJitsi } from './jitsi';
import { callLanguages, languageName } from './languages';

/** A page's query string: notices (?left=1) and the time zone the schedule shows (?tz=). */
type Query = Record<string, unknown>;

/**
 * The applicant's side of step 4 ("Join Video Call"): the queue with its estimated wait,
 * Save & Exit, the call page (fraud warning, recording consent, Jitsi) and the outcome
 * pages. Only the signed-in applicant's own case is ever reached.
 */
@Controller('call')
@UseGuards(SignedInGuard)
export class CallController {
  constructor(
    private readonly steps: CaseSteps,
    private readonly queue: QueueService,
    private readonly calls: CallsService,
    private readonly appointments: AppointmentsService,
    private readonly languages: LanguageResolver,
  ) {}

  /** The case when step `key`'s page may show, else where it should be. */
  private async at(viewer: Viewer, key: StepKey): Promise<VerificationCase | Redirect> {
    const c = await this.steps.open(viewer.accountId);
    return mayShow(c, key) ? c : redirect(landing(c, key).route);
  }

  /** Wait or schedule; in the queue: the position and the estimate (htmx refreshes #wait every 15 s, which also keeps the place). */
  @Get()
  async queuePage(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Query() query: Query): Promise<View | Redirect> {
    const c = await this.at(viewer, 'video_queue');
    if (!('status' in c)) return c;
    const accountId = viewer.accountId;
    await this.queue.seen(accountId);
    const place = c.status === 'queued' ? await this.queue.place(accountId) : null;
    const call = await this.calls.activeForApplicant(accountId);
    if (call) return redirect('/call/join');
    const appointment = c.status === 'scheduled' ? await this.appointments.current(accountId) : null;
    const preferences = await this.calls.preferencesOf(c.id);
    return view('call/queue', {
      // Times go to the page as moments: it writes them in the reader's language, in the zone of the booking.
      appointment: appointment && { startsAt: appointment.startsAt, timeZone: appointment.timeZone, zoneName: zoneLabel(appointment.timeZone, this.languages.of(req)), due: this.appointments.isDue(appointment) },
      ...pageOf(c, 'video_queue'),
      status: c.status,
      place,
      wait: place ? waitPhrase(place.estimate) : undefined,
      timeoutMinutes: QUEUE_TIMEOUT_MINUTES,
      notice: ['left', 'ready', 'booked', 'cancelled', 'taken', 'saved'].find((n) => n in query),
      preferences: { ...preferences, languageName: languageName(preferences.language, this.languages.of(req)) ?? preferences.language },
    });
  }

  /** Join the queue now. */
  @Post()
  async join(@CurrentViewer() viewer: Viewer): Promise<Redirect> {
    await this.queue.join(viewer.accountId);
    return redirect('/call');
  }

  @Post('ready')
  async ready(@CurrentViewer() viewer: Viewer): Promise<Redirect> {
    await this.queue.ready(viewer.accountId);
    return redirect('/call?ready=1');
  }

  /** Save & Exit: the place is lost, the documents and their approval are kept. */
  @Post('leave')
  async leave(@CurrentViewer() viewer: Viewer): Promise<Redirect> {
    await this.queue.leave(viewer.accountId);
    return redirect('/call?left=1');
  }

  /** The language of the call (searchable, from CLDR) and a helper, if the applicant brings one. */
  @Get('preferences')
  async preferencesPage(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest): Promise<View | Redirect> {
    const c = await this.at(viewer, 'video_queue');
    if (!('status' in c)) return c;
    const p = await this.calls.preferencesOf(c.id);
    // Until the applicant chooses, the call's language starts as the one they read the site in.
    return view('call/preferences', this.preferencesContext(req, c, { language: p.chosen ? p.language : this.languages.of(req), hasHelper: p.helper ? 'yes' : '', helperName: p.helper?.name, helperRelationship: p.helper?.relationship, helperRole: p.helper?.role }));
  }

  private preferencesContext(req: WebRequest, c: VerificationCase, values: Record<string, unknown>) {
    return { ...pageOf(c, 'video_queue'), languages: callLanguages(this.languages.of(req)), values };
  }

  @Post('preferences')
  async savePreferences(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() body: unknown): Promise<View | Redirect> {
    const c = await this.at(viewer, 'video_queue');
    if (!('status' in c)) return c;
    const form = readForm(CallPreferencesForm, body);
    if (form.errors) {
      const values = Object.fromEntries(['language', 'hasHelper', 'helperName', 'helperRelationship', 'helperRole'].map((f) => [f, form.typed(f)]));
      return invalidForm('call/preferences', form.errors, this.preferencesContext(req, c, values));
    }
    await this.calls.savePreferences(viewer.accountId, form.valid);
    return redirect('/call?saved=1');
  }

  /** Free slots 2 hours to 7 days ahead, by day, in the applicant's time zone (detected by the browser, changeable). */
  @Get('schedule')
  async schedulePage(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Query() query: Query): Promise<View | Redirect> {
    const c = await this.at(viewer, 'video_queue');
    if (!('status' in c)) return c;
    return this.scheduleView(viewer, req, c, isTimeZone(query.tz) ? query.tz : undefined, {});
  }

  private async scheduleView(viewer: Viewer, req: WebRequest, c: VerificationCase, chosenZone: string | undefined, errors: FieldErrors): Promise<View> {
    const language = this.languages.of(req);
    const current = await this.appointments.current(viewer.accountId);
    const zone = chosenZone ?? current?.timeZone ?? 'UTC';
    // By day in the chosen zone; the page writes each day and time in the reader's language.
    const days = new Map<string, { date: Date; slots: { value: string; startsAt: Date }[] }>();
    for (const slot of await this.appointments.bookable()) {
      const key = localDate(slot.startsAt, zone);
      const day = days.get(key) ?? { date: slot.startsAt, slots: [] };
      day.slots.push({ value: slot.startsAt.toISOString(), startsAt: slot.startsAt });
      days.set(key, day);
    }
    const context = {
      ...pageOf(c, 'video_queue'),
      zone,
      zoneDetected: !!chosenZone,
      // Zones by their names in the reader's language ("Central European Time (Berlin)"), not their identifiers.
      zones: zoneOptions(language),
      days: [...days.values()],
      current: current && { startsAt: current.startsAt, timeZone: current.timeZone, zoneName: zoneLabel(current.timeZone, language) },
      slotMinutes: this.appointments.slotMinutes,
    };
    return Object.keys(errors).length ? invalidForm('call/schedule', errors, context) : view('call/schedule', context);
  }

  /** Books the chosen slot (or moves the appointment there: the old slot is released). */
  @Post('schedule')
  async book(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() body: unknown): Promise<View | Redirect> {
    const c = await this.at(viewer, 'video_queue');
    if (!('status' in c)) return c;
    const form = readForm(BookingForm, body);
    if (form.errors) return this.scheduleView(viewer, req, c, isTimeZone(form.typed('timeZone')) ? form.typed('timeZone') : undefined, form.errors);
    const { timeZone: zone, startsAt } = form.valid;
    const booked = await this.appointments.book(viewer.accountId, startsAt, zone);
    if ('appointment' in booked) return redirect('/call?booked=1');
    if (booked.error === 'taken') return this.scheduleView(viewer, req, c, zone, { slot: 'call.schedule.errors.taken' });
    if (booked.error === 'outside') return this.scheduleView(viewer, req, c, zone, { slot: 'call.schedule.errors.outside' });
    return redirect('/call');
  }

  /** The appointment, with "Cancel appointment". */
  @Get('appointment')
  async appointmentPage(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest): Promise<View | Redirect> {
    const c = await this.at(viewer, 'video_queue');
    if (!('status' in c)) return c;
    const a = await this.appointments.current(viewer.accountId);
    if (!a) return redirect('/call');
    return view('call/appointment', { ...pageOf(c, 'video_queue'), startsAt: a.startsAt, timeZone: a.timeZone, zoneName: zoneLabel(a.timeZone, this.languages.of(req)) });
  }

  @Post('appointment/cancel')
  async cancel(@CurrentViewer() viewer: Viewer): Promise<Redirect> {
    await this.appointments.cancel(viewer.accountId);
    return redirect('/call?cancelled=1');
  }

  /** The appointment as an iCalendar file (times in UTC: calendars show them in their own zone). */
  @Get('appointment.ics')
  async ics(@CurrentViewer() viewer: Viewer, @Res({ passthrough: true }) res: Response): Promise<string | Redirect> {
    const a = await this.appointments.current(viewer.accountId);
    if (!a) return redirect('/call');
    res.setHeader('Content-Type', 'text/calendar; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="referee-video-call.ics"');
    res.setHeader('Cache-Control', 'no-store');
    return this.appointments.ics(a);
  }

  /** The call: only for the applicant an agent has taken, and only after agreeing to the recording. */
  @Get('join')
  async joinPage(@CurrentViewer() viewer: Viewer, @Res({ passthrough: true }) res: Response): Promise<View | Redirect> {
    const c = await this.at(viewer, 'video_call');
    if (!('status' in c)) return c;
    const call = await this.calls.activeForApplicant(viewer.accountId);
    if (!call) return redirect('/call');
    return this.joinView(viewer, res, c, call, {});
  }

  private async joinView(viewer: Viewer, res: Response, c: VerificationCase, call: Awaited<ReturnType<CallsService['activeForApplicant']>> & object, errors: FieldErrors): Promise<View> {
    const context: Record<string, unknown> = { ...pageOf(c, 'video_call'), call, siteAddress: new URL(this.calls.siteUrl()).host, errors };
    if (call.recordingConsentAt) {
      const name = [c.firstName, c.lastName].filter(Boolean).join(' ') || viewer.email;
      context.join = await this.calls.joinInfo(call, { id: viewer.accountId, name, email: viewer.email, agent: false });
      const csp = res.getHeader('Content-Security-Policy');
      if (typeof csp === 'string') res.setHeader('Content-Security-Policy', allowJitsi(csp, this.calls.jitsiDomain()));
    }
    return Object.keys(errors).length ? invalidForm('call/join', errors, context) : view('call/join', context);
  }

  /** "I agree to the recording", then "Join Video Call". */
  @Post('join')
  async consent(@CurrentViewer() viewer: Viewer, @Res({ passthrough: true }) res: Response, @Body() body: unknown): Promise<View | Redirect> {
    const c = await this.at(viewer, 'video_call');
    if (!('status' in c)) return c;
    const call = await this.calls.activeForApplicant(viewer.accountId);
    if (!call) return redirect('/call');
    const form = readForm(RecordingConsentForm, body);
    if (form.errors) return this.joinView(viewer, res, c, call, form.errors);
    await this.calls.consent(viewer.accountId);
    return redirect('/call/join');
  }

  /**
   * The video does not work and the applicant would rather book a time: their part of the call
   * ends as not held (the Trusted Referee is told), documents stay approved, and the schedule opens.
   */
  @Post('reschedule')
  async reschedule(@CurrentViewer() viewer: Viewer): Promise<Redirect> {
    const c = await this.at(viewer, 'video_call');
    if (!('status' in c)) return c;
    await this.calls.leaveToBook(viewer.accountId);
    return redirect('/call/schedule');
  }

  /** What call.js reports from the Jitsi IFrame API (joined, left, recording on/off, ready to close). */
  @Post('events')
  @HttpCode(204)
  async events(@CurrentViewer() viewer: Viewer, @Body() body: unknown): Promise<void> {
    const form = readForm(CallEventForm, body);
    if (form.valid) await this.calls.recordEvent(viewer.accountId, form.valid.callId, form.valid.event);
  }

  @Get('verified')
  async verified(@CurrentViewer() viewer: Viewer): Promise<View | Redirect> {
    const c = await this.at(viewer, 'verified');
    if (!('status' in c)) return c;
    return view('call/verified', { ...pageOf(c, 'verified') });
  }

  @Get('failed')
  async failed(@CurrentViewer() viewer: Viewer): Promise<View | Redirect> {
    const c = await this.at(viewer, 'failed');
    if (!('status' in c)) return c;
    return view('call/failed', { ...pageOf(c, 'failed') });
  }
}
