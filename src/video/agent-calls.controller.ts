import { DocumentFilesService } from '../documents/document-files.service';
import { SubmissionService } from '../documents/submission.service';
import { StaffAccess, type WorkAccess } from '../documents/work-access';
import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { actorOf } from '../audit/audit.service';
import { AGENT_STATUSES } from '../scheduling/agent-status.entity';
import { AppointmentsService } from '../scheduling/appointments.service';
import { isTimeZone, zoneLabel, zoneOptions } from '../scheduling/time-zones';
import { QueueService } from '../scheduling/queue.service';
import { LanguageResolver } from '../i18n/language';
import { RequireRole, RolesGuard } from '../staff/roles.guard';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { readForm } from '../web/form';
import { fileResponse, invalidForm, redirect, view, View, type FieldErrors, type FileResponse, type Redirect } from '../web/view';
import { CallsService } from './calls.service';
import { RecordingsService } from './recordings.service';
import { OUTCOME_LABELS } from './checklist';
import { AgentStatusForm, DayOffForm, NOTES_MAX, ShiftForm, outcomeForm } from './forms';
import { allowJitsi } from './jitsi';
import type { VideoCall } from './video-call.entity';
import { waitPhrase } from '../scheduling/estimate';
import { languageName } from './languages';

/** A page's query string: notices (?done=1) and the time zone the schedule shows (?tz=). */
type Query = Record<string, unknown>;
/** The form's values (and, in agent.schedule.weekdays, the catalog's names for them). */
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The Trusted Referee's calls console: status, "Next applicant", and the call with its checklist. */
@Controller('agent/calls')
@UseGuards(RolesGuard)
@RequireRole('referee')
export class AgentCallsController {
  constructor(
    private readonly queue: QueueService,
    private readonly calls: CallsService,
    private readonly appointments: AppointmentsService,
    private readonly submission: SubmissionService,
    private readonly files: DocumentFilesService,
    private readonly languages: LanguageResolver,
    private readonly access: StaffAccess,
    private readonly recordings: RecordingsService,
  ) {}

  @Get()
  async home(@CurrentViewer() viewer: Viewer, @Query() query: Query): Promise<View> {
    const agentId = viewer.accountId;
    const [status, waiting, estimate, recordings] = await Promise.all([this.queue.agentStatus(agentId), this.queue.waitingCount(), this.queue.estimate(0), this.recordings.watchableOf(agentId)]);
    return view('agent/calls', {
      status,
      statuses: AGENT_STATUSES.filter((s) => s !== 'on_call'),
      waiting,
      // The next applicant's estimate as a whole sentence of the agents' own (agent.calls.nextWait.*).
      headWait: waitPhrase(estimate, 'agent.calls.nextWait'),
      notice: ['empty', 'not-certified', 'done'].find((n) => n in query),
      recordings,
    });
  }

  @Post('status')
  async setStatus(@CurrentViewer() viewer: Viewer, @Body() body: unknown): Promise<Redirect> {
    const form = readForm(AgentStatusForm, body);
    if (form.valid) await this.queue.setAgentStatus(viewer.accountId, form.valid.status);
    return redirect('/agent/calls');
  }

  /** "Next applicant": appointments due first (when built), then the queue in order; atomic across agents. */
  @Post('next')
  async next(@CurrentViewer() viewer: Viewer): Promise<Redirect> {
    const call = await this.calls.next(viewer.accountId);
    if (call === 'not-certified') return redirect('/agent/calls?not-certified=1');
    if (!call) return redirect('/agent/calls?empty=1');
    return redirect(`/agent/calls/${call.id}`);
  }

  /** The agent's weekly hours (in their own time zone), days off, and upcoming appointments shown in that zone. */
  @Get('schedule')
  async schedule(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Query() query: Query): Promise<View> {
    const agentId = viewer.accountId;
    const language = this.languages.of(req);
    const [shifts, upcoming] = await Promise.all([this.appointments.shiftsOf(agentId), this.appointments.upcomingFor(agentId)]);
    const zone = isTimeZone(query.tz) ? query.tz : (shifts[0]?.timeZone ?? 'UTC');
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    return view('agent/calls-schedule', {
      zone,
      // Zones by their names in the reader's language, never their identifiers.
      zoneName: zoneLabel(zone, language),
      zones: zoneOptions(language),
      weekdays: WEEKDAYS,
      shifts: shifts.map((s) => ({ day: WEEKDAYS[s.weekday], from: hhmm(s.startMinute), to: hhmm(s.endMinute), zoneName: zoneLabel(s.timeZone, language) })),
      upcoming: upcoming.map((a) => ({ startsAt: a.startsAt, timeZone: a.timeZone, zoneName: zoneLabel(a.timeZone, language) })),
      notice: ['added', 'invalid'].find((n) => n in query),
    });
  }

