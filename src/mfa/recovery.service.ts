import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { randomToken, tokenHash } from '../crypto/tokens';
import { Account } from '../identity/account.entity';
import { formatDate } from '../i18n/formats';
import { languageOr } from '../i18n/languages';
import { phrase } from '../i18n/messages';
import { NotificationsService } from '../notifications/notifications.service';
import { VerifiedIdentitiesService } from '../verified-identity/verified-identities.service';
import { MfaAccountState } from './mfa-account-state.entity';
import { MfaMethod } from './mfa-method.entity';
import { MfaMethodsService } from './mfa-methods.service';
import { MFA_POLICY } from './policy';
import { RememberedBrowsersService } from './remembered-browsers.service';

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
   * requests starts it: only that one sends the email, so the link the owner gets is the one
   * that cancels (a later request cannot replace its token).
   */
  private async start(accountId: string): Promise<Date> {
    const cancel = randomToken();
    const started = await this.em.execute<{ due_at: Date }[]>(
      `insert into mfa_account_state (account_id, consecutive_failures, recovery_due_at, recovery_cancel_hash)
       values (?, 0, now() + ? * interval '1 millisecond', ?)
       on conflict (account_id) do update set recovery_due_at = excluded.recovery_due_at, recovery_cancel_hash = excluded.recovery_cancel_hash
       where mfa_account_state.recovery_due_at is null
       returning recovery_due_at as due_at`,
      [accountId, MFA_POLICY.recoveryWaitMs, tokenHash(cancel)],
    );
    if (started.length === 0) return (await this.em.findOneOrFail(MfaAccountState, { account: accountId }, { refresh: true })).recoveryDueAt!;
    const dueAt = new Date(started[0].due_at);
    const account = await this.em.findOneOrFail(Account, { id: accountId });
    const language = languageOr(account.language);
    this.notifications.queueEmail({
      to: account.email,
      ...this.notifications.compose(language, 'mfa.email.recoverySubject', [
        'mfa.email.recoveryBody',
        phrase('mfa.email.recoveryIfYou', { time: formatDate(language, dueAt, 'dateTimeLong') }),
        phrase('mfa.email.recoveryIfNotYou', { url: `${this.config.baseUrl}/mfa/recovery/cancel?token=${cancel}` }),
      ]),
    });
    await this.em.flush();
    return dueAt;
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
        { recoveryDueAt: null, recoveryCancelHash: null, consecutiveFailures: 0 },
      );
      if (claimed !== 1) return false;
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
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    const cancelled = await this.em.nativeUpdate(
      MfaAccountState,
      { recoveryCancelHash: tokenHash(token), recoveryDueAt: { $ne: null } },
      { recoveryDueAt: null, recoveryCancelHash: null },
    );
    if (cancelled !== 1) return false;
    await this.audit.record({ action: 'mfa.recovery_cancelled', ip });
    return true;
  }
}
