import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { IdentityModule } from '../identity/identity.module';
import { StaffModule } from '../staff/staff.module';
import { OrganizationsAdminController } from './organizations-admin.controller';
import { VERIFIED_IDENTITIES } from './claims';
import { ConnectedOrganizationsController } from './connected-organizations.controller';
import { GrantsService } from './grants.service';
import { InteractionController } from './interaction.controller';
import { OrganizationsService } from './organizations.service';
import { ReturnsModule } from './returns.module';
import { OidcProviderService } from './provider.service';
import { SigningKeysService } from './signing-keys.service';
import { VerifiedIdentitiesService } from '../verified-identity/verified-identities.service';
import { VerifiedIdentityModule } from '../verified-identity/verified-identity.module';

/**
 * Referee as an OpenID provider: oidc-provider mounted at /oidc (app.ts), its interactions,
 * organizations (clients), consent grants and the verified claims it shares.
 */
@Module({
  imports: [IdentityModule, StaffModule, CryptoModule, VerifiedIdentityModule, ReturnsModule],
  controllers: [InteractionController, ConnectedOrganizationsController, OrganizationsAdminController],
  providers: [
    OrganizationsService,
    SigningKeysService,
    GrantsService,
    { provide: VERIFIED_IDENTITIES, useExisting: VerifiedIdentitiesService },
    OidcProviderService,
  ],
  exports: [OrganizationsService, VERIFIED_IDENTITIES, GrantsService, OidcProviderService],
})
export class OidcModule {}
