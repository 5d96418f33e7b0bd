import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { IdentityModule } from '../identity/identity.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ReturnsModule } from '../oidc/returns.module';
import { StaffModule } from '../staff/staff.module';
import { VerifiedIdentityModule } from '../verified-identity/verified-identity.module';
import { BackupCodesService } from './backup-codes.service';
import { ChallengeController } from './challenge.controller';
import { ChallengePage } from './challenge-page';
import { CodeGeneratorService } from './code-generator.service';
import { MfaMethodsService } from './mfa-methods.service';
import { PasskeysService } from './passkeys.service';
import { PendingStepsService } from './pending-steps.service';
import { PhoneCodesService } from './phone-codes.service';
import { ReauthenticationService } from './reauthentication.service';
import { RecoveryService } from './recovery.service';
import { RememberedBrowsersService } from './remembered-browsers.service';
import { SecondFactorGuard } from './second-factor.guard';
import { SetupController } from './setup.controller';
import { SignInService } from './sign-in.service';
import { TriesService } from './tries.service';

/** One service per responsibility; TriesService, PendingStepsService and MfaMethodsService are shared by the kinds of method. */
const SERVICES = [
  TriesService,
  PendingStepsService,
  MfaMethodsService,
  RememberedBrowsersService,
  CodeGeneratorService,
  PhoneCodesService,
  BackupCodesService,
  PasskeysService,
  RecoveryService,
  ReauthenticationService,
  SignInService,
  ChallengePage,
];

@Module({
  imports: [IdentityModule, NotificationsModule, StaffModule, VerifiedIdentityModule, CryptoModule, ReturnsModule],
  controllers: [ChallengeController, SetupController],
  providers: [...SERVICES, SecondFactorGuard],
  // The rest: for confirming who you are again (privacy module), which asks the second factor as sign-in does.
  exports: [MfaMethodsService, SignInService, PhoneCodesService, PasskeysService, ReauthenticationService, ChallengePage],
})
export class MfaModule {}
