import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { AuditService } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { DOCUMENT_STORE, type DocumentStore } from '../documents/store';
import { formatDate } from '../i18n/formats';
import { languageOr } from '../i18n/languages';
import { phrase } from '../i18n/messages';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { UNFINISHED_CASE_WARNING_DAYS } from '../jobs/retention-periods';
import { NotificationsService } from '../notifications/notifications.service';
import { LOGGER } from '../web/tokens';
import { deleteCase } from './case-deletion';
import { idleCases, markWarned, type IdleCase } from './unfinished-cases.queries';

const DAY_MS = 86_400_000;
/** Cases looked at per run: the next run (hourly) takes the rest. */
const BATCH = 200;

/**
 * Unfinished cases (neither verified nor failed) are deleted after UNFINISHED_CASE_DAYS without
 * activity, with their documents; the account stays. The applicant is emailed, in their
 * language, UNFINISHED_CASE_WARNING_DAYS before, with the date and how to keep the case (sign
 * in and continue: any activity starts the period again). A case is deleted only once that
 * warning is at least that old and nothing happened since it, so even after the job was
 * stopped, or with a shorter setting, nobody loses a case without 14 days' notice. Provided by
 * the documents module, which holds the document store.
 */
@Injectable()
export class UnfinishedCasesService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(DOCUMENT_STORE) private readonly store: DocumentStore,
    private readonly em: EntityManager,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly jobs: JobRunner,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Cron(JOBS['unfinished-cases'].schedule, { name: 'unfinished-cases' })
  async run(now = new Date()): Promise<{ warned: number; deleted: number }> {
    const outcome = await this.jobs.runExclusive('unfinished-cases', async () => {
      const done = { warned: 0, deleted: 0 };
      const days = this.config.retention.unfinishedCaseDays;
      const at = {
        warnFrom: new Date(now.getTime() - (days - UNFINISHED_CASE_WARNING_DAYS) * DAY_MS),
        warnedBefore: new Date(now.getTime() - UNFINISHED_CASE_WARNING_DAYS * DAY_MS),
        idleBefore: new Date(now.getTime() - days * DAY_MS),
      };
      for (const idle of await idleCases(this.em.fork(), at, { limit: BATCH })) {
        if (this.dueForDeletion(idle, now)) {
          const stillDue = async (tx: EntityManager) => {
            const [again] = await idleCases(tx, at, { limit: 1, caseId: idle.caseId });
            return !!again && this.dueForDeletion(again, now);
          };
          if (await deleteCase(this.em, { store: this.store, audit: this.audit, logger: this.logger }, idle.caseId, stillDue)) done.deleted++;
        } else if (!idle.warnedAt || idle.warnedAt <= idle.lastActivity) {
          await this.warn(idle, now);
          done.warned++;
        }
      }
      return done;
    });
    return outcome ?? { warned: 0, deleted: 0 };
  }

  /** Idle for the whole period, and warned long enough ago, with nothing since the warning. */
  private dueForDeletion(idle: IdleCase, now: Date): boolean {
    const idleLongEnough = idle.lastActivity.getTime() + this.config.retention.unfinishedCaseDays * DAY_MS <= now.getTime();
    const warnedLongEnough = !!idle.warnedAt && idle.warnedAt > idle.lastActivity && idle.warnedAt.getTime() + UNFINISHED_CASE_WARNING_DAYS * DAY_MS <= now.getTime();
    return idleLongEnough && warnedLongEnough;
  }

  /** The email, and the record that it went, in one transaction. */
  private async warn(idle: IdleCase, now: Date): Promise<void> {
    const deletedOn = new Date(Math.max(idle.lastActivity.getTime() + this.config.retention.unfinishedCaseDays * DAY_MS, now.getTime() + UNFINISHED_CASE_WARNING_DAYS * DAY_MS));
    const language = languageOr(idle.language ?? undefined);
    const values = { date: formatDate(language, deletedOn, 'dateLong'), days: this.config.retention.unfinishedCaseDays };
    await this.em.fork().transactional(async (tx) => {
      await markWarned(tx, idle.caseId, now);
      this.notifications.queueEmail({
        to: idle.email,
        ...this.notifications.compose(language, phrase('verification.unfinishedEmail.subject', values), [
          phrase('verification.unfinishedEmail.body', values),
          phrase('verification.unfinishedEmail.keep', { url: `${this.config.baseUrl}/sign-in` }),
          phrase('verification.unfinishedEmail.nothing'),
        ]),
      });
    });
  }
}
