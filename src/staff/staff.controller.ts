import { Body, Controller, Get, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf, AuditService } from '../audit/audit.service';
import { IdentityService, normaliseEmail } from '../identity/identity.service';
import { readForm } from '../web/form';
import { AuditSearch, CertificationForm, RevokeRoleForm, StaffGrantForm } from './forms';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { invalidForm, redirect, view } from '../web/view';
import { ROLE_NAMES, STAFF_ROLES } from './roles';
import { RequireRole, RolesGuard } from './roles.guard';
import { StaffService } from './staff.service';

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
  async revoke(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('id') id: string, @Body() body: unknown) {
    const form = readForm(RevokeRoleForm, body);
    if (!UUID.test(id) || !form.valid) return redirect('/admin/staff');
    const { role } = form.valid;
    if (id === viewer.accountId && role === 'admin') return redirect('/admin/staff?notice=self');
    await this.staff.revoke(id, role, actorOf(req));
    return redirect('/admin/staff?notice=revoked');
  }

  @Post('admin/staff/:id/certify')
  @RequireRole('admin')
  async certify(@Req() req: WebRequest, @Param('id') id: string, @Body() body: unknown) {
    const form = readForm(CertificationForm, body);
    // One date field per row of the staff table: its error is the page's notice.
    if (!UUID.test(id) || !form.valid) return redirect('/admin/staff?notice=bad-date');
    await this.staff.certify(id, form.valid.trainedOn, actorOf(req));
    return redirect('/admin/staff?notice=certified');
  }

  @Get('supervisor/audit')
  @RequireRole('supervisor', 'admin')
  async auditLog(@Query() query: unknown) {
    const search = readForm(AuditSearch, query);
    const { case: caseTyped, actor } = search.valid!;
    const caseId = UUID.test(caseTyped) ? caseTyped : undefined;
    let actorId: string | undefined;
    let actorUnknown = false;
    if (actor) {
      const account = UUID.test(actor) ? { id: actor } : await this.identity.findAccountByEmail(normaliseEmail(actor));
      if (account) actorId = account.id;
      else actorUnknown = true;
    }
    const events = actorUnknown ? [] : await this.audit.search({ caseId, actorId });
    return view('staff/audit', { events, values: { case: search.typed('case'), actor: search.typed('actor') }, actorUnknown });
  }
}
