import { Global, Module } from '@nestjs/common';
import { AuditRetentionService } from './audit-retention.service';
import { AuditService } from './audit.service';

/** The audit log: every module writes to it; the staff pages read it; its retention job cuts the oldest events. */
@Global()
@Module({ providers: [AuditService, AuditRetentionService], exports: [AuditService] })
export class AuditModule {}
