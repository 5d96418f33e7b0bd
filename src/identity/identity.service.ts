import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import { randomToken, tokenHash } from '../crypto/tokens';
import type { Language } from '../i18n/languages';
import { phrase } from '../i18n/messages';
import { NotificationsService } from '../notifications/notifications.service';
import type { OutboxMessage } from '../notifications/outbox-message.entity';
import type { FieldErrors } from '../web/view';
import { Account } from './account.entity';
import { EmailToken, type EmailTokenPurpose } from './email-token.entity';
import { PasswordHasher, passwordProblem } from './passwords';
import { Session } from './session.entity';

/** How long each emailed link works. */
const LINK_LIFETIME_MS: Record<EmailTokenPurpose, number> = {
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
  /** Verified against when the email is unknown, so both paths cost the same time. */
  private dummyHash?: Promise<string>;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly notifications: NotificationsService,
  ) {
    this.hasher = new PasswordHasher(config.argon2);
  }

  validateSignUp(email: string, password: string): FieldErrors {
    const errors: FieldErrors = {};
    const emailError = emailProblem(email);
    if (emailError) errors.email = emailError;
    const passwordError = passwordProblem(password, email);
    if (passwordError) errors.password = passwordError;
    return errors;
  }

  /**
   * Creates the account in the language it was made in, if the browser stated one (its
   * emails come in that language) and emails a confirmation link. When the address already has an account, that owner
   * gets an email saying so instead, in the owner's language; the page shown is the same.
   */
  async signUp(email: string, password: string, language?: Language): Promise<void> {
    const passwordHash = await this.hasher.hash(password); // in both branches: same timing
    const existing = await this.em.findOne(Account, { email });
    if (existing) {
      this.notifications.queueEmail({
        to: email,
        ...this.notifications.compose(existing.language ?? language, 'identity.email.existing.subject', [
          'identity.email.existing.body',
          phrase('identity.email.existing.signIn', { url: `${this.config.baseUrl}/sign-in` }),
          phrase('identity.email.existing.reset', { url: `${this.config.baseUrl}/password-reset` }),
          'identity.email.existing.notYou',
        ]),
      });
      await this.em.flush();
    } else {
      const account = this.em.create(Account, { email, passwordHash, language });
      await this.issueLink(account, 'confirm_email');
    }
  }

  /** Sends a fresh confirmation link (when signing in to an account not yet confirmed). */
  async resendConfirmation(account: Account): Promise<void> {
    await this.issueLink(account, 'confirm_email');
  }

  private async issueLink(account: Account, purpose: EmailTokenPurpose): Promise<OutboxMessage> {
    const token = randomToken();
    this.em.create(EmailToken, {
      account,
      purpose,
      tokenHash: tokenHash(token),
      expiresAt: new Date(Date.now() + LINK_LIFETIME_MS[purpose]),
    });
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
    const message = this.notifications.queueEmail({ to: account.email, ...composed });
    await this.em.flush();
    return message;
  }

  /** The still-usable link for this token, or null (unknown, used or expired). */
  async findLink(token: unknown, purpose: EmailTokenPurpose): Promise<EmailToken | null> {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    return this.em.findOne(
      EmailToken,
      { tokenHash: tokenHash(token), purpose, usedAt: null, expiresAt: { $gt: new Date() } },
      { populate: ['account'] },
    );
  }

  /** Uses the link once: the update only succeeds for the first of two concurrent clicks. */
  private async useLink(link: EmailToken): Promise<boolean> {
    const updated = await this.em.nativeUpdate(EmailToken, { id: link.id, usedAt: null }, { usedAt: new Date() });
    return updated === 1;
  }

  async confirmEmail(token: unknown): Promise<boolean> {
    return this.em.transactional(async () => {
      const link = await this.findLink(token, 'confirm_email');
      if (!link || !(await this.useLink(link))) return false;
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
      this.dummyHash ??= this.hasher.hash(randomToken());
      await this.hasher.verify(await this.dummyHash, password);
      return { outcome: 'wrong' };
    }
    const correct = await this.hasher.verify(account.passwordHash, password);
    if (!correct) {
      await this.em.nativeUpdate(Account, { id: account.id }, { failedSignIns: account.failedSignIns + 1 });
      return { outcome: 'wrong' };
    }
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
    const [row] = await this.em.execute<Record<string, unknown>[]>('select * from "account" where email = ?', [email]);
    return row ? this.em.map(Account, row) : null;
  }

  /** Emails a reset link when the address has an account; silent otherwise. */
  async requestPasswordReset(email: string): Promise<void> {
    const account = await this.em.findOne(Account, { email });
    if (!account) return;
    await this.issueLink(account, 'reset_password');
  }

  /**
   * Sets the new password, unlocks the account, confirms the email (the link proved it)
   * and ends every session of the account. Returns null when the link is not usable.
   */
  async resetPassword(token: unknown, password: string): Promise<Account | null> {
    if (!(await this.findLink(token, 'reset_password'))) return null;
    const passwordHash = await this.hasher.hash(password); // before the transaction: it takes a while
    return this.em.transactional(async (em) => {
      const link = await this.findLink(token, 'reset_password');
      if (!link || !(await this.useLink(link))) return null;
      const account = link.account;
      account.passwordHash = passwordHash;
      account.failedSignIns = 0;
      account.emailConfirmedAt ??= new Date();
      await em.nativeDelete(Session, { account: account.id });
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
    await this.em.nativeUpdate(Account, { id: accountId }, { passwordHash: await this.hasher.hash(password), failedSignIns: 0 });
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
    const [row] = await this.em
      .getConnection()
      .execute<{ id: string; email: string; email_confirmed_at: Date | string | null }[]>('select id, email, email_confirmed_at from "account" where id = ?', [id]);
    return row ? { id: row.id, email: row.email, emailConfirmedAt: row.email_confirmed_at ? new Date(row.email_confirmed_at) : null } : null;
  }
}
