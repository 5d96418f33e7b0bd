import { Controller, Get, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { SignedInGuard } from '../identity/signed-in.guard';
import type { Viewer } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { redirect, view } from '../web/view';
import { describeScopes, VERIFIED_IDENTITIES, type VerifiedIdentities } from './claims';
import { GrantsService } from './grants.service';
import { OidcProviderService } from './provider.service';
import { ReturnsService } from './returns.service';

/** "Connected organizations" (linked from the account page), and the way back to an organization after verifying. */
@Controller()
@UseGuards(SignedInGuard)
export class ConnectedOrganizationsController {
  constructor(
    private readonly grants: GrantsService,
    private readonly oidc: OidcProviderService,
    private readonly returns: ReturnsService,
    @Inject(VERIFIED_IDENTITIES) private readonly verifiedIdentities: VerifiedIdentities,
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
   * Back to the organization that sent this person (ReturnsService.wayBack): into its request
   * while it is open (its page checks that it is this browser's, else it sends the person back
   * here without it), or, days later, a page linking to the organization's registered start
   * address, where "Sign in with Referee" starts afresh.
   */
  @Get('return-to-organization')
  async returnToOrganization(@CurrentViewer() viewer: Viewer) {
    const way = await this.returns.wayBack(viewer.accountId, this.oidc.provider.issuer);
    if (!way) return redirect('/account');
    if ('to' in way) return redirect(way.to);
    return view('oidc/return', { organization: way.organization, startUrl: way.startUrl, verified: !!(await this.verifiedIdentities.findVerified(viewer.accountId)) });
  }
}
