import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { IdentityController } from './identity.controller';
import { IdentityService } from './identity.service';
import { SessionMiddleware, SessionsService } from './sessions.service';
import { SignedInGuard } from './signed-in.guard';

@Module({
  imports: [NotificationsModule],
  controllers: [IdentityController],
  providers: [IdentityService, SessionsService, SessionMiddleware, SignedInGuard],
  exports: [IdentityService, SessionsService, SessionMiddleware, SignedInGuard],
})
export class IdentityModule {}
