import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CONFIG, type Config } from '../config/config';
import { CryptoModule } from '../crypto/crypto.module';
import { IdentityModule } from '../identity/identity.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { StaffModule } from '../staff/staff.module';
import { VerificationModule } from '../verification/verification.module';
import { CaptureController } from './capture.controller';
import { DocumentsController } from './documents.controller';
import { DocumentFilesService } from './document-files.service';
import { DocumentRetentionService } from './document-retention.service';
import { DocumentsService } from './documents.service';
import { ReviewController } from './review.controller';
import { ReviewDecisionsService } from './review-decisions.service';
import { ReviewQueueService } from './review-queue.service';
import { ReviewTimeEstimate } from './review-time';
import { DOCUMENT_STORE, createDocumentStore } from './store';
import { StaffAccess } from './work-access';
import { SubmissionService } from './submission.service';

/** Uploads, image checks, encrypted storage, and the document review queue. */
@Module({
  imports: [CryptoModule, IdentityModule, NotificationsModule, AuditModule, StaffModule, VerificationModule],
  controllers: [DocumentsController, CaptureController, ReviewController],
  providers: [
    SubmissionService,
    DocumentFilesService,
    DocumentsService,
    ReviewQueueService,
    ReviewDecisionsService,
    DocumentRetentionService,
    StaffAccess,
    ReviewTimeEstimate,
    { provide: DOCUMENT_STORE, inject: [CONFIG], useFactory: (config: Config) => createDocumentStore(config) }],
  exports: [SubmissionService, DocumentFilesService, ReviewQueueService, StaffAccess, DOCUMENT_STORE],
})
export class DocumentsModule {}
