import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import { JobRunner } from '../jobs/job-runner';
import { JOBS, LOCKS } from '../jobs/jobs';
import { AuditCheckpoint } from './audit-checkpoint.entity';
import { checkpointKey, checkpointSignature } from './audit.service';
import { cutChain } from './chain.queries';

/** Events deleted per transaction: a long backlog (the first run after years) goes in steps that each commit. */
const CUT_BATCH = 10_000;

/** AUDIT_RETENTION_YEARS before `now`, by the calendar (a year is not always 365 days). */
export function auditCutoff(now: Date, years: number): Date {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  return cutoff;
}

/**
 * Deletes the audit events older than AUDIT_RETENTION_YEARS, oldest first, and leaves a signed
 * checkpoint where the chain now starts, so that `npm run audit:verify` still proves the rest.
 * The delete goes through the database function audit_cut, the one way past the append-only
 * trigger; the checkpoint is written in the same transaction, so there is never a cut without
 * its checkpoint.
 */
@Injectable()
export class AuditRetentionService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly jobs: JobRunner,
  ) {}

  @Cron(JOBS['audit-retention'].schedule, { name: 'audit-retention' })
  async deleteExpired(now = new Date()): Promise<number> {
    const before = auditCutoff(now, this.config.retention.auditYears);
    const key = checkpointKey(this.config);
    const deleted = await this.jobs.runExclusive('audit-retention', async () => {
      let total = 0;
      for (;;) {
        const removed = await this.em.fork().transactional(async (tx) => {
          const cut = await cutChain(tx, LOCKS.auditChain, before, CUT_BATCH);
          if (!cut) return 0;
          const fields = { lastEventId: cut.lastId, lastHash: cut.lastHash, removed: cut.removed, cutAt: new Date() };
          tx.create(AuditCheckpoint, { ...fields, signature: checkpointSignature(key, fields) });
          return cut.removed;
        });
        total += removed;
        if (removed < CUT_BATCH) return total;
      }
    });
    return deleted ?? 0;
  }
}
