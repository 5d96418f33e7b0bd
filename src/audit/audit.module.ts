import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit.service';

/** The audit log: every module writes to it; the staff pages read it. */
@Global()
@Module({ providers: [AuditService], exports: [AuditService] })
export class AuditModule {}
