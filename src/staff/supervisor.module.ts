import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents/documents.module';
import { IdentityModule } from '../identity/identity.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { VideoModule } from '../video/video.module';
import { StaffModule } from './staff.module';
import { SupervisorController } from './supervisor.controller';
import { SupervisorService } from './supervisor.service';

/** The supervisor's live view and actions: reads the queues of the documents, scheduling and video modules, and moves claimed work through their services. */
@Module({
  imports: [StaffModule, IdentityModule, DocumentsModule, SchedulingModule, VideoModule],
  controllers: [SupervisorController],
  providers: [SupervisorService],
  exports: [SupervisorService],
})
export class SupervisorModule {}
