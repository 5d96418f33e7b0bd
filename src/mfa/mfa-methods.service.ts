import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { holdFactorsRow } from './account-state.queries';
import { AuditService } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { Account } from '../identity/account.entity';
import { LANGUAGE_CODES, languageOr } from '../i18n/languages';
import { Messages, phrase, type Phrase } from '../i18n/messages';
import { NotificationsService } from '../notifications/notifications.service';
import { StaffService } from '../staff/staff.service';
import { MfaMethod, type MfaKind } from './mfa-method.entity';
import { RememberedBrowsersService } from './remembered-browsers.service';

/** Each kind's name, as catalog keys (pages and emails say it in the reader's language). */
export const KIND_NAMES: Record<MfaKind, string> = {
  passkey: 'mfa.kind.passkey',
  totp: 'mfa.kind.totp',
  phone: 'mfa.kind.phone',
  backup_codes: 'mfa.kind.backup_codes',
};

/**
 * A person's second-factor methods: the list, rename, add and remove (never the last), which
 * kinds staff may use, and the email that tells the person about every change.
 */
@Injectable()
export class MfaMethodsService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly staff: StaffService,
    private readonly messages: Messages,
    private readonly browsers: RememberedBrowsersService,
  ) {}

  /**
   * Staff handle other people's identities: in production they sign in with a passkey or
   * security key only (phishing-resistant), never a code. Development allows any factor.
   */
  async passkeysOnly(accountId: string): Promise<boolean> {
    return this.config.env === 'production' && (await this.staff.isStaff(accountId));
  }

  methodsOf(accountId: string): Promise<MfaMethod[]> {
    return this.em.find(MfaMethod, { account: accountId }, { orderBy: { lastUsedAt: 'desc nulls last', createdAt: 'asc' } });
  }

  /**
   * The name the person gave a method; undefined when it is only the name we suggested or the
   * kind's own ("Code generator app"), in any language: pages then name the method by its kind
   * alone, in their own language, rather than twice or in the language it was set up in.
   */
  ownLabel(method: Pick<MfaMethod, 'kind' | 'label'>): string | undefined {
    const label = method.label?.trim();
    if (!label) return undefined;
    const suggested = [KIND_NAMES[method.kind], `mfa.defaultLabel.${method.kind}`].filter((key) => this.messages.has(key));
    const same = (text: string) => text.toLocaleLowerCase() === label.toLocaleLowerCase();
    return LANGUAGE_CODES.some((language) => suggested.some((key) => same(this.messages.text(language, key)))) ? undefined : method.label;
  }

  async findMethod(accountId: string, id: unknown): Promise<MfaMethod | null> {
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) return null;
    return this.em.findOne(MfaMethod, { id, account: accountId });
  }

  async rename(accountId: string, id: unknown, label: string): Promise<MfaMethod | null> {
    const method = await this.findMethod(accountId, id);
    if (!method) return null;
    method.label = label;
    await this.em.flush();
    return method;
  }

  /** Stores a new method, records it and tells the person (`email`: the change as the email says it). */
  async add(accountId: string, data: Partial<MfaMethod> & { kind: MfaKind; label: string }, email = phrase('mfa.email.added', { label: data.label })): Promise<MfaMethod> {
    const method = this.em.create(MfaMethod, { ...data, account: accountId });
    await this.em.flush();
    await this.audit.record({ action: 'mfa.method_added', actorId: accountId, subject: method.id, details: { kind: method.kind } });
    await this.notifyChange(accountId, email, method.kind);
    return method;
  }

  /**
   * Removes a method, never the last one that can sign in (backup codes alone cannot), and
   * forgets the account's remembered browsers. Under the account's factor lock: two removals
   * at once cannot each see the other's method left.
   */
  async remove(accountId: string, id: unknown): Promise<'removed' | 'last' | 'missing'> {
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) return 'missing';
    const outcome = await this.em.transactional(async (em) => {
      await this.lockFactors(em, accountId);
      const method = await em.findOne(MfaMethod, { id, account: accountId });
      if (!method) return 'missing' as const;
      const others = await em.count(MfaMethod, { account: accountId, kind: { $ne: 'backup_codes' }, id: { $ne: method.id } });
      if (method.kind !== 'backup_codes' && others === 0) return 'last' as const;
      await em.nativeDelete(MfaMethod, { id: method.id });
      return method;
    });
    if (typeof outcome === 'string') return outcome;
    await this.audit.record({ action: 'mfa.method_removed', actorId: accountId, subject: outcome.id, details: { kind: outcome.kind } });
    await this.notifyChange(
      accountId,
      outcome.kind === 'backup_codes' ? 'mfa.email.backupRemoved' : phrase('mfa.email.removed', { label: outcome.label }),
      outcome.kind,
    );
    await this.browsers.forgetAll(accountId);
    return 'removed';
  }

  /**
   * Holds the account's second-factor row (created if needed) until the transaction ends:
   * changes to an account's set of factors, and tries (TriesService), take it first, one at a time.
   */
  async lockFactors(em: EntityManager, accountId: string): Promise<void> {
    await holdFactorsRow(em, accountId);
  }

  /**
   * Every change to a person's factors is emailed to them, in their language. `kind`: the
   * kind of method the change names (its name goes into the message as `kind`).
   */
  async notifyChange(accountId: string, what: Phrase | string, kind?: MfaKind): Promise<void> {
    const account = await this.em.findOneOrFail(Account, { id: accountId });
    const language = languageOr(account.language);
    const change = typeof what === 'string' ? phrase(what) : what;
    const values = kind ? { ...change.values, kind: this.messages.text(language, KIND_NAMES[kind]) } : change.values;
    this.notifications.queueEmail({
      to: account.email,
      ...this.notifications.compose(language, 'mfa.email.changedSubject', [
        phrase(change.key, values),
        phrase('mfa.email.notYou', { url: `${this.config.baseUrl}/password-reset` }),
      ]),
    });
    await this.em.flush();
  }
}
