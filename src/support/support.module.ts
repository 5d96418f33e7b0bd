import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { IdentityModule } from '../identity/identity.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { StaffModule } from '../staff/staff.module';
import { SupportAgentController } from './support-agent.controller';
import { SupportController, SupportRequestsController } from './support.controller';
import { SupportService } from './support.service';
import { SupportRetentionService } from './support-retention.service';

/** Contact support, the support queue under /agent/support, and fraud reports. */
@Module({
  imports: [CryptoModule, IdentityModule, NotificationsModule, StaffModule],
  controllers: [SupportController, SupportRequestsController, SupportAgentController],
  providers: [SupportService, SupportRetentionService],
  exports: [SupportService],
})
export class SupportModule {}
