import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';

/** The last run of a job, as `job_run` keeps it. */
interface JobRunRow {
  job: string;
  started_at: Date | string;
  finished_at: Date | string;
  rows: number | null;
  failed: boolean;
}

export interface RecordedRun {
  job: string;
  startedAt: Date;
  finishedAt: Date;
  rows: number | null;
  failed: boolean;
}

/** The newest run of each of these jobs (none for a job never run): one index lookup per job (job, started_at), however many runs are kept. */
export async function lastRunOfEach(em: EntityManager, jobs: readonly string[]): Promise<RecordedRun[]> {
  const rows = await sql<JobRunRow>(em,
    `select r.* from unnest(array[?]::text[]) as j(name)
       cross join lateral (select job, started_at, finished_at, rows, failed from job_run where job = j.name order by started_at desc limit 1) r`,
    [jobs],
  );
  return rows.map((r) => ({ job: r.job, startedAt: new Date(r.started_at), finishedAt: new Date(r.finished_at), rows: r.rows, failed: r.failed }));
}

/** Records a run that ended, and deletes this job's runs started before `pruneBefore`, in one statement. */
export async function recordJobRun(
  em: EntityManager,
  run: { job: string; startedAt: Date; finishedAt: Date; rows: number | null; failed: boolean; error: string | null },
  pruneBefore: Date,
): Promise<void> {
  await sqlRun(em,
    `with pruned as (delete from job_run where job = ? and started_at < ?)
     insert into job_run (id, job, started_at, finished_at, rows, failed, error) values (?, ?, ?, ?, ?, ?, ?)`,
    [run.job, pruneBefore, randomUUID(), run.job, run.startedAt, run.finishedAt, run.rows, run.failed, run.error],
  );
}
