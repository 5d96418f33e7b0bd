import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { AuditService } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { DocumentFile } from '../documents/document-file.entity';
import { DocumentReview } from '../documents/document-review.entity';
import { DOCUMENT_STORE, RECORDING_STORE, type DocumentStore } from '../documents/store';
import { Account } from '../identity/account.entity';
import { formatDate } from '../i18n/formats';
import { languageOr } from '../i18n/languages';
import { phrase } from '../i18n/messages';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { endLinks, findLink, isUsable, issueLink, useLink } from '../links/links';
import { MfaMethod } from '../mfa/mfa-method.entity';
import { MfaPending } from '../mfa/mfa-pending.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { OutboxMessage } from '../notifications/outbox-message.entity';
import { OidcProviderService } from '../oidc/provider.service';
import { SupportRequest } from '../support/support-request.entity';
import { emailContext } from '../support/support.service';
import { zoneLabel } from '../scheduling/time-zones';
import { VerificationCase } from '../verification/verification-case.entity';
import { Recording } from '../video/recording.entity';
import { VideoCall } from '../video/video-call.entity';
import { RateLimits, type RateLimitName } from '../web/rate-limits';
import { LOGGER } from '../web/tokens';
import { AccountDeletion } from './account-deletion.entity';
import { DataExport } from './data-export.entity';
import { deleteOpenIdState, dueDeletions, lockDueDeletion, organizationsGivenClaims, revokeOpenIdTokens } from './account-deletion.queries';

/** The cancel link in the confirmation email works until a day after the deletion was due (the account is gone by then anyway). */
const CANCEL_LINK_MARGIN_MS = 24 * 3_600_000;
/** Accounts deleted per run of the job (it runs every minute). */
const BATCH = 20;

/** Rate-limit counters keyed by the account, its email, its cases or its calls: forgotten with it. */
const BY_ACCOUNT: RateLimitName[] = ['call-booking:account', 'verify-ssn:account', 'verify-save-exit:account', 'verify-resume:account', 'phone-code:30s', 'phone-code:hour', 'support-request:person', 'support-reply:account', 'fraud-report:person'];
const BY_EMAIL: RateLimitName[] = ['sign-up-existing:account', 'email-link:account', 'support-request:person', 'fraud-report:person'];
const BY_CASE: RateLimitName[] = ['documents-upload:case', 'documents-submit:case', 'documents-phone-link:case'];

export type CancelledBy = 'sign_in' | 'email_link';

/** What the deletion of one account left to do after its commit, and whom it told. */
interface Deleted {
  storageKeys: string[];
  /** In the recording store. */
  recordingKeys: string[];
  counters: { name: RateLimitName; key: string }[];
}

/**
 * Deleting an account, as its owner asks at /account/privacy/delete: scheduled for
 * ACCOUNT_DELETION_WAIT_HOURS later (a confirmation email with a link that cancels), nothing
 * shared with organizations meanwhile, cancelled by that link or by signing in, and then
 * carried out by the `account-deletion` job: organizations told (back-channel logout), every
 * row about the person removed, their document files and call recordings deleted. What stays is the audit chain
 * and the evidence it holds (random ids, types, times and network addresses), as the privacy
 * policy says.
 */
