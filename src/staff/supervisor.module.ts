import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents/documents.module';
import { IdentityModule } from '../identity/identity.module';
import { ReportingModule } from '../reporting/reporting.module';
import { VideoModule } from '../video/video.module';
import { StaffModule } from './staff.module';
import { SupervisorController } from './supervisor.controller';
import { SupervisorService } from './supervisor.service';

/** The supervisor's live view and actions: the figures from the reporting module, and claimed work moved through the documents and video modules' services. */
@Module({
  imports: [StaffModule, IdentityModule, DocumentsModule, VideoModule, ReportingModule],
  controllers: [SupervisorController],
  providers: [SupervisorService],
  exports: [SupervisorService],
})
export class SupervisorModule {}
