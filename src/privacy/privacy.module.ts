import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { MfaModule } from '../mfa/mfa.module';
import { ConfirmController } from './confirm.controller';
import { ConfirmationService, ConfirmedGuard } from './confirmation.service';

/** The Privacy Rights Center: confirming who you are again before acting on your data. */
@Module({
  imports: [IdentityModule, MfaModule],
  controllers: [ConfirmController],
  providers: [ConfirmationService, ConfirmedGuard],
  exports: [ConfirmationService, ConfirmedGuard],
})
export class PrivacyModule {}
