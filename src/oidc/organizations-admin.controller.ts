import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf, AuditService } from '../audit/audit.service';
import { RequireRole, RolesGuard } from '../staff/roles.guard';
import type { WebRequest } from '../web/request';
import { invalidForm, redirect, view } from '../web/view';
import { OrganizationInputError, OrganizationsService, type OrganizationInput } from './organizations.service';

type Form = Record<string, unknown>;
const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
const lines = (value: unknown) => text(value).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);

/** The form's fields as the service takes them; the service validates every URL. */
function inputOf(form: Form): Partial<OrganizationInput> {
  return {
    name: text(form.name),
    redirectUris: lines(form.redirectUris),
    logoUri: text(form.logoUri) || undefined,
    initiateLoginUri: text(form.initiateLoginUri) || undefined,
    requiresSsn: form.requiresSsn === 'yes',
  };
}

/** Admins list, add and edit organizations (OpenID Connect clients), as `npm run org` does. */
@Controller('admin/organizations')
@UseGuards(RolesGuard)
@RequireRole('admin')
export class OrganizationsAdminController {
  constructor(private readonly organizations: OrganizationsService, private readonly audit: AuditService) {}

  @Get()
  async list(@Query('created') created: unknown) {
    return view('oidc/admin-organizations', { organizations: await this.organizations.list(), values: { redirectUris: '' }, created: created === '1' });
  }

  @Post()
  async create(@Req() req: WebRequest, @Body() form: Form) {
    const input = inputOf(form);
    if (!input.name) return invalidForm('oidc/admin-organizations', { name: 'oidc.admin.errors.name' }, { organizations: await this.organizations.list(), values: form });
    try {
      const { organization, clientSecret } = await this.organizations.create(input as OrganizationInput);
      await this.audit.record({ action: 'organization.created', ...actorOf(req), subject: organization.clientId });
      return view('oidc/admin-organization-created', { organization, clientSecret });
    } catch (error) {
      if (!(error instanceof OrganizationInputError)) throw error;
      return invalidForm('oidc/admin-organizations', { [error.field]: error.key }, { organizations: await this.organizations.list(), values: form });
    }
  }

  @Get(':clientId')
  async edit(@Param('clientId') clientId: string) {
    const organization = await this.organizations.findByClientId(clientId);
    if (!organization) throw new NotFoundException();
    return view('oidc/admin-organization', { organization, values: { ...organization, redirectUris: organization.redirectUris.join('\n') } });
  }

  @Post(':clientId')
  async update(@Req() req: WebRequest, @Param('clientId') clientId: string, @Body() form: Form) {
    const organization = await this.organizations.findByClientId(clientId);
    if (!organization) throw new NotFoundException();
    try {
      await this.organizations.update(clientId, inputOf(form));
      await this.audit.record({ action: 'organization.updated', ...actorOf(req), subject: clientId });
      return redirect('/admin/organizations');
    } catch (error) {
      if (!(error instanceof OrganizationInputError)) throw error;
      return invalidForm('oidc/admin-organization', { [error.field]: error.key }, { organization, values: form });
    }
  }
}
