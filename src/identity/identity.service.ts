import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { accountByEmail, accountClaims, countWrongPassword, lockAccount } from './accounts.queries';
import { AuditService } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { hmac, randomToken } from '../crypto/tokens';
import type { Language } from '../i18n/languages';
import { phrase } from '../i18n/messages';
import type { Link } from '../links/link.entity';
import { endLinks, findLink, isUsable, issueLink, useLink } from '../links/links';
import { NotificationsService } from '../notifications/notifications.service';
import { RateLimits } from '../web/rate-limits';
import { Account } from './account.entity';
import { PasswordHasher } from './passwords';
import { Session } from './session.entity';

/** The links this module emails. */
export type EmailLinkPurpose = 'confirm_email' | 'reset_password';

/** How long each emailed link works. */
const LINK_LIFETIME_MS: Record<EmailLinkPurpose, number> = {
  confirm_email: 24 * 60 * 60 * 1000,
  reset_password: 60 * 60 * 1000,
};
/** NIST SP 800-63B: no more than 100 consecutive failed attempts on one account. */
export const MAX_FAILED_SIGN_INS = 100;

export const EMAIL_MAX = 254;

export function normaliseEmail(raw: unknown): string {
  return typeof raw === 'string' ? raw.trim().toLowerCase() : '';
}

/** What is wrong with a typed email address, as a catalog key; undefined when nothing is. */
export function emailProblem(email: string): string | undefined {
  if (!email) return 'identity.errors.enterEmail';
  if (email.length > EMAIL_MAX || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    return 'identity.errors.emailFormat';
  }
  return undefined;
}

export type SignInResult =
  | { outcome: 'signed-in'; account: Account }
  | { outcome: 'wrong' }
  | { outcome: 'unconfirmed' }
  | { outcome: 'locked' };

/**
 * Accounts: sign-up, email confirmation, password sign-in and password reset.
 * No answer here tells a stranger whether an email address has an account.
 */
