import { Migration } from '@mikro-orm/migrations';

/** A record of each run of a scheduled job (JobRunner), shown on the supervisor's page; kept 7 days. */
export class Migration20261205070000_job_run extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "job_run" (
        "id" uuid not null primary key,
        "job" text not null,
        "started_at" timestamptz not null,
        "finished_at" timestamptz not null,
        "rows" int null,
        "failed" boolean not null default false,
        "error" text null
      );`);
    this.addSql(`create index "job_run_job_started_at_index" on "job_run" ("job", "started_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "job_run";`);
  }
}
