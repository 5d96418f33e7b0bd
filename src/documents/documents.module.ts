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
import { DocumentsService } from './documents.service';
import { ReviewController } from './review.controller';
import { DOCUMENT_STORE, createDocumentStore } from './store';
import { StaffAccess } from './work-access';

/** Uploads, image checks, encrypted storage, and the document review queue. */
@Module({
  imports: [CryptoModule, IdentityModule, NotificationsModule, AuditModule, StaffModule, VerificationModule],
  controllers: [DocumentsController, CaptureController, ReviewController],
  providers: [DocumentsService, StaffAccess, { provide: DOCUMENT_STORE, inject: [CONFIG], useFactory: (config: Config) => createDocumentStore(config) }],
  exports: [DocumentsService, StaffAccess],
})
export class DocumentsModule {}
