import { Migration } from '@mikro-orm/migrations';

/**
 * Call recordings (stored encrypted, one row each, kept after deletion to show when) and the
 * downloads of recordings JaaS announced, retried by a job.
 */
export class Migration20261206140000_recordings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "recording" (
        "id" uuid not null primary key,
        "call_id" uuid not null,
        "storage_key" text not null,
        "wrapped_key" text null,
        "sha256" text not null,
        "bytes" bigint not null,
        "mime" text not null,
        "duration_seconds" double precision null,
        "source" text check ("source" in ('jibri', 'jaas')) not null,
        "received_at" timestamptz not null,
        "deleted_at" timestamptz null
      );`);
    this.addSql(`alter table "recording" add constraint "recording_storage_key_unique" unique ("storage_key");`);
    this.addSql(`alter table "recording" add constraint "recording_call_id_sha256_unique" unique ("call_id", "sha256");`);
    this.addSql(`create index "recording_deleted_at_received_at_index" on "recording" ("deleted_at", "received_at");`);
    this.addSql(`alter table "recording" add constraint "recording_call_id_foreign" foreign key ("call_id") references "video_call" ("id") on delete cascade;`);
    this.addSql(`
      create table "recording_download" (
        "id" uuid not null primary key,
        "event_key" text not null,
        "call_id" uuid not null,
        "link_cipher" text not null,
        "attempts" int not null default 0,
        "next_attempt_at" timestamptz not null,
        "last_error" text null,
        "created_at" timestamptz not null,
        "finished_at" timestamptz null,
        "outcome" text null
      );`);
    this.addSql(`alter table "recording_download" add constraint "recording_download_event_key_unique" unique ("event_key");`);
    this.addSql(`alter table "recording_download" add constraint "recording_download_call_id_foreign" foreign key ("call_id") references "video_call" ("id") on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "recording_download";`);
    this.addSql(`drop table "recording";`);
  }
}
