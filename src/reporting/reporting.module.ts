import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents/documents.module';
import { IdentityModule } from '../identity/identity.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { VideoModule } from '../video/video.module';
import { ReportingService } from './reporting.service';

/** The supervisor page's figures: read from the tables of the documents, scheduling and video modules. */
@Module({
  imports: [IdentityModule, DocumentsModule, SchedulingModule, VideoModule],
  providers: [ReportingService],
  exports: [ReportingService],
})
export class ReportingModule {}
