import { Body, Controller, Get, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf, AuditService } from '../audit/audit.service';
import { IdentityService, normaliseEmail } from '../identity/identity.service';
import { readForm } from '../web/form';
import { StaffGrantForm } from './forms';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { invalidForm, redirect, view } from '../web/view';
import { isStaffRole, ROLE_NAMES, STAFF_ROLES } from './roles';
import { RequireRole, RolesGuard } from './roles.guard';
import { StaffService } from './staff.service';

type Form = Record<string, unknown>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Admins manage staff; supervisors read the audit log. */
@Controller()
@UseGuards(RolesGuard)
export class StaffController {
  constructor(
    private readonly staff: StaffService,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
  ) {}

  private async staffPage(extra: Record<string, unknown> = {}, status = 200) {
    const members = await this.staff.list();
    return view('staff/staff', { members, roleNames: ROLE_NAMES, roles: STAFF_ROLES, values: {}, ...extra }, status);
  }

  @Get('admin/staff')
  @RequireRole('admin')
  list(@Query('notice') notice: unknown) {
    return this.staffPage({ notice: typeof notice === 'string' ? notice : undefined });
  }

  @Post('admin/staff')
  @RequireRole('admin')
  async grant(@Req() req: WebRequest, @Body() body: unknown) {
    const form = readForm(StaffGrantForm, body);
    if (!form.valid) {
      const page = await this.staffPage();
      return invalidForm('staff/staff', form.errors, { ...page.context, values: { email: form.typed('email'), role: form.typed('role') } });
    }
    const { email, role } = form.valid;
    const result = await this.staff.grant(email, [role], actorOf(req));
    // A new staff member chooses their own password from the emailed link.
    if (result.created) await this.identity.requestPasswordReset(email);
    return redirect(`/admin/staff?notice=${result.created ? 'invited' : 'granted'}`);
  }

  @Post('admin/staff/:id/revoke')
  @RequireRole('admin')
  async revoke(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('id') id: string, @Body() form: Form) {
    if (!UUID.test(id) || !isStaffRole(form.role)) return redirect('/admin/staff');
    if (id === viewer.accountId && form.role === 'admin') return redirect('/admin/staff?notice=self');
    await this.staff.revoke(id, form.role, actorOf(req));
    return redirect('/admin/staff?notice=revoked');
  }

  @Post('admin/staff/:id/certify')
  @RequireRole('admin')
  async certify(@Req() req: WebRequest, @Param('id') id: string, @Body() form: Form) {
    const trained = typeof form.trainedOn === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(form.trainedOn) ? new Date(`${form.trainedOn}T00:00:00Z`) : undefined;
    if (!UUID.test(id) || !trained || Number.isNaN(trained.getTime()) || trained.getTime() > Date.now()) return redirect('/admin/staff?notice=bad-date');
    await this.staff.certify(id, trained, actorOf(req));
    return redirect('/admin/staff?notice=certified');
  }

  @Get('supervisor/audit')
  @RequireRole('supervisor', 'admin')
  async auditLog(@Query() query: Form) {
    const caseId = typeof query.case === 'string' && UUID.test(query.case.trim()) ? query.case.trim() : undefined;
    let actorId: string | undefined;
    let actorUnknown = false;
    if (typeof query.actor === 'string' && query.actor.trim()) {
      const email = normaliseEmail(query.actor);
      const account = UUID.test(query.actor.trim()) ? { id: query.actor.trim() } : await this.identity.findAccountByEmail(email);
      if (account) actorId = account.id;
      else actorUnknown = true;
    }
    const events = actorUnknown ? [] : await this.audit.search({ caseId, actorId });
    return view('staff/audit', { events, values: { case: query.case ?? '', actor: query.actor ?? '' }, actorUnknown });
  }
}
