import { Migration } from '@mikro-orm/migrations';

/** Document images (encrypted files; rows hold the wrapped keys) and the document review queue. */
export class Migration20261126160000_documents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "document_file" (
        "id" uuid not null primary key,
        "verification_case_id" uuid not null,
        "item" text not null,
        "document_type" text not null,
        "side" text not null,
        "storage_key" text not null,
        "wrapped_key" text not null,
        "sha256" text not null,
        "mime" text not null,
        "bytes" int not null,
        "width" int null,
        "height" int null,
        "hints" jsonb not null,
        "via" text not null default 'upload',
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "document_file_verification_case_id_item_side_index" on "document_file" ("verification_case_id", "item", "side");`);
    this.addSql(`alter table "document_file" add constraint "document_file_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on delete cascade;`);

    this.addSql(`
      create table "document_review" (
        "case_id" uuid not null primary key,
        "submitted_at" timestamptz not null,
        "submissions" int not null default 1,
        "claimed_by" uuid null,
        "claimed_at" timestamptz null,
        "last_activity_at" timestamptz null,
        "decided_at" timestamptz null,
        "decided_by" uuid null,
        "decisions" jsonb not null
      );`);
    this.addSql(`create index "document_review_decided_at_submitted_at_index" on "document_review" ("decided_at", "submitted_at");`);

    this.addSql(`
      create table "capture_link" (
        "id" uuid not null primary key,
        "verification_case_id" uuid not null,
        "token_hash" text not null,
        "phone_last4" text not null,
        "expires_at" timestamptz not null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`alter table "capture_link" add constraint "capture_link_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "capture_link_created_at_index" on "capture_link" ("created_at");`);
    this.addSql(`alter table "capture_link" add constraint "capture_link_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "capture_link" cascade;`);
    this.addSql(`drop table if exists "document_review" cascade;`);
    this.addSql(`drop table if exists "document_file" cascade;`);
  }
}
