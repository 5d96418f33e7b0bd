import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { migrations } from '../../migrations';
import { AuditEvent } from '../audit/audit-event.entity';
import { Account } from '../identity/account.entity';
import { Session } from '../identity/session.entity';
import { DataExport } from '../privacy/data-export.entity';
import { BackupCode } from '../mfa/backup-code.entity';
import { MfaAccountState } from '../mfa/mfa-account-state.entity';
import { MfaMethod } from '../mfa/mfa-method.entity';
import { MfaPending } from '../mfa/mfa-pending.entity';
import { RememberedBrowser } from '../mfa/remembered-browser.entity';
import { OutboxMessage } from '../notifications/outbox-message.entity';
import { RefereeCertification } from '../staff/referee-certification.entity';
import { StaffRoleGrant } from '../staff/staff-role.entity';
import { OidcPayload } from '../oidc/oidc-payload.entity';
import { Organization } from '../oidc/organization.entity';
import { PendingReturn } from '../oidc/pending-return.entity';
import { SigningKey } from '../oidc/signing-key.entity';
import { VerifiedIdentityRecord } from '../verified-identity/verified-identity.entity';
import { VerificationCase } from '../verification/verification-case.entity';
import { SupportMessage } from '../support/support-message.entity';
import { SupportRequest } from '../support/support-request.entity';
import { AgentStatus } from '../scheduling/agent-status.entity';
import { QueueEntry } from '../scheduling/queue-entry.entity';
import { AgentShift, AgentShiftException, Appointment, BookedSlot } from '../scheduling/appointment.entity';
import { VideoCall } from '../video/video-call.entity';
import { Recording, RecordingDownload } from '../video/recording.entity';
import { CallPreference } from '../video/call-preference.entity';
import { DocumentFile } from '../documents/document-file.entity';
import { DocumentReview } from '../documents/document-review.entity';
import { DocumentDecision } from '../documents/document-decision.entity';
import { JobRun } from '../jobs/job-run.entity';
import { Link } from '../links/link.entity';
import { AuditCheckpoint } from '../audit/audit-checkpoint.entity';
import { AccountDeletion } from '../privacy/account-deletion.entity';

/** Every entity Referee persists; the committed migrations must create exactly these tables. */
export const entities = [
  Account,
  Session,
  DataExport,
  OutboxMessage,
  MfaMethod,
  BackupCode,
  MfaPending,
  MfaAccountState,
  RememberedBrowser,
  AuditEvent,
  AuditCheckpoint,
  StaffRoleGrant,
  RefereeCertification,
  OidcPayload,
  SigningKey,
  Organization,
  VerifiedIdentityRecord,
  PendingReturn,
  VerificationCase,
  SupportRequest,
  SupportMessage,
  AgentStatus,
  QueueEntry,
  Appointment,
  BookedSlot,
  AgentShift,
  AgentShiftException,
  VideoCall,
  CallPreference,
  DocumentFile,
  DocumentReview,
  DocumentDecision,
  JobRun,
  Link,
  AccountDeletion,
  Recording,
  RecordingDownload,
];

/** The one MikroORM configuration, shared by the app, `npm run migrate` and the tests. */
export function ormConfig(databaseUrl: string): Options {
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, snapshot: false },
    // Fail a query rather than hang when the server is gone; the pool reconnects when it returns.
    driverOptions: { connectionTimeoutMillis: 3000 },
    pool: { min: 0, max: 10, idleTimeoutMillis: 10000 },
    allowGlobalContext: false,
    debug: false,
  });
}