  @Post('shifts')
  async addShift(@CurrentViewer() viewer: Viewer, @Body() body: unknown): Promise<Redirect> {
    const form = readForm(ShiftForm, body);
    const added = !!form.valid && (await this.appointments.addShiftFromForm(viewer.accountId, form.valid));
    return redirect(added ? '/agent/calls/schedule?added=1' : '/agent/calls/schedule?invalid=1');
  }

  @Post('days-off')
  async addDayOff(@CurrentViewer() viewer: Viewer, @Body() body: unknown): Promise<Redirect> {
    const form = readForm(DayOffForm, body);
    if (!form.valid) return redirect('/agent/calls/schedule?invalid=1');
    await this.appointments.addDayOff(viewer.accountId, form.valid.date);
    return redirect('/agent/calls/schedule?added=1');
  }

  /**
   * The call when the viewer holds it now (StaffAccess: in progress, theirs, not released).
   * Otherwise the referee a supervisor took it from is told so (no personal data), and
   * everyone else, the referee whose call has ended included, gets a stranger's 404.
   */
  private async held(viewer: Viewer, id: string): Promise<VideoCall | View> {
    const agentId = viewer.accountId;
    const call = (await this.access.heldCase(agentId, { call: id })) && (await this.calls.ofAgent(agentId, id));
    return call || this.notHeld(viewer, id);
  }

  private async notHeld(viewer: Viewer, id: string): Promise<View> {
    return this.endedWithoutOutcome(await this.calls.ofAgent(viewer.accountId, id));
  }

  /**
   * A call of this referee's that ended without them: a supervisor released it, or the applicant
   * left to book an appointment. Say which (409) and lead back to the calls console, instead of an error.
   */
  private endedWithoutOutcome(call: VideoCall | null): View {
    if (call?.releasedAt) return view('agent/call-released', {}, 409);
    if (call?.leftToBookAt) return view('agent/call-left-to-book', {}, 409);
    throw new NotFoundException();
  }

  /** Who may read the call's details and images now (StaffAccess), and the call; else as held() answers. */
  private async readable(viewer: Viewer, id: string): Promise<{ call: VideoCall; access: WorkAccess } | View> {
    const access = await this.access.of(viewer.accountId, { call: id });
    const call = access && (await this.calls.byId(id));
    return access && call ? { call, access } : this.notHeld(viewer, id);
  }

  private async consoleView(req: WebRequest, viewer: Viewer, res: Response, call: VideoCall, as: WorkAccess['as'], extra: Record<string, unknown> = {}): Promise<View> {
    const details = await this.calls.detailsFor(call, actorOf(req), as);
    // The images the reviewer approved, to compare with the originals shown on camera.
    const items = await this.submission.state(call.verificationCase);
    const images = items.flatMap((item) =>
      item.sides.filter((side) => item.files[side.key]).map((side) => ({ id: item.files[side.key]!.id, document: item.doc.label, side: side.text, pdf: item.files[side.key]!.mime === 'application/pdf' })),
    );
    // The call's language in the agent's own language ("japonés" for a Spanish-speaking agent).
    const callLanguage = details.preferences.language;
    const callLanguageName = languageName(callLanguage, this.languages.of(req)) ?? callLanguage;
    // A supervisor's look is read only: no video, no forms.
    const recording = await this.recordings.stateOf(call);
    const context: Record<string, unknown> = { call, details, images, recording, outcomes: OUTCOME_LABELS, callLanguageName, notesMax: NOTES_MAX, values: {}, readOnly: as !== 'holder', ...extra };
    if (call.status === 'active' && as === 'holder') {
      context.join = await this.calls.joinInfo(call, { id: viewer.accountId, name: `Trusted Referee (${viewer.email})`, email: viewer.email, agent: true });
      const csp = res.getHeader('Content-Security-Policy');
      if (typeof csp === 'string') res.setHeader('Content-Security-Policy', allowJitsi(csp, this.calls.jitsiDomain()));
    }
    return view('agent/calls-console', context);
  }

