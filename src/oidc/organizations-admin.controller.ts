import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf, AuditService } from '../audit/audit.service';
import { RequireRole, RolesGuard } from '../staff/roles.guard';
import type { WebRequest } from '../web/request';
import { invalidForm, redirect, view } from '../web/view';
import { readForm } from '../web/form';
import { NewOrganizationForm, OrganizationForm } from './forms';
import { OrganizationInputError, OrganizationsService } from './organizations.service';

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
  async create(@Req() req: WebRequest, @Body() body: unknown) {
    const form = readForm(NewOrganizationForm, body);
    if (!form.valid) return invalidForm('oidc/admin-organizations', form.errors, { organizations: await this.organizations.list(), values: body });
    try {
      const { organization, clientSecret } = await this.organizations.create(form.valid);
      await this.audit.record({ action: 'organization.created', ...actorOf(req), subject: organization.clientId });
      return view('oidc/admin-organization-created', { organization, clientSecret });
    } catch (error) {
      if (!(error instanceof OrganizationInputError)) throw error;
      return invalidForm('oidc/admin-organizations', { [error.field]: error.key }, { organizations: await this.organizations.list(), values: body });
    }
  }

  @Get(':clientId')
  async edit(@Param('clientId') clientId: string) {
    const organization = await this.organizations.findByClientId(clientId);
    if (!organization) throw new NotFoundException();
    return view('oidc/admin-organization', { organization, values: { ...organization, redirectUris: organization.redirectUris.join('\n') } });
  }

  @Post(':clientId')
  async update(@Req() req: WebRequest, @Param('clientId') clientId: string, @Body() body: unknown) {
    const organization = await this.organizations.findByClientId(clientId);
    if (!organization) throw new NotFoundException();
    const form = readForm(OrganizationForm, body);
    if (!form.valid) return invalidForm('oidc/admin-organization', form.errors, { organization, values: body });
    try {
      await this.organizations.update(clientId, form.valid);
      await this.audit.record({ action: 'organization.updated', ...actorOf(req), subject: clientId });
      return redirect('/admin/organizations');
    } catch (error) {
      if (!(error instanceof OrganizationInputError)) throw error;
      return invalidForm('oidc/admin-organization', { [error.field]: error.key }, { organization, values: body });
    }
  }
}
