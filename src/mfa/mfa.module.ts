import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { IdentityModule } from '../identity/identity.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { OidcModule } from '../oidc/oidc.module';
import { StaffModule } from '../staff/staff.module';
import { ChallengeController } from './challenge.controller';
import { MfaService } from './mfa.service';
import { PasskeysService } from './passkeys.service';
import { SecondFactorGuard } from './second-factor.guard';
import { SetupController } from './setup.controller';

@Module({
  imports: [IdentityModule, NotificationsModule, StaffModule, OidcModule, CryptoModule],
  controllers: [ChallengeController, SetupController],
  providers: [MfaService, PasskeysService, SecondFactorGuard],
  exports: [MfaService],
})
export class MfaModule {}
