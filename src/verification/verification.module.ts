import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { IdentityModule } from '../identity/identity.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { CaseSteps } from './case-steps';
import { DocumentChoiceService } from './document-choice.service';
import { Drafts } from './drafts';
import { ResumeService } from './resume.service';
import { SavedController, VerificationController } from './verification.controller';
import { VerificationService } from './verification.service';

/** The verification case: its step flow, personal details, SSN/ITIN, and choosing documents. */
@Module({
  imports: [CryptoModule, IdentityModule, NotificationsModule],
  controllers: [VerificationController, SavedController],
  providers: [CaseSteps, VerificationService, DocumentChoiceService, ResumeService, Drafts],
  exports: [CaseSteps, VerificationService],
})
export class VerificationModule {}
