import { Migration } from '@mikro-orm/migrations';

/** Second factors: methods, backup codes, steps in progress, per-account state, remembered browsers. */
export class Migration20261126110000_second_factors extends Migration {
  override async up(): Promise<void> {
    // A session is signed in only once the second factor is passed.
    this.addSql(`alter table "session" add column "second_factor_at" timestamptz null, add column "authenticated_at" timestamptz not null default now();`);
    this.addSql(`alter table "session" alter column "authenticated_at" drop default;`);
    // Codes can also be read out by a voice call.
    this.addSql(`alter table "outbox_message" drop constraint if exists "outbox_message_channel_check";`);
    this.addSql(`alter table "outbox_message" add constraint "outbox_message_channel_check" check ("channel" in ('email', 'sms', 'voice'));`);

    this.addSql(`
      create table "mfa_method" (
        "id" uuid not null primary key,
        "account_id" uuid not null,
        "kind" text check ("kind" in ('passkey', 'totp', 'phone', 'backup_codes')) not null,
        "label" text not null,
        "credential_id" text null,
        "public_key" text null,
        "sign_count" bigint null,
        "transports" jsonb null,
        "secret_sealed" text null,
        "last_time_step" bigint null,
        "phone_channel" text check ("phone_channel" in ('sms', 'voice')) null,
        "display_hint" text null,
        "failed_attempts" int not null default 0,
        "locked_until" timestamptz null,
        "next_attempt_at" timestamptz null,
        "created_at" timestamptz not null,
        "last_used_at" timestamptz null
      );`);
    this.addSql(`create index "mfa_method_account_id_index" on "mfa_method" ("account_id");`);
    this.addSql(`alter table "mfa_method" add constraint "mfa_method_credential_id_unique" unique ("credential_id");`);
    this.addSql(`alter table "mfa_method" add constraint "mfa_method_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);

    this.addSql(`
      create table "backup_code" (
        "id" uuid not null primary key,
        "method_id" uuid not null,
        "code_hash" text not null,
        "used_at" timestamptz null
      );`);
    this.addSql(`create index "backup_code_method_id_index" on "backup_code" ("method_id");`);
    this.addSql(`alter table "backup_code" add constraint "backup_code_method_id_foreign" foreign key ("method_id") references "mfa_method" ("id") on delete cascade;`);

    this.addSql(`
      create table "mfa_pending" (
        "id" text not null primary key,
        "purpose" text check ("purpose" in ('totp_setup', 'phone_setup', 'phone_challenge', 'passkey_setup', 'passkey_challenge', 'passkey_signin')) not null,
        "account_id" uuid null,
        "data" jsonb not null,
        "expires_at" timestamptz not null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "mfa_pending_expires_at_index" on "mfa_pending" ("expires_at");`);

    this.addSql(`
      create table "mfa_account_state" (
        "account_id" uuid not null primary key,
        "consecutive_failures" int not null default 0,
        "recovery_due_at" timestamptz null,
        "recovery_cancel_hash" text null
      );`);
    this.addSql(`alter table "mfa_account_state" add constraint "mfa_account_state_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);

    this.addSql(`
      create table "remembered_browser" (
        "token_hash" text not null primary key,
        "account_id" uuid not null,
        "expires_at" timestamptz not null
      );`);
    this.addSql(`create index "remembered_browser_account_id_index" on "remembered_browser" ("account_id");`);
    this.addSql(`alter table "remembered_browser" add constraint "remembered_browser_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);
  }
}
