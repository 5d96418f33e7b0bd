import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

/**
 * One run of a scheduled job (JobRunner.runExclusive), written as it ends, for the
 * supervisor's page: when, how long, how many rows, and whether it failed. No personal data:
 * the error is a short, scrubbed message. Runs older than RUN_RECORD_DAYS are deleted as new
 * ones are written.
 */
@Entity({ tableName: 'job_run' })
@Index({ properties: ['job', 'startedAt'] })
export class JobRun {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** A name from JOBS (jobs/jobs.ts). */
  @Property({ type: 'text' })
  job!: string;

  @Property({ type: 'datetime' })
  startedAt!: Date;

  @Property({ type: 'datetime' })
  finishedAt!: Date;

  /** What the job reports it did (messages sent, files deleted, …). */
  @Property({ type: 'integer', nullable: true })
  rows?: number;

  @Property({ type: 'boolean', default: false })
  failed: Opt<boolean> = false;

  @Property({ type: 'text', nullable: true })
  error?: string;
}