@Injectable()
export class AccountDeletionService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly cipher: PiiCipher,
    private readonly oidc: OidcProviderService,
    private readonly rateLimits: RateLimits,
    private readonly jobs: JobRunner,
    @Inject(DOCUMENT_STORE) private readonly store: DocumentStore,
    @Inject(RECORDING_STORE) private readonly recordingStore: DocumentStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The account's deletion waiting to happen, if one is. */
  pending(accountId: string): Promise<AccountDeletion | null> {
    return this.em.fork().findOne(AccountDeletion, { account: accountId });
  }

  /**
   * Schedules the deletion: due after the waiting period, told by email (in the person's
   * language, with the time in their zone and a link that cancels), and from now on nothing
   * is shared: the organizations' codes and tokens are revoked at once, and the provider gives
   * no claims for this account (accounts.queries.ts). The consents stay until the deletion, so
   * that cancelling restores sharing without asking again and the job knows whom to tell.
   */
  async schedule(accountId: string, timeZone: string, ip: string | undefined): Promise<AccountDeletion> {
    return this.em.fork().transactional(async (tx) => {
      const account = await tx.findOneOrFail(Account, { id: accountId });
      const waitMs = this.config.accountDeletionWaitHours * 3_600_000;
      let deletion = await tx.findOne(AccountDeletion, { account: accountId });
      if (deletion) return deletion; // asked twice (two tabs): the first request stands
      deletion = tx.create(AccountDeletion, { account, dueAt: new Date(Date.now() + waitMs), timeZone });
      await endLinks(tx, 'cancel_deletion', accountId);
      const token = issueLink(tx, 'cancel_deletion', { accountId }, waitMs + CANCEL_LINK_MARGIN_MS);
      const language = languageOr(account.language);
      const when = this.when(deletion, language);
      this.notifications.queueEmail({
        to: account.email,
        ...this.notifications.compose(language, 'deletion.email.scheduled.subject', [
          phrase('deletion.email.scheduled.body', when),
          'deletion.email.scheduled.meanwhile',
          phrase('deletion.email.scheduled.cancel', { url: `${this.config.baseUrl}/account/privacy/delete/cancel?token=${token}` }),
          'deletion.email.scheduled.notYou',
        ]),
      });
      await tx.flush();
      await revokeOpenIdTokens(tx, accountId);
      await this.audit.recordIn(tx, { action: 'account.deletion_requested', actorId: accountId, ip, details: { dueAt: deletion.dueAt.toISOString() } });
      return deletion;
    });
  }

  /** The deletion's time as the person reads it: date and time in their zone, and the zone's name. */
  when(deletion: AccountDeletion, language: ReturnType<typeof languageOr>): { date: string; zone: string } {
    return { date: formatDate(language, deletion.dueAt, 'dateTimeLong', deletion.timeZone), zone: zoneLabel(deletion.timeZone, language) };
  }

  /**
   * Cancels the account's deletion (the person signed in and chose to keep it, or used the
   * email's link): the row goes, the cancel link is ended, an email confirms, and the audit
   * log records how. False when there was nothing to cancel (already cancelled, or deleted).
   */
  async cancel(accountId: string, by: CancelledBy, ip: string | undefined): Promise<boolean> {
    return this.em.fork().transactional(async (tx) => {
      const removed = await tx.nativeDelete(AccountDeletion, { account: accountId });
      if (!removed) return false;
      await endLinks(tx, 'cancel_deletion', accountId);
      const account = await tx.findOneOrFail(Account, { id: accountId });
      this.notifications.queueEmail({
        to: account.email,
        ...this.notifications.compose(account.language, 'deletion.email.cancelled.subject', ['deletion.email.cancelled.body', 'deletion.email.cancelled.notYou']),
      });
      await tx.flush();
      await this.audit.recordIn(tx, { action: 'account.deletion_cancelled', actorId: accountId, ip, details: { by } });
      return true;
    });
  }

  /** Whether the email's cancel link still works (unused, not expired), without using it. */
  async cancelLinkWorks(token: unknown): Promise<boolean> {
    const link = await findLink(this.em.fork(), 'cancel_deletion', token);
    return !!link && isUsable(link);
  }

  /** Cancels through the email's one-time link; false when the link is unknown, used or expired. */
  async cancelByLink(token: unknown, ip: string | undefined): Promise<boolean> {
    const owner = await this.em.fork().transactional((tx) => useLink(tx, 'cancel_deletion', token));
    if (!owner) return false;
    await this.cancel(owner.accountId, 'email_link', ip);
    return true;
  }

  // ---- The deletion itself ------------------------------------------------------------------

  /** Deletes the accounts whose waiting period is over; one instance at a time, every minute. */
  @Cron(JOBS['account-deletion'].schedule, { name: 'account-deletion' })
  async deleteDue(now = new Date()): Promise<{ deleted: number; failed: number }> {
    const outcome = await this.jobs.runExclusive('account-deletion', async () => {
      const result = { deleted: 0, failed: 0 };
      for (const accountId of await dueDeletions(this.em.fork(), now, BATCH)) {
        try {
          if (await this.deleteAccount(accountId, now)) result.deleted++;
        } catch (error) {
          // One account that cannot be deleted now (its row stays due) does not hold up the others.
          this.logger.error({ err: error, accountId }, 'an account could not be deleted; the next run tries again');
          result.failed++;
        }
      }
      return result;
    });
    return outcome ?? { deleted: 0, failed: 0 };
  }

  /**
   * Deletes one account whose deletion is due: the organizations that received its claims and
   * registered a back-channel logout URI are told first (a logout token each), then in one
   * transaction every row about the person goes (most cascade from the account; the others are
   * named here), with an `account.deleted` audit event holding its id only; after the commit
   * their document files and call recordings are deleted (a crash in between leaves files no
   * row names, which the orphan sweeps remove) and their rate-limit counters forgotten.
   */
  private async deleteAccount(accountId: string, now: Date): Promise<boolean> {
    const clientIds = await organizationsGivenClaims(this.em.fork(), accountId);
    const told = clientIds.length ? await this.oidc.tellAccountDeleted(accountId, clientIds) : { told: [], failed: [] };
    const deleted = await this.em.fork().transactional(async (tx): Promise<Deleted | undefined> => {
      if (!(await lockDueDeletion(tx, accountId, now))) return undefined; // cancelled meanwhile, or another run holds it
      const account = await tx.findOneOrFail(Account, { id: accountId });
      const cases = await tx.find(VerificationCase, { account: accountId });
      const caseIds = cases.map((c) => c.id);
      const files = caseIds.length ? await tx.find(DocumentFile, { verificationCase: { $in: caseIds } }, { fields: ['storageKey'] }) : [];
      const calls = await tx.find(VideoCall, { applicant: accountId }, { fields: ['id'] });
      // Their rows cascade from the calls (a JaaS download still pending too); a recording already deleted on time has no file left.
      const recordings = calls.length ? await tx.find(Recording, { call: { $in: calls.map((c) => c.id) }, deletedAt: null }, { fields: ['storageKey'] }) : [];
      const exports = await tx.find(DataExport, { account: accountId, storageKey: { $ne: null } }, { fields: ['storageKey'] });
      const addresses = await this.addressesOf(tx, account, cases);

      await deleteOpenIdState(tx, accountId);
      if (caseIds.length) await tx.nativeDelete(DocumentReview, { caseId: { $in: caseIds } });
      await tx.nativeDelete(MfaPending, { accountId });
      await this.deleteMessagesTo(tx, addresses);
      await this.deleteSignedOutRequestsFrom(tx, addresses);
      await tx.nativeDelete(Account, { id: accountId }); // cascades: sessions, factors, cases, files' rows, calls, appointments, queue places, support requests, links, data exports…
      await this.audit.recordIn(tx, {
        action: 'account.deleted',
        subject: accountId,
        details: { organizationsTold: told.told.length, organizationsNotReached: told.failed.length },
      });
      return {
        storageKeys: [...files.map((f) => f.storageKey), ...exports.map((e) => e.storageKey!)], // document images, and "Download my data" ZIPs
        recordingKeys: recordings.map((r) => r.storageKey),
        counters: [
          ...BY_ACCOUNT.map((name) => ({ name, key: accountId })),
          ...BY_EMAIL.map((name) => ({ name, key: account.email })),
          ...caseIds.flatMap((id) => BY_CASE.map((name) => ({ name, key: id }))),
          ...calls.map((call) => ({ name: 'call-code:call' as const, key: call.id })),
        ],
      };
    });
    if (!deleted) return false;
    for (const key of deleted.storageKeys) {
      await this.store.delete(key).catch((error) => this.logger.warn({ err: error }, 'a deleted account’s document file could not be deleted; the orphan sweep will'));
    }
    for (const key of deleted.recordingKeys) {
      await this.recordingStore.delete(key).catch((error) => this.logger.warn({ err: error }, 'a deleted account’s call recording could not be deleted; the recording-retention job’s sweep will'));
    }
    for (const { name, key } of deleted.counters) await this.rateLimits.forget(name, key).catch(() => undefined);
    return true;
  }

  /** Every email address and phone number we wrote to this person at: the account's, their cases', their phone factors'. */
  private async addressesOf(tx: EntityManager, account: Account, cases: VerificationCase[]): Promise<Set<string>> {
    const addresses = new Set<string>([account.email.toLowerCase()]);
    for (const c of cases) {
      if (c.email) addresses.add(c.email.toLowerCase());
      if (c.phone) addresses.add(c.phone);
    }
    const phones = await tx.find(MfaMethod, { account: account.id, kind: 'phone' });
    for (const method of phones) {
      if (!method.secretSealed) continue;
      try {
        addresses.add(this.cipher.decrypt(method.secretSealed, 'phone'));
      } catch {
        // unreadable (a key removed): nothing to match it with
      }
    }
    return addresses;
  }

  /**
   * Deletes the support requests sent signed out with one of these addresses to answer to (their
   * messages cascade); those sent signed in go with the account. Requests are kept
   * SUPPORT_RETENTION_DAYS at most, so each signed-out one is read.
   */
  private async deleteSignedOutRequestsFrom(tx: EntityManager, addresses: Set<string>): Promise<void> {
    const requests = await tx.find(SupportRequest, { account: null, emailCipher: { $ne: null } }, { fields: ['id', 'emailCipher'] });
    const theirs = requests.filter((r) => {
      try {
        return addresses.has(this.cipher.decrypt(r.emailCipher!, emailContext(r.id)).toLowerCase());
      } catch {
        return false;
      }
    });
    if (theirs.length) await tx.nativeDelete(SupportRequest, { id: { $in: theirs.map((r) => r.id) } });
  }

  /**
   * Deletes the outbox messages (emails, texts, voice codes) addressed to any of these, sent or
   * not: their recipients are encrypted, so each is read. The outbox holds OUTBOX_RETENTION_HOURS
   * of messages at most, a small table.
   */
  private async deleteMessagesTo(tx: EntityManager, addresses: Set<string>): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await tx.find(OutboxMessage, after ? { id: { $gt: after } } : {}, { fields: ['id', 'recipient'], orderBy: { id: 'asc' }, limit: 500 });
      if (!page.length) return;
      const theirs = page.filter((m) => {
        try {
          const recipient = this.notifications.recipientOf(m);
          return addresses.has(recipient.toLowerCase()) || addresses.has(recipient);
        } catch {
          return false;
        }
      });
      if (theirs.length) await tx.nativeDelete(OutboxMessage, { id: { $in: theirs.map((m) => m.id) } });
      after = page[page.length - 1].id;
      tx.clear();
    }
  }
}
