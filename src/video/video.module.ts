import { DocumentsModule } from '../documents/documents.module';
import { Module } from '@nestjs/common';
import { CONFIG, type Config } from '../config/config';
import { RECORDING_STORE, createRecordingStore } from '../documents/store';
import { AuditModule } from '../audit/audit.module';
import { CryptoModule } from '../crypto/crypto.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { VerifiedIdentityModule } from '../verified-identity/verified-identity.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { StaffModule } from '../staff/staff.module';
import { VerificationModule } from '../verification/verification.module';
import { AgentCallsController } from './agent-calls.controller';
import { CallController } from './call.controller';
import { CallsService } from './calls.service';
import { RecordingsController } from './recordings.controller';
import { RecordingsService } from './recordings.service';

/** Video calls on Jitsi: the applicant's call pages under /call, the agent's console under /agent/calls, and the calls' recordings under /recordings. */
@Module({
  imports: [DocumentsModule, AuditModule, CryptoModule, NotificationsModule, SchedulingModule, StaffModule, VerificationModule, VerifiedIdentityModule],
  controllers: [CallController, AgentCallsController, RecordingsController],
  providers: [CallsService, RecordingsService, { provide: RECORDING_STORE, inject: [CONFIG], useFactory: (config: Config) => createRecordingStore(config) }],
  // The store is exported for account deletion, which deletes the person's recordings' files.
  exports: [CallsService, RecordingsService, RECORDING_STORE],
})
export class VideoModule {}
