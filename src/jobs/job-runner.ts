import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { LOGGER } from '../web/tokens';
import { tryAdvisoryLock } from './advisory-locks.queries';
import { lastRunOfEach, recordJobRun } from './job-runs.queries';
import { JOBS, type JobName } from './jobs';

/** Runs of each job are kept this long (the supervisor's page shows the last one). */
export const RUN_RECORD_DAYS = 7;

export interface LastRun {
  job: JobName;
  startedAt?: Date;
  seconds?: number;
  rows?: number;
  failed: boolean;
}

/**
 * Runs scheduled jobs (jobs/jobs.ts) on one instance at a time and records each run.
 */
@Injectable()
export class JobRunner {
  constructor(
    private readonly em: EntityManager,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Runs `fn` as `job` if no other instance is running it (its advisory lock, held by a
   * transaction of its own while `fn` runs; `fn` opens its own transactions, so what they
   * queue is delivered as each commits). Each run is recorded in `job_run` as it ends. A
   * failure is logged and recorded, never thrown: the job simply runs again at its next time.
   * Returns `fn`'s result, or undefined when another instance held the lock or the run failed.
   */
  async runExclusive<T>(job: JobName, fn: () => Promise<T>): Promise<T | undefined> {
    const lock = this.em.fork();
    await lock.begin();
    try {
      if (!(await tryAdvisoryLock(lock, JOBS[job].lock))) return undefined;
      const startedAt = new Date();
      try {
        const result = await fn();
        await this.record(lock, job, startedAt, { rows: rowsOf(result) });
        return result;
      } catch (error) {
        this.logger.error({ err: error, job }, 'scheduled job failed');
        await this.record(lock, job, startedAt, { failed: true, error: shortError(error) });
        return undefined;
      }
    } finally {
      await lock.commit(); // releases the lock
    }
  }

  /** The last run of every job, in the registry's order (never run: no start). */
  async lastRuns(): Promise<LastRun[]> {
    const rows = await lastRunOfEach(this.em, Object.keys(JOBS));
    const last = new Map(rows.map((r) => [r.job, r]));
    return (Object.keys(JOBS) as JobName[]).map((job) => {
      const r = last.get(job);
      if (!r) return { job, failed: false };
      return {
        job,
        startedAt: r.startedAt,
        seconds: (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000,
        rows: r.rows ?? undefined,
        failed: r.failed,
      };
    });
  }

  /** Records a run that ended, and deletes this job's runs older than RUN_RECORD_DAYS, in one statement (on the lock's connection). */
  private async record(em: EntityManager, job: JobName, startedAt: Date, outcome: { rows?: number; failed?: boolean; error?: string }): Promise<void> {
    await recordJobRun(
      em,
      { job, startedAt, finishedAt: new Date(), rows: outcome.rows ?? null, failed: !!outcome.failed, error: outcome.error ?? null },
      new Date(Date.now() - RUN_RECORD_DAYS * 86_400_000),
    );
  }
}

/** What a job reports having done: a count, or the sum of the counts it returns. */
function rowsOf(result: unknown): number | undefined {
  if (typeof result === 'number') return result;
  if (result && typeof result === 'object') {
    const counts = Object.values(result).filter((v): v is number => typeof v === 'number');
    if (counts.length) return counts.reduce((a, b) => a + b, 0);
  }
  return undefined;
}

/**
 * A failure's message for the record, short and without personal data: the driver's own
 * message (not the query MikroORM puts before it, which may carry values), addresses and
 * long numbers blanked.
 */
export function shortError(error: unknown): string {
  const message = String((error as Error)?.message ?? error).split(' - ').pop()!;
  return message
    .replace(/\S+@\S+/g, '…')
    .replace(/\d{4,}/g, '…')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}
