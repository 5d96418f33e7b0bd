import { Inject, Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import type { Language } from '../i18n/languages';
import { phrase } from '../i18n/messages';
import { endLinks, findLink, isUsable, issueLink, useLink } from '../links/links';
import { NotificationsService } from '../notifications/notifications.service';
import { CaseSteps } from './case-steps';
import { Drafts } from './drafts';
import { TERMINAL_STATUSES, currentStep, mayShow, type StepKey } from './flow';
import { VerificationCase } from './verification-case.entity';

/** How long a resume link works. */
export const RESUME_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

export type ResumeLookup = { state: 'usable' } | { state: 'gone' } | { state: 'unknown' };

/**
 * Save & Exit: the case keeps everything and becomes `abandoned`; an email carries a
 * continuation code as a link (NIST SP 800-63A: ≥ 64 random bits, stored hashed, single
 * use, throttled): a single-use link (`links/links.ts`) of the account, bound to
 * its case. Only the newest link works. Signing in again resumes too.
 */
@Injectable()
export class ResumeService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly notifications: NotificationsService,
    private readonly drafts: Drafts,
  ) {}

  /**
   * `language`: the account's choice, else the language the page was read in (the email follows it).
   * `draft`: the step the applicant left and its fields as typed, kept when that step may still show.
   */
  async saveAndExit(accountId: string, email: string, language: Language, draft?: { step: StepKey; fields: Record<string, string> }): Promise<void> {
    await this.steps.open(accountId);
    await this.em.transactional(async (em) => {
      const c = await em.findOneOrFail(VerificationCase, { account: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      const stepKey = currentStep(c).key;
      if (draft && mayShow(c, draft.step)) this.drafts.keep(c, draft.step, draft.fields);
      // A verified or failed case has nothing to come back to: it stays as it is.
      const exits = c.status !== 'abandoned' && !TERMINAL_STATUSES.includes(c.status);
      await endLinks(em, 'resume_case', accountId);
      const code = issueLink(em, 'resume_case', { accountId, caseId: c.id }, RESUME_LIFETIME_MS);
      if (exits) await this.steps.move(em, c, 'abandoned', 'verification.saved_and_exited', undefined, stepKey);
      else await this.steps.record(em, c, 'verification.saved_and_exited', stepKey);
      const base = this.config.baseUrl;
      this.notifications.queueEmail({
        to: email,
        ...this.notifications.compose(language, 'verification.resumeEmail.subject', [
          phrase('verification.resumeEmail.saved', { url: `${base}/verify/resume?code=${code}` }),
          phrase('verification.resumeEmail.once', { signIn: `${base}/sign-in` }),
          phrase('verification.resumeEmail.notYou', { reset: `${base}/password-reset` }),
        ]),
      });
    });
  }

  /** Finds a resume code of this account (a code of another account is unknown: 404, and stays usable). */
  async find(accountId: string, code: unknown): Promise<ResumeLookup> {
    const found = await findLink(this.em, 'resume_case', code);
    if (!found || found.account.id !== accountId) return { state: 'unknown' };
    return { state: isUsable(found) ? 'usable' : 'gone' };
  }

  /** Uses the code once (the first of two concurrent clicks wins) and resumes the case; returns where to go. */
  async use(accountId: string, code: unknown): Promise<'unknown' | 'gone' | { location: string }> {
    const lookup = await this.find(accountId, code);
    if (lookup.state !== 'usable') return lookup.state;

    return this.em.transactional(async (em) => {
      if (!(await useLink(em, 'resume_case', code, accountId))) return 'gone' as const;
      const c = await em.findOneOrFail(VerificationCase, { account: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      await this.steps.resume(em, c, 'link');
      return { location: currentStep(c).route };
    });
  }
}
