import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';
import type { Logger } from 'pino';
import { LOGGER } from '../web/tokens';
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
      const [{ got }] = await sql<{ got: boolean }>(lock, 'select pg_try_advisory_xact_lock(?) as got', [JOBS[job].lock]);
      if (!got) return undefined;
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
    // One index lookup per job (job, started_at), however many runs are kept.
    const rows = await sql<{ job: string; started_at: Date | string; finished_at: Date | string; rows: number | null; failed: boolean }>(this.em,
      `select r.* from unnest(array[?]::text[]) as j(name)
         cross join lateral (select job, started_at, finished_at, rows, failed from job_run where job = j.name order by started_at desc limit 1) r`,
      [Object.keys(JOBS)],
    );
    const last = new Map(rows.map((r) => [r.job, r]));
    return (Object.keys(JOBS) as JobName[]).map((job) => {
      const r = last.get(job);
      if (!r) return { job, failed: false };
      return {
        job,
        startedAt: new Date(r.started_at),
        seconds: (new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000,
        rows: r.rows ?? undefined,
        failed: r.failed,
      };
    });
  }

  /** Records a run that ended, and deletes this job's runs older than RUN_RECORD_DAYS, in one statement (on the lock's connection). */
  private async record(em: EntityManager, job: JobName, startedAt: Date, outcome: { rows?: number; failed?: boolean; error?: string }): Promise<void> {
    await sqlRun(em,
      `with pruned as (delete from job_run where job = ? and started_at < ?)
       insert into job_run (id, job, started_at, finished_at, rows, failed, error) values (?, ?, ?, ?, ?, ?, ?)`,
      [job, new Date(Date.now() - RUN_RECORD_DAYS * 86_400_000), randomUUID(), job, startedAt, new Date(), outcome.rows ?? null, !!outcome.failed, outcome.error ?? null],
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
