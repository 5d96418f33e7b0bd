import { Migration } from '@mikro-orm/migrations';

/** Support requests and fraud reports, and their messages (encrypted). */
export class Migration20261126150000_support extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "support_request" (
        "id" uuid not null primary key,
        "reference" text not null,
        "account_id" uuid null,
        "email_cipher" text null,
        "category" text check ("category" in ('account', 'verification', 'documents', 'video_call', 'organizations', 'privacy', 'accessibility', 'other', 'fraud')) not null,
        "fraud_kind" text check ("fraud_kind" in ('video_link', 'someone_verifying_as_me')) null,
        "priority" boolean not null default false,
        "case_reference" text null,
        "status" text check ("status" in ('open', 'answered', 'closed')) not null default 'open',
        "message_count" int not null default 0,
        "created_at" timestamptz not null,
        "last_activity_at" timestamptz not null,
        "reviewed_at" timestamptz null,
        "reviewed_by" uuid null
      );`);
    this.addSql(`alter table "support_request" add constraint "support_request_reference_unique" unique ("reference");`);
    this.addSql(`create index "support_request_status_priority_created_at_index" on "support_request" ("status", "priority", "created_at");`);
    this.addSql(`create index "support_request_last_activity_at_index" on "support_request" ("last_activity_at");`);
    this.addSql(`create index "support_request_account_id_created_at_index" on "support_request" ("account_id", "created_at");`);
    this.addSql(`alter table "support_request" add constraint "support_request_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);

    this.addSql(`
      create table "support_message" (
        "id" uuid not null primary key,
        "request_id" uuid not null,
        "author" text check ("author" in ('requester', 'staff')) not null,
        "staff_id" uuid null,
        "body_cipher" text not null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "support_message_request_id_created_at_index" on "support_message" ("request_id", "created_at");`);
    this.addSql(`alter table "support_message" add constraint "support_message_request_id_foreign" foreign key ("request_id") references "support_request" ("id") on delete cascade;`);
  }
}