  /** The console: the applicant's details (each view audit-logged), the call, the checklist and the outcome; read only for a supervisor. */
  @Get(':id')
  @RequireRole('referee', 'supervisor')
  async console(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Param('id') id: string, @Query() query: Query): Promise<View> {
    const readable = await this.readable(viewer, id);
    if (readable instanceof View) return readable;
    return this.consoleView(req, viewer, res, readable.call, readable.access.as, { notice: 'code' in query ? 'code' : undefined });
  }

  /**
   * The call's recording, for the Trusted Referee who ran it until its outcome is final (their
   * console closes with the call) and for supervisors: its state and a player, nothing else
   * of the applicant's. 404 for anyone else.
   */
  @Get(':id/recording')
  @RequireRole('referee', 'supervisor')
  async recording(@CurrentViewer() viewer: Viewer, @Param('id') id: string): Promise<View> {
    const found = await this.recordings.callForViewer(viewer.accountId, id);
    if (!found) throw new NotFoundException();
    return view('agent/call-recording', { call: found.call, recording: found.recording });
  }

  /** One approved document image of this call's case (each view audit-logged). */
  @Get(':id/file/:fileId')
  @RequireRole('referee', 'supervisor')
  async file(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('id') id: string, @Param('fileId') fileId: string): Promise<FileResponse> {
    // Images never get the released notice: what a stranger gets.
    const access = await this.access.of(viewer.accountId, { call: id });
    const file = access && (await this.files.fileOfCase(access.caseId, fileId));
    if (!access || !file) throw new NotFoundException();
    await this.files.auditView(actorOf(req), access.caseId, 'documents.image_viewed', file.id, { item: file.item, side: file.side, during: 'call', as: access.as, role: access.as === 'holder' ? 'referee' : 'supervisor' });
    return fileResponse(file.mime, await this.files.contents(file));
  }

  @Post(':id/code')
  async sendCode(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('id') id: string): Promise<Redirect | View> {
    const held = await this.held(viewer, id);
    if (held instanceof View) return held;
    await this.calls.sendCode(viewer.accountId, id, { ...actorOf(req), actorId: viewer.accountId });
    return redirect(`/agent/calls/${id}?code=sent`);
  }

  /** A guest link for a third-party interpreter (not moderator, expires with the call's tokens), shown to the agent to send. */
  @Post(':id/interpreter')
  async interpreter(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<View> {
    const call = await this.held(viewer, id);
    if (call instanceof View) return call;
    const link = await this.calls.interpreterLink(viewer.accountId, id, { ...actorOf(req), actorId: viewer.accountId });
    if (!link) throw new NotFoundException();
    return this.consoleView(req, viewer, res, call, 'holder', { interpreterLink: link });
  }

  @Post(':id/outcome')
  async outcome(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Param('id') id: string, @Body() body: unknown): Promise<View | Redirect> {
    const call = await this.held(viewer, id);
    if (call instanceof View) return call;
    const helper = !!(await this.calls.preferencesOf(call.verificationCase.id)).helper;
    const form = readForm(outcomeForm(call.verificationCase, helper), body);
    let errors: FieldErrors = form.errors ?? {};
    if (form.valid) {
      const done = await this.calls.complete(viewer.accountId, id, form.valid, { ...actorOf(req), actorId: viewer.accountId });
      if (done === 'done') return redirect('/agent/calls?done=1');
      // Released, or the applicant left to book, while the form was being filled in.
      if (done === 'not-found') return this.endedWithoutOutcome(await this.calls.ofAgent(viewer.accountId, id));
      errors = { code: 'agent.call.errors.codeMismatch' };
    }
    // The form again with what the referee typed and ticked.
    const values = body && typeof body === 'object' ? Object.fromEntries(Object.keys(body).map((field) => [field, form.typed(field)])) : {};
    const shown = await this.consoleView(req, viewer, res, call, 'holder', { values });
    return invalidForm(shown.template, errors, shown.context);
  }
}
