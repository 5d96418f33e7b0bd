import { Migration } from '@mikro-orm/migrations';

/**
 * "Download my data": the requests and their encrypted ZIPs; and the index that lets "Who saw
 * my data" find, fast, the views of a person's support requests (their events name the request).
 */
export class Migration20261206110100_data_export extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "data_export" (
        "id" uuid not null primary key,
        "account_id" uuid not null,
        "status" text not null default 'building',
        "progress" int not null default 0,
        "requested_at" timestamptz not null,
        "heartbeat_at" timestamptz not null,
        "ready_at" timestamptz null,
        "expires_at" timestamptz null,
        "used_at" timestamptz null,
        "storage_key" text null,
        "wrapped_key" text null,
        "bytes" int null
      );`);
    this.addSql(`create index "data_export_account_id_index" on "data_export" ("account_id");`);
    this.addSql(`create index "data_export_expires_at_index" on "data_export" ("expires_at");`);
    this.addSql(`alter table "data_export" add constraint "data_export_storage_key_unique" unique ("storage_key");`);
    this.addSql(`alter table "data_export" add constraint "data_export_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);
    this.addSql(`create index "audit_event_subject_id_index" on "audit_event" ("subject", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "audit_event_subject_id_index";`);
    this.addSql(`drop table "data_export";`);
  }
}
