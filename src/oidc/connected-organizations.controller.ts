import { Controller, Get, Param, Post, Query, UseGuards } from '@nestjs/common';
import { SignedInGuard } from '../identity/signed-in.guard';
import type { Viewer } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { redirect, view } from '../web/view';
import { describeScopes } from './claims';
import { GrantsService } from './grants.service';
import { OidcProviderService } from './provider.service';

/** "Connected organizations" (linked from the account page), and the way back to an organization after verifying. */
@Controller()
@UseGuards(SignedInGuard)
export class ConnectedOrganizationsController {
  constructor(
    private readonly grants: GrantsService,
    private readonly oidc: OidcProviderService,
  ) {}

  @Get('account/organizations')
  async list(@CurrentViewer() viewer: Viewer, @Query('stopped') stopped: unknown) {
    const connected = await this.grants.connectedOrganizations(viewer.accountId);
    const organizations = connected.map((o) => ({ ...o, scopes: describeScopes(o.scopes) }));
    // `stopped` is a client id: the banner names the organization as the database knows it.
    return view('oidc/connected-organizations', { organizations, stopped: await this.grants.stoppedSharingWith(viewer.accountId, stopped, connected) });
  }

  @Post('account/organizations/:clientId/revoke')
  async revoke(@CurrentViewer() viewer: Viewer, @Param('clientId') clientId: string) {
    const organizations = await this.grants.connectedOrganizations(viewer.accountId);
    const organization = organizations.find((o) => o.clientId === clientId);
    if (organization) await this.grants.revoke(viewer.accountId, clientId);
    return redirect(`/account/organizations${organization ? `?stopped=${encodeURIComponent(organization.clientId)}` : ''}`);
  }

  /**
   * Back to the organization that sent this person to verify: to the request still waiting
   * in this browser, or, days later, to the organization's own sign-in (OpenID Connect
   * Core §4, initiate_login_uri), where "Sign in with Referee" starts afresh.
   */
  @Get('return-to-organization')
  async returnToOrganization(@CurrentViewer() viewer: Viewer) {
    const pending = await this.grants.pendingReturn(viewer.accountId);
    if (!pending) return redirect('/account');
    const organization = pending.organization;
    // Still open: its page checks that it is this browser's (else it sends the person back here, without it).
    if (pending.interactionUid && (await this.oidc.provider.Interaction.find(pending.interactionUid))) {
      return redirect(`/interaction/${pending.interactionUid}`);
    }
    if (organization.initiateLoginUri) {
      const url = new URL(organization.initiateLoginUri);
      url.searchParams.set('iss', this.oidc.provider.issuer);
      return redirect(url.toString());
    }
    return view('oidc/return', { organization });
  }
}
