import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { ENDED_LINK_GRACE_DAYS, ENDED_SESSION_GRACE_HOURS } from '../jobs/retention-periods';
import { Link } from '../links/link.entity';
import { MfaPending } from '../mfa/mfa-pending.entity';
import { RememberedBrowser } from '../mfa/remembered-browser.entity';
import { PendingReturn } from '../oidc/pending-return.entity';
import { Session } from './session.entity';

export interface SignInRecordsDeleted {
  sessions: number;
  links: number;
  pendingSteps: number;
  rememberedBrowsers: number;
  pendingReturns: number;
}

/**
 * Deletes what signing in leaves behind once it can no longer be used, each by its own expiry:
 * a session ends at its absolute limit or after SESSION_IDLE_MINUTES unseen (SessionsService);
 * a link when used or past its expiry (links.ts); a second-factor step and a remembered
 * browser at their expiry (MFA_POLICY); a remembered organization (PendingReturn) has none of
 * its own: the person it waits for is gone once their case would be deleted for inactivity.
 * The OpenID provider's own codes, tokens and sessions are the openid-cleanup job's.
 */
@Injectable()
export class SignInRecordsService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly jobs: JobRunner,
  ) {}

  @Cron(JOBS['expired-sign-in-records'].schedule, { name: 'expired-sign-in-records' })
  async deleteExpired(now = new Date()): Promise<SignInRecordsDeleted> {
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const deleted = await this.jobs.runExclusive('expired-sign-in-records', async () => {
      const em = this.em.fork();
      const sessionGrace = ENDED_SESSION_GRACE_HOURS * 3_600_000;
      const linkGrace = ENDED_LINK_GRACE_DAYS * 86_400_000;
      return {
        sessions: await em.nativeDelete(Session, {
          $or: [{ expiresAt: { $lt: ago(sessionGrace) } }, { lastSeenAt: { $lt: ago(this.config.sessionIdleMinutes * 60_000 + sessionGrace) } }],
        }),
        links: await em.nativeDelete(Link, { $or: [{ usedAt: { $lt: ago(linkGrace) } }, { expiresAt: { $lt: ago(linkGrace) } }] }),
        pendingSteps: await em.nativeDelete(MfaPending, { expiresAt: { $lt: now } }),
        rememberedBrowsers: await em.nativeDelete(RememberedBrowser, { expiresAt: { $lt: now } }),
        pendingReturns: await em.nativeDelete(PendingReturn, { createdAt: { $lt: ago(this.config.retention.unfinishedCaseDays * 86_400_000) } }),
      };
    });
    return deleted ?? { sessions: 0, links: 0, pendingSteps: 0, rememberedBrowsers: 0, pendingReturns: 0 };
  }
}
