import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { ReturnsModule } from '../oidc/returns.module';
import { VerifiedIdentityModule } from '../verified-identity/verified-identity.module';
import { IdentityController } from './identity.controller';
import { IdentityService } from './identity.service';
import { SessionMiddleware, SessionsService } from './sessions.service';
import { SignedInGuard } from './signed-in.guard';
import { SignInRecordsService } from './sign-in-records.service';

@Module({
  imports: [NotificationsModule, ReturnsModule, VerifiedIdentityModule],
  controllers: [IdentityController],
  providers: [IdentityService, SessionsService, SessionMiddleware, SignedInGuard, SignInRecordsService],
  exports: [IdentityService, SessionsService, SessionMiddleware, SignedInGuard],
})
export class IdentityModule {}
