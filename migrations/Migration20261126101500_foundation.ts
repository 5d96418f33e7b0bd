import { Migration } from '@mikro-orm/migrations';

/** Accounts, sessions, email links, the outbox and the shared rate-limit counters. */
export class Migration20261126101500_foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "account" (
        "id" uuid not null primary key,
        "email" text not null,
        "password_hash" text not null,
        "email_confirmed_at" timestamptz null,
        "failed_sign_ins" int not null default 0,
        "created_at" timestamptz not null
      );`);
    this.addSql(`alter table "account" add constraint "account_email_unique" unique ("email");`);

    this.addSql(`
      create table "session" (
        "id" text not null primary key,
        "account_id" uuid not null,
        "created_at" timestamptz not null,
        "last_seen_at" timestamptz not null,
        "expires_at" timestamptz not null
      );`);
    this.addSql(`create index "session_account_id_index" on "session" ("account_id");`);
    this.addSql(`alter table "session" add constraint "session_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);

    this.addSql(`
      create table "email_token" (
        "id" uuid not null primary key,
        "account_id" uuid not null,
        "purpose" text check ("purpose" in ('confirm_email', 'reset_password')) not null,
        "token_hash" text not null,
        "expires_at" timestamptz not null,
        "used_at" timestamptz null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "email_token_account_id_index" on "email_token" ("account_id");`);
    this.addSql(`alter table "email_token" add constraint "email_token_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "email_token" add constraint "email_token_token_hash_unique" unique ("token_hash");`);

    this.addSql(`
      create table "outbox_message" (
        "id" uuid not null primary key,
        "channel" text check ("channel" in ('email', 'sms')) not null,
        "recipient" text not null,
        "subject" text null,
        "body" text not null,
        "status" text check ("status" in ('queued', 'sent', 'failed', 'kept')) not null default 'queued',
        "attempts" int not null default 0,
        "last_error" text null,
        "created_at" timestamptz not null,
        "sent_at" timestamptz null
      );`);
    this.addSql(`create index "outbox_message_status_created_at_index" on "outbox_message" ("status", "created_at");`);

    // Counters of rate-limiter-flexible's PostgreSQL store (its own schema), shared by every instance.
    this.addSql(`
      create table "rate_limit" (
        "key" varchar(255) primary key,
        "points" integer not null default 0,
        "expire" bigint
      );`);
  }
}
