import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { StaffModule } from '../staff/staff.module';
import { VerificationModule } from '../verification/verification.module';
import { AppointmentsService } from './appointments.service';
import { QueueService } from './queue.service';

/** The video-call queue, the estimated wait, agents' statuses, shifts and appointments (the pages are the video module's). */
@Module({
  imports: [NotificationsModule, StaffModule, VerificationModule],
  providers: [QueueService, AppointmentsService],
  exports: [QueueService, AppointmentsService],
})
export class SchedulingModule {}
