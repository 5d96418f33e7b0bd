import { Migration } from '@mikro-orm/migrations';

/**
 * Deleting an account (src/privacy/account-deletion*.ts): the accounts waiting for their
 * deletion, the single-use link in the confirmation email that cancels it, and where an
 * organization hears of it (its OpenID Connect back-channel logout URI).
 */
export class Migration20261206120000_account_deletion extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "account_deletion" ("account_id" uuid not null, "requested_at" timestamptz not null, "due_at" timestamptz not null, "time_zone" text not null default 'UTC', primary key ("account_id"));`);
    this.addSql(`create index "account_deletion_due_at_index" on "account_deletion" ("due_at");`);
    this.addSql(`alter table "account_deletion" add constraint "account_deletion_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "organization" add "backchannel_logout_uri" text null;`);
    this.addSql(`alter table "link" drop constraint "link_purpose_check";`);
    this.addSql(`alter table "link" add constraint "link_purpose_check" check ("purpose" in ('confirm_email', 'reset_password', 'resume_case', 'cancel_recovery', 'cancel_deletion', 'capture_photos'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "link" where "purpose" = 'cancel_deletion';`);
    this.addSql(`alter table "link" drop constraint "link_purpose_check";`);
    this.addSql(`alter table "link" add constraint "link_purpose_check" check ("purpose" in ('confirm_email', 'reset_password', 'resume_case', 'cancel_recovery', 'capture_photos'));`);
    this.addSql(`alter table "organization" drop column "backchannel_logout_uri";`);
    this.addSql(`drop table if exists "account_deletion" cascade;`);
  }
}
