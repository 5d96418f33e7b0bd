import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf } from '../audit/audit.service';
import { RequireRole, RolesGuard } from '../staff/roles.guard';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { invalidForm, redirect, view } from '../web/view';
import { isOneOf, REQUEST_STATUSES, SUPPORT_LABELS, type RequestStatus } from './categories';
import { parseMessage } from './forms';
import { REFERENCE, SupportService } from './support.service';

type Form = Record<string, unknown>;
const STATUS_FILTERS = [...REQUEST_STATUSES, 'all'] as const;
const QUEUE_LABELS = Object.fromEntries(STATUS_FILTERS.map((s) => [s, `support.queue.filter.${s}`])) as Record<(typeof STATUS_FILTERS)[number], string>;

/** The support queue (support agents and supervisors) and fraud reports (supervisors). */
@Controller()
@UseGuards(RolesGuard)
export class SupportAgentController {
  constructor(private readonly support: SupportService) {}

  @Get('agent/support')
  @RequireRole('support', 'supervisor')
  async queue(@Query() query: Form) {
    const status: RequestStatus | 'all' = isOneOf(STATUS_FILTERS, query.status) ? query.status : 'open';
    const fraudOnly = query.fraud === '1';
    const typed = typeof query.reference === 'string' ? query.reference.trim().toUpperCase() : '';
    const reference = REFERENCE.test(typed) ? typed : undefined;
    // A reference finds its request whatever its status; one that cannot exist finds nothing.
    const requests = typed && !reference ? [] : await this.support.queue({ status: reference ? 'all' : status, fraudOnly, reference });
    return view('support/queue', { requests, status, fraudOnly, reference: typed, statuses: STATUS_FILTERS, queueLabels: QUEUE_LABELS, ...SUPPORT_LABELS });
  }

  @Get('agent/support/:id')
  @RequireRole('support', 'supervisor')
  async show(@Req() req: WebRequest, @Param('id') id: string, @Query() query: Form) {
    const shown = await this.support.openForStaff(id, actorOf(req));
    if (!shown) throw new NotFoundException();
    return view('support/agent-request', { ...shown, values: {}, notice: ['answered', 'closed'].find((key) => key in query), ...SUPPORT_LABELS });
  }

  @Post('agent/support/:id/answer')
  @RequireRole('support', 'supervisor')
  async answer(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('id') id: string, @Body() form: Form) {
    const parsed = parseMessage(form, 'answer', 'support.errors.enterAnswer');
    const seen = typeof form.seen === 'string' && /^\d{1,6}$/.test(form.seen) ? Number(form.seen) : -1;
    const outcome = parsed.valid ? await this.support.answer(id, parsed.valid, seen, form.close === 'yes', { ...actorOf(req), actorId: viewer.accountId }) : undefined;
    if (outcome === 'answered') return redirect(`/agent/support/${id}?answered=1`);
    if (outcome === 'not-found') throw new NotFoundException();
    const shown = await this.support.openForStaff(id, actorOf(req));
    if (!shown) throw new NotFoundException();
    const context = { ...shown, values: parsed.values, ...SUPPORT_LABELS };
    if (outcome === 'changed') return view('support/agent-request', { ...context, changed: true }, 409);
    return invalidForm('support/agent-request', parsed.errors, context);
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
