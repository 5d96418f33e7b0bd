import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { holdRunningRecovery, startRecoveryWait } from './account-state.queries';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { Account } from '../identity/account.entity';
import { formatDate } from '../i18n/formats';
import { languageOr } from '../i18n/languages';
import { phrase } from '../i18n/messages';
import { endLinks, findLink, isUsable, issueLink, useLink } from '../links/links';
import { NotificationsService } from '../notifications/notifications.service';
import { VerifiedIdentitiesService } from '../verified-identity/verified-identities.service';
import { MfaAccountState } from './mfa-account-state.entity';
import { MfaMethod } from './mfa-method.entity';
import { MfaMethodsService } from './mfa-methods.service';
import { MFA_POLICY } from './policy';
import { RememberedBrowsersService } from './remembered-browsers.service';

/**
 * The cancel link works while its recovery waits or is due but not completed (completing
 * ends it). Links have an end: this one's is far enough past any wait not to shorten that.
 */
const CANCEL_LINK_LIFETIME_MS = 365 * 24 * 3_600_000;

/**
 * Recovery when every factor is lost: after a wait the owner can cancel by email, every
 * factor is removed and the person sets up a new one (and confirms their identity again).
 */
@Injectable()
export class RecoveryService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly verifiedIdentities: VerifiedIdentitiesService,
    private readonly methods: MfaMethodsService,
    private readonly browsers: RememberedBrowsersService,
  ) {}

  /** Starts the 24-hour wait (or finds the one running) and records the request; returns when it ends. */
  async request(accountId: string, actor: Pick<AuditEntry, 'actorId' | 'ip'>): Promise<Date> {
    const dueAt = await this.start(accountId);
    await this.audit.record({ action: 'mfa.recovery_requested', ...actor });
    return dueAt;
  }

  /**
   * The owner is emailed a link to cancel the wait. One upsert decides which of simultaneous
   * requests starts it: only that one issues the link and sends the email, so the link the
   * owner gets is the one that cancels (a later request issues none).
   */
  private async start(accountId: string): Promise<Date> {
    // The wait and its cancel link start together (a wait no link can cancel must not happen).
    return this.em.transactional(async (em) => {
      const dueAt = await startRecoveryWait(em, accountId, MFA_POLICY.recoveryWaitMs);
      if (!dueAt) return (await em.findOneOrFail(MfaAccountState, { account: accountId }, { refresh: true })).recoveryDueAt!;
      const cancel = issueLink(em, 'cancel_recovery', { accountId }, CANCEL_LINK_LIFETIME_MS);
      const account = await em.findOneOrFail(Account, { id: accountId });
      const language = languageOr(account.language);
      this.notifications.queueEmail({
        to: account.email,
        ...this.notifications.compose(language, 'mfa.email.recoverySubject', [
          'mfa.email.recoveryBody',
          phrase('mfa.email.recoveryIfYou', { time: formatDate(language, dueAt, 'dateTimeLong') }),
          phrase('mfa.email.recoveryIfNotYou', { url: `${this.config.baseUrl}/mfa/recovery/cancel?token=${cancel}` }),
        ]),
      });
      return dueAt;
    });
  }

  async dueAt(accountId: string): Promise<Date | undefined> {
    return (await this.em.findOne(MfaAccountState, { account: accountId }))?.recoveryDueAt;
  }

  /**
   * When the wait is over: removes every factor so the person can set up a new one. The
   * recovery is claimed by one conditional update (not read, then acted on): of simultaneous
   * visits one completes it, and a cancellation that comes first always wins.
   */
  async completeIfDue(accountId: string): Promise<boolean> {
    const done = await this.em.transactional(async (em) => {
      const claimed = await em.nativeUpdate(
        MfaAccountState,
        { account: accountId, recoveryDueAt: { $lte: new Date() } },
        { recoveryDueAt: null, consecutiveFailures: 0 },
      );
      if (claimed !== 1) return false;
      await endLinks(em, 'cancel_recovery', accountId);
      await em.nativeDelete(MfaMethod, { account: accountId });
      await this.browsers.forgetAll(accountId, em);
      return true;
    });
    if (!done) return false;
    await this.verifiedIdentities.requireReconfirmation(accountId);
    await this.audit.record({ action: 'mfa.recovery_completed', actorId: accountId });
    await this.methods.notifyChange(accountId, 'mfa.email.recoveryDone');
    return true;
  }

  /** Cancels the wait with the emailed link's token (from wherever it is clicked: `ip` recorded). */
  async cancel(token: unknown, ip: string | undefined): Promise<boolean> {
    const link = await findLink(this.em, 'cancel_recovery', token);
    if (!link || !isUsable(link)) return false;
    const accountId = link.account.id;
    const cancelled = await this.em.transactional(async (em) => {
      // The account's state is locked before its link, in the order completing takes them.
      if (!(await holdRunningRecovery(em, accountId)) || !(await useLink(em, 'cancel_recovery', token, accountId))) return false;
      await em.nativeUpdate(MfaAccountState, { account: accountId }, { recoveryDueAt: null });
      return true;
    });
    if (!cancelled) return false;
    await this.audit.record({ action: 'mfa.recovery_cancelled', ip });
    return true;
  }
}
