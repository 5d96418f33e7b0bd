import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { SupportRequest } from './support-request.entity';

/**
 * Deletes the support requests whose last message (lastActivityAt) is older than
 * SUPPORT_RETENTION_DAYS; their messages go with them (the foreign key cascades). Open or
 * answered alike: a request nobody wrote in for that long is over. One instance at a time.
 */
@Injectable()
export class SupportRetentionService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly jobs: JobRunner,
  ) {}

  @Cron(JOBS['support-retention'].schedule, { name: 'support-retention' })
  async deleteExpired(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.retention.supportDays * 86_400_000);
    const deleted = await this.jobs.runExclusive('support-retention', () => this.em.fork().nativeDelete(SupportRequest, { lastActivityAt: { $lt: cutoff } }));
    return deleted ?? 0;
  }
}
