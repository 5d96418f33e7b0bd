import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { DocumentsModule } from '../documents/documents.module';
import { IdentityModule } from '../identity/identity.module';
import { MfaModule } from '../mfa/mfa.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { OidcModule } from '../oidc/oidc.module';
import { SupportModule } from '../support/support.module';
import { VerificationModule } from '../verification/verification.module';
import { AccessHistoryService } from './access-history.service';
import { ConfirmController } from './confirm.controller';
import { ConfirmationService, ConfirmedGuard } from './confirmation.service';
import { DataExportService } from './data-export.service';
import { PrivacyController } from './privacy.controller';

/** The Privacy Rights Center: confirming who you are again, who saw your data, downloading it. */
@Module({
  imports: [IdentityModule, MfaModule, CryptoModule, DocumentsModule, VerificationModule, SupportModule, OidcModule, NotificationsModule],
  controllers: [ConfirmController, PrivacyController],
  providers: [ConfirmationService, ConfirmedGuard, AccessHistoryService, DataExportService],
  exports: [ConfirmationService, ConfirmedGuard],
})
export class PrivacyModule {}
