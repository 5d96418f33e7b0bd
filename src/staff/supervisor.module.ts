import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents/documents.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { VideoModule } from '../video/video.module';
import { StaffModule } from './staff.module';
import { SupervisorController } from './supervisor.controller';

/** The supervisor's live view: reads the queues of the documents, scheduling and video modules. */
@Module({ imports: [StaffModule, DocumentsModule, SchedulingModule, VideoModule], controllers: [SupervisorController] })
export class SupervisorModule {}
