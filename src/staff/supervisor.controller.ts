import { Body, Controller, Get, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf } from '../audit/audit.service';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { readForm } from '../web/form';
import { invalidForm, redirect, view } from '../web/view';
import { lineChart, stackedBarChart } from './charts';
import { RequireRole, RolesGuard } from './roles.guard';
import { HISTORY_HOURS, OUTCOME_DAYS, PERIOD_DAYS, SAMPLE_MINUTES } from '../reporting/figures';
import { DashboardQuery, ReassignReviewForm, ReleaseCallForm, ReleaseReviewForm } from './forms';
import { RecordingsService } from '../video/recordings.service';
import { SupervisorService } from './supervisor.service';

const NOTICES = ['released', 'reassigned', 'call-released'];

/**
 * The supervisor's live view: the work waiting (document review and calls), how long it
 * waits, the estimate applicants see, agents by status, today's outcomes, per-agent figures,
 * two charts, and the claimed work a supervisor can release or reassign. The page polls its
 * own live part (htmx, ?live=1: the lighter query set), so it updates without a reload.
 */
@Controller('supervisor')
@UseGuards(RolesGuard)
@RequireRole('supervisor')
export class SupervisorController {
  constructor(
    private readonly supervisor: SupervisorService,
    private readonly recordings: RecordingsService,
  ) {}

  @Get()
  async dashboard(@CurrentViewer() viewer: Viewer, @Query() query: unknown) {
    const { live, done } = readForm(DashboardQuery, query).valid!;
    const data = await this.supervisor.dashboard(viewer.accountId, { live });
    // Consented calls whose recording never came, and recordings received (the full page only: they change slowly).
    const [missingRecordings, recentRecordings] = live ? [] : await Promise.all([this.recordings.missing(), this.recordings.recent()]);
    // The chart functions are called from the template, which holds every label (for translation);
    // the periods are numbers in the messages, so the words follow the code.
    const periods = { historyHours: HISTORY_HOURS, sampleMinutes: SAMPLE_MINUTES, outcomeDays: OUTCOME_DAYS, periodDays: PERIOD_DAYS };
    return view('staff/supervisor', { ...data, ...periods, missingRecordings, recentRecordings, chart: { line: lineChart, bars: stackedBarChart }, notice: NOTICES.find((n) => n === done) });
  }

  // ---- A claimed document review: release or reassign ------------------------------------------

  @Get('reviews/:caseId')
  async review(@CurrentViewer() viewer: Viewer, @Param('caseId') caseId: string) {
    const claim = await this.supervisor.reviewClaim(viewer.accountId, caseId);
    return view('staff/supervisor-review', { caseId, claim, claimMinutes: this.supervisor.claimMinutes, values: {} }, claim ? 200 : 409);
  }

  @Post('reviews/:caseId/release')
  async releaseReview(@Req() req: WebRequest, @Param('caseId') caseId: string, @Body() body: unknown) {
    const { from } = readForm(ReleaseReviewForm, body).valid!;
    const done = await this.supervisor.releaseReview({ ...actorOf(req) }, caseId, from);
    if (done === 'released') return redirect('/supervisor?done=released');
    return view('staff/supervisor-review', { caseId, changed: true, values: {} }, 409);
  }

  @Post('reviews/:caseId/reassign')
  async reassignReview(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('caseId') caseId: string, @Body() body: unknown) {
    const { from, to } = readForm(ReassignReviewForm, body).valid!;
    const done = await this.supervisor.reassignReview({ ...actorOf(req) }, caseId, from, to);
    if (done === 'reassigned') return redirect('/supervisor?done=reassigned');
    const claim = await this.supervisor.reviewClaim(viewer.accountId, caseId);
    if (done === 'changed' || !claim || claim.reviewerId !== from) return view('staff/supervisor-review', { caseId, claim, changed: true, values: {} }, 409);
    // 'not-on-duty': the reviewer chosen is not (or no longer) signed in; the list shows who is.
    return invalidForm('staff/supervisor-review', { to: 'staff.supervisor.errors.reviewer' }, { caseId, claim, claimMinutes: this.supervisor.claimMinutes, values: { to } });
  }

  // ---- A call in progress: release -------------------------------------------------------------

  @Get('calls/:callId')
  async call(@CurrentViewer() viewer: Viewer, @Param('callId') callId: string) {
    const call = await this.supervisor.callInProgress(viewer.accountId, callId);
    return view('staff/supervisor-call', { callId, call }, call ? 200 : 409);
  }

  @Post('calls/:callId/release')
  async releaseCall(@Req() req: WebRequest, @Param('callId') callId: string, @Body() body: unknown) {
    const { agent } = readForm(ReleaseCallForm, body).valid!;
    const done = await this.supervisor.releaseCall({ ...actorOf(req) }, callId, agent);
    if (done === 'released') return redirect('/supervisor?done=call-released');
    return view('staff/supervisor-call', { callId, changed: true }, 409);
  }
}
