import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CryptoModule } from '../crypto/crypto.module';
import { DocumentsModule } from '../documents/documents.module';
import { IdentityModule } from '../identity/identity.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { OidcModule } from '../oidc/oidc.module';
import { StaffModule } from '../staff/staff.module';
import { VideoModule } from '../video/video.module';
import { AccountDeletionController } from './account-deletion.controller';
import { AccountDeletionInterceptor } from './account-deletion.interceptor';
import { AccountDeletionService } from './account-deletion.service';
import { PrivacyModule } from './privacy.module';

/** Deleting one's account (/account/privacy/delete) and the `account-deletion` job that carries it out. */
@Module({
  imports: [CryptoModule, DocumentsModule, IdentityModule, NotificationsModule, OidcModule, PrivacyModule, StaffModule, VideoModule],
  controllers: [AccountDeletionController],
  providers: [
    AccountDeletionService,
    { provide: APP_INTERCEPTOR, useClass: AccountDeletionInterceptor },
  ],
  exports: [AccountDeletionService],
})
export class AccountDeletionModule {}
