import { CronExpression } from '@nestjs/schedule';

/**
 * Every scheduled job, as an operator reads them: its name (shown on /supervisor and in the
 * `job_run` table), the PostgreSQL advisory lock that makes one instance run it at a time,
 * when it runs, and what it does. Each job's method has `@Cron(JOBS.<name>.schedule)` and does
 * its work inside `JobRunner.runExclusive('<name>', …)`.
 */
export const JOBS = {
  'outbox-retry': {
    lock: 7_310_001,
    schedule: CronExpression.EVERY_MINUTE,
    does: 'Sends the emails not sent when their transaction committed (provider down, instance stopped), with backoff by attempts; after 5 attempts a message stays failed.',
  },
  'outbox-retention': {
    lock: 7_310_002,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Deletes emails and text messages delivered longer ago than OUTBOX_RETENTION_HOURS, with their encrypted recipients. Also at start.',
  },
  'outbox-recipient-encryption': {
    lock: 7_310_003,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Encrypts outbox recipients an older version wrote in the clear (during a rolling upgrade). Also at start.',
  },
  'openid-cleanup': {
    lock: 7_310_071,
    schedule: CronExpression.EVERY_10_MINUTES,
    does: "Deletes the OpenID provider's expired codes, tokens, sessions and interactions, and signing keys no longer published.",
  },
  'document-retention': {
    lock: 7_310_501,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Deletes the document images of cases decided (verified or failed) longer ago than DOCUMENT_RETENTION_DAYS.',
  },
  'orphan-file-sweep': {
    lock: 7_310_502,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Deletes stored files no document row (nor data export) names, older than ORPHAN_FILE_GRACE_MINUTES (what a crash leaves).',
  },
  'stored-pdf-conversion': {
    lock: 7_310_503,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Draws into images the paper documents earlier versions stored as the PDFs they came as, and deletes those PDFs (one that cannot be drawn is deleted, so that side shows as missing).',
  },
  'queue-expiry': {
    lock: 7_310_600,
    schedule: CronExpression.EVERY_MINUTE,
    does: 'Gives up the call-queue places whose page was not seen for 60 minutes, and tells the applicant by email.',
  },
  'appointment-reminders': {
    lock: 7_310_610,
    schedule: CronExpression.EVERY_MINUTE,
    does: 'Reminds applicants of their video call 24 hours and 15 minutes before (email, and SMS with a phone); marks no-shows after 10 minutes, frees the slot and asks them to book again.',
  },
  'audit-retention': {
    lock: 7_310_700,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Deletes the audit events older than AUDIT_RETENTION_YEARS, oldest first, and keeps a signed checkpoint where the chain now starts (npm run audit:verify starts there).',
  },
  'support-retention': {
    lock: 7_310_701,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Deletes the support requests, with their messages, whose last message is older than SUPPORT_RETENTION_DAYS.',
  },
  'expired-sign-in-records': {
    lock: 7_310_702,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Deletes sessions ended a day ago or more, links used or expired 7 days ago or more, expired second-factor steps and remembered browsers, and organizations waiting for a person who has not come back in UNFINISHED_CASE_DAYS.',
  },
  'unfinished-cases': {
    lock: 7_310_703,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Emails the applicant of a case neither verified nor failed, with no activity for UNFINISHED_CASE_DAYS less 14 days, that it will be deleted; 14 days after that email, with still no activity, deletes the case with its documents (the account stays).',
  },
  'data-export-resume': {
    lock: 7_310_750,
    schedule: CronExpression.EVERY_MINUTE,
    does: 'Builds the "Download my data" ZIPs an instance started and left unfinished (it stopped or crashed: no progress for 2 minutes).',
  },
  'data-export-expiry': {
    lock: 7_310_751,
    schedule: CronExpression.EVERY_10_MINUTES,
    does: 'Deletes the "Download my data" ZIPs not downloaded within 24 hours of being ready (a downloaded one is deleted at once).',
  },
  'account-deletion': {
    lock: 7_310_800,
    schedule: CronExpression.EVERY_MINUTE,
    does: 'Deletes the accounts whose owners asked for it ACCOUNT_DELETION_WAIT_HOURS ago and did not cancel: tells the organizations that received their claims (back-channel logout), revokes their consents and tokens, removes every row about them and their document files. The audit log keeps ids, types, times and network addresses.',
  },
  'recording-retention': {
    lock: 7_310_620,
    schedule: CronExpression.EVERY_HOUR,
    does: 'Deletes the call recordings of calls that ended longer ago than RECORDING_RETENTION_DAYS (the file; the row keeps the date, its key erased), each deletion audited; and stored recordings no row names, older than 24 hours (what a crash leaves).',
  },
  'recording-downloads': {
    lock: 7_310_621,
    schedule: CronExpression.EVERY_MINUTE,
    does: 'Downloads the recordings JaaS announced (only from JAAS_DOWNLOAD_HOST, within RECORDING_MAX_MB and RECORDING_DOWNLOAD_TIMEOUT_SECONDS), retrying failed transfers with backoff up to 8 attempts.',
  },
} as const satisfies Record<string, { lock: number; schedule: string; does: string }>;

export type JobName = keyof typeof JOBS;

/**
 * Advisory locks that are not jobs: they order work that must not run twice at once. Their ids
 * live here, beside the jobs', so that no two can be the same (test/jobs.spec.ts checks).
 */
export const LOCKS = {
  /** Two instances starting at once apply migrations one after the other (database/migrate.ts). */
  migrations: 7_310_000,
  /** Two instances starting at once create one first signing key; a rotation waits for it (oidc/signing-keys.service.ts). */
  signingKeys: 7_310_070,
  /** Appends to the audit log one at a time, so that the hash chain has no fork (audit_append, audit/audit.service.ts). */
  auditChain: 7_310_100,
  /** Development only: the staff accounts are seeded once (staff/staff.service.ts). */
  staffSeeding: 7_310_200,
  /** One `npm run keys:rewrap` at a time on a database (crypto/rewrap.ts). */
  piiRewrap: 7_310_850,
} as const;

/** Every advisory-lock id Referee uses, with who uses it. */
export function allLockIds(): { name: string; id: number }[] {
  return [
    ...Object.entries(JOBS).map(([name, job]) => ({ name: `job ${name}`, id: job.lock })),
    ...Object.entries(LOCKS).map(([name, id]) => ({ name, id })),
  ];
}