@Injectable()
export class IdentityService {
  private readonly hasher: PasswordHasher;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly notifications: NotificationsService,
    private readonly rateLimits: RateLimits,
    private readonly audit: AuditService,
  ) {
    this.hasher = new PasswordHasher(config.argon2);
  }

  /**
   * Creates the account in the language it was made in, if the browser stated one (its
   * emails come in that language) and writes a confirmation link to the outbox. When the
   * address already has an account, that owner gets an email saying so instead, in the
   * owner's language, at most 3 an hour per address and 10 an hour per network address;
   * the page shown is the same. The emails go once the transaction commits, without the
   * answer waiting for them (a mail round trip, or none, must not show in its time).
   */
  /** `created` runs for a new account only (an organization's request it came from is remembered there), never for an existing address. */
  async signUp(email: string, password: string, language: Language | undefined, ip: string, created?: (accountId: string) => Promise<void>): Promise<void> {
    const [passwordHash, { existing, emailed }] = await Promise.all([
      this.hasher.hash(password), // in both branches: same timing
      (async () => {
        const existing = await this.em.findOne(Account, { email });
        // "You already have an account" emails are counted silently: whoever signs up learns
        // nothing, and someone else's address is no way to flood its owner with email. Both
        // counters are written for every sign-up (by 0 for a new address): the same work either
        // way, and done while the password is hashed.
        const points = existing ? 1 : 0;
        const allowed = await Promise.all([
          this.rateLimits.allows('sign-up-existing:ip', [ip], points),
          this.rateLimits.allows('sign-up-existing:account', [email], points),
        ]);
        return { existing, emailed: allowed.every(Boolean) };
      })(),
    ]);
    if (!existing) {
      const account = this.em.create(Account, { email, passwordHash, language });
      await this.issueLink(account, 'confirm_email');
      await created?.(account.id);
      return;
    }
    await this.em.transactional(async (tx) => {
      if (emailed) {
        this.notifications.queueEmail({
          to: email,
          ...this.notifications.compose(existing.language ?? language, 'identity.email.existing.subject', [
            'identity.email.existing.body',
            phrase('identity.email.existing.signIn', { url: `${this.config.baseUrl}/sign-in` }),
            phrase('identity.email.existing.reset', { url: `${this.config.baseUrl}/password-reset` }),
            'identity.email.existing.notYou',
          ]),
        });
      }
      // Recorded whether or not an email goes: support sees repeated attempts, and both cases
      // write the same transaction but for the email's row.
      await this.audit.recordIn(tx, { action: 'sign_up.existing_account', subject: existing.id, ip, details: { emailed } });
    });
  }

  /** Sends a fresh confirmation link (when signing in to an account not yet confirmed). */
  async resendConfirmation(account: Account): Promise<void> {
    await this.issueLink(account, 'confirm_email');
  }

  private async issueLink(account: Account, purpose: EmailLinkPurpose): Promise<void> {
    const token = issueLink(this.em, purpose, { accountId: account.id }, LINK_LIFETIME_MS[purpose]);
    const composed =
      purpose === 'confirm_email'
        ? this.notifications.compose(account.language, 'identity.email.confirm.subject', [
            'identity.email.confirm.welcome',
            phrase('identity.email.confirm.link', { url: `${this.config.baseUrl}/sign-up/confirm?token=${token}` }),
            'identity.email.confirm.notYou',
          ])
        : this.notifications.compose(account.language, 'identity.email.reset.subject', [
            'identity.email.reset.body',
            phrase('identity.email.reset.link', { url: `${this.config.baseUrl}/password-reset/new?token=${token}` }),
            'identity.email.reset.notYou',
          ]);
    this.notifications.queueEmail({ to: account.email, ...composed });
    await this.em.flush();
  }

  /** The still-usable link for this token, or null (unknown, used or expired). */
  async findLink(token: unknown, purpose: EmailLinkPurpose): Promise<Link | null> {
    const link = await findLink(this.em, purpose, token, { withAccount: true });
    return link && isUsable(link) ? link : null;
  }

  async confirmEmail(token: unknown): Promise<boolean> {
    return this.em.transactional(async () => {
      const link = await this.findLink(token, 'confirm_email');
      if (!link || !(await useLink(this.em, 'confirm_email', token))) return false;
      link.account.emailConfirmedAt ??= new Date();
      return true;
    });
  }

  /**
   * Checks a password. `allowed` (the rate limits being counted) must succeed before any
   * password is checked; the account is read meanwhile, one round trip fewer.
   */
  async signIn(email: string, password: string, allowed: Promise<unknown> = Promise.resolve()): Promise<SignInResult> {
    const [account] = await Promise.all([email ? this.accountByEmail(email) : null, allowed]);
    if (!account) {
      // Checked all the same, against a stand-in of this address's own: both paths cost the same time.
      await this.hasher.verify(this.hasher.standIn(Buffer.from(hmac(this.config.sessionSecret, `password-stand-in:${email}`), 'base64url')), password);
      return { outcome: 'wrong' };
    }
    // A wrong password is counted by countWrongPassword, after the answer (as for an unknown address).
    if (!(await this.hasher.verify(account.passwordHash, password))) return { outcome: 'wrong' };
    // Only someone who knows the password learns that the account is locked or unconfirmed.
    if (account.failedSignIns >= MAX_FAILED_SIGN_INS) return { outcome: 'locked' };
    if (!account.emailConfirmedAt) {
      await this.resendConfirmation(account);
      return { outcome: 'unconfirmed' };
    }
    if (account.failedSignIns !== 0) {
      account.failedSignIns = 0;
      await this.em.flush();
    }
    return { outcome: 'signed-in', account };
  }

  /**
   * The account with this email, as findOne would give it (managed by the request's
   * EntityManager), from one plain statement: on the sign-in path MikroORM's query building
   * costs several times the round trip.
   */
  private async accountByEmail(email: string): Promise<Account | null> {
    return accountByEmail(this.em, email);
  }

  /**
   * Counts a wrong password against the account of this address, if there is one. Called
   * after the answer for every refused password, so a known address's write cannot be timed;
   * one statement, so sign-ins at the same time each count.
   */
  async countWrongPassword(email: string): Promise<void> {
    await countWrongPassword(this.em, email);
  }

  /**
   * Emails a reset link when the address has an account; silent otherwise. Run it after the
   * answer: only a known address costs a write and a mail round trip.
   */
  async requestPasswordReset(email: string): Promise<void> {
    const account = await this.em.findOne(Account, { email });
    if (!account) return;
    await this.issueLink(account, 'reset_password');
  }

  /**
   * Sets the new password, unlocks the account, confirms the email (the link proved it),
   * ends every other reset link and every session of the account. Returns null when the
   * link is not usable.
   */
  async resetPassword(token: unknown, password: string): Promise<Account | null> {
    if (!(await this.findLink(token, 'reset_password'))) return null;
    const passwordHash = await this.hasher.hash(password); // before the transaction: it takes a while
    return this.em.transactional(async (em) => {
      const link = await this.findLink(token, 'reset_password');
      if (!link) return null;
      // One password change at a time per account: two links used at once would each hold
      // its own link's row while waiting to end the other's.
      await lockAccount(em, link.account.id);
      if (!(await useLink(em, 'reset_password', token))) return null;
      const account = link.account;
      account.emailConfirmedAt ??= new Date();
      await this.replacePassword(em, account.id, passwordHash);
      this.notifications.queueEmail({
        to: account.email,
        ...this.notifications.compose(account.language, 'identity.email.changed.subject', [
          'identity.email.changed.body',
          phrase('identity.email.changed.notYou', { url: `${this.config.baseUrl}/password-reset` }),
        ]),
      });
      return account;
    });
  }

  /**
   * An account made for someone else (a staff member), email already trusted; returns it
   * with whether it is new. The person sets their own password through the reset link.
   */
  async ensureAccount(email: string): Promise<{ account: Account; created: boolean }> {
    const existing = await this.em.findOne(Account, { email });
    if (existing) return { account: existing, created: false };
    const account = this.em.create(Account, { email, passwordHash: await this.hasher.hash(randomToken()), emailConfirmedAt: new Date() });
    await this.em.flush();
    return { account, created: true };
  }

  /** Sets a password directly (command-line and development staff only; people use the reset link). */
  async setPassword(accountId: string, password: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    await this.em.transactional((em) => this.replacePassword(em, accountId, passwordHash));
  }

  /**
   * Every change of a password goes through here, in the caller's transaction: the new hash,
   * the account unlocked, every reset link not yet used ended (an older email must not
   * change the password again), and every session of the account ended (a password changed
   * from inside a session, were there such a page, would keep that one session).
   */
  private async replacePassword(em: EntityManager, accountId: string, passwordHash: string): Promise<void> {
    await em.nativeUpdate(Account, { id: accountId }, { passwordHash, failedSignIns: 0 });
    await endLinks(em, 'reset_password', accountId);
    await em.nativeDelete(Session, { account: accountId });
  }

  /** Checks the password of a signed-in person again (before a sensitive change). */
  async verifyPassword(accountId: string, password: string): Promise<boolean> {
    const account = await this.em.findOne(Account, { id: accountId });
    return !!account && !!password && (await this.hasher.verify(account.passwordHash, password));
  }

  findAccountByEmail(email: string): Promise<Account | null> {
    return this.em.findOne(Account, { email });
  }

  findAccount(id: string): Promise<Account | null> {
    return this.em.findOne(Account, { id });
  }

  /** Id → email of these accounts, in one query (staff pages list agents by email). */
  async emailsOf(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const accounts = await this.em.find(Account, { id: { $in: [...new Set(ids)] } }, { fields: ['email'] });
    return new Map(accounts.map((a) => [a.id, a.email]));
  }

  /** What the OpenID provider shares of an account (twice a flow: one plain statement, no entity). */
  async claimsOf(id: string): Promise<{ id: string; email: string; emailConfirmedAt: Date | null } | null> {
    return accountClaims(this.em, id);
  }
}
