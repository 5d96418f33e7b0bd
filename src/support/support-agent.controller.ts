import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf } from '../audit/audit.service';
import { RequireRole, RolesGuard } from '../staff/roles.guard';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { readForm } from '../web/form';
import { invalidForm, redirect, view } from '../web/view';
import { SUPPORT_LABELS } from './categories';
import { AnswerForm, QueueFilters, STATUS_FILTERS, typedValues } from './forms';
import { REFERENCE, SupportService } from './support.service';

const QUEUE_LABELS = Object.fromEntries(STATUS_FILTERS.map((s) => [s, `support.queue.filter.${s}`])) as Record<(typeof STATUS_FILTERS)[number], string>;

/** The support queue (support agents and supervisors) and fraud reports (supervisors). */
@Controller()
@UseGuards(RolesGuard)
export class SupportAgentController {
  constructor(private readonly support: SupportService) {}

  @Get('agent/support')
  @RequireRole('support', 'supervisor')
  async queue(@Query() query: unknown) {
    const { status, fraud: fraudOnly, reference: typed } = readForm(QueueFilters, query).valid!;
    const reference = REFERENCE.test(typed) ? typed : undefined;
    // A reference finds its request whatever its status; one that cannot exist finds nothing.
    const requests = typed && !reference ? [] : await this.support.queue({ status: reference ? 'all' : status, fraudOnly, reference });
    return view('support/queue', { requests, status, fraudOnly, reference: typed, statuses: STATUS_FILTERS, queueLabels: QUEUE_LABELS, ...SUPPORT_LABELS });
  }

  @Get('agent/support/:id')
  @RequireRole('support', 'supervisor')
  async show(@Req() req: WebRequest, @Param('id') id: string, @Query('answered') answered: unknown, @Query('closed') closed: unknown) {
    const shown = await this.support.openForStaff(id, actorOf(req), req.staffRole);
    if (!shown) throw new NotFoundException();
    const notice = answered !== undefined ? 'answered' : closed !== undefined ? 'closed' : undefined;
    return view('support/agent-request', { ...shown, values: {}, notice, ...SUPPORT_LABELS });
  }

  @Post('agent/support/:id/answer')
  @RequireRole('support', 'supervisor')
  async answer(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('id') id: string, @Body() body: unknown) {
    const form = readForm(AnswerForm, body);
    if (form.valid) {
      const { answer, seen, close } = form.valid;
      const outcome = await this.support.answer(id, answer, seen, close, { ...actorOf(req), actorId: viewer.accountId });
      if (outcome === 'answered') return redirect(`/agent/support/${id}?answered=1`);
      if (outcome === 'not-found') throw new NotFoundException();
    }
    const shown = await this.support.openForStaff(id, actorOf(req), req.staffRole);
    if (!shown) throw new NotFoundException();
    const context = { ...shown, values: typedValues(form, ['answer']), ...SUPPORT_LABELS };
    if (!form.valid) return invalidForm('support/agent-request', form.errors, context);
    // 'changed': the person wrote again since the page was opened; the answer is shown with their new message.
    return view('support/agent-request', { ...context, changed: true }, 409);
  }

  @Post('agent/support/:id/close')
  @RequireRole('support', 'supervisor')
  async close(@Req() req: WebRequest, @Param('id') id: string) {
    await this.support.close(id, actorOf(req));
    return redirect(`/agent/support/${id}?closed=1`);
  }

  @Get('supervisor/fraud-reports')
  @RequireRole('supervisor')
  async fraudReports(@Query('notice') notice: unknown) {
    const reports = await this.support.fraudReports();
    return view('support/fraud-reports', { reports, notice: notice === 'reviewed' ? notice : undefined, ...SUPPORT_LABELS });
  }

  @Post('supervisor/fraud-reports/:id/reviewed')
  @RequireRole('supervisor')
  async reviewed(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('id') id: string) {
    await this.support.markReviewed(id, { ...actorOf(req), actorId: viewer.accountId });
    return redirect('/supervisor/fraud-reports?notice=reviewed');
  }
}
