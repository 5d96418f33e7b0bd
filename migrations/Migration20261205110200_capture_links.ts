import { Migration } from '@mikro-orm/migrations';

/**
 * Take Photo links move into "link" (purpose `capture_photos`), with their hashes, expiry and
 * the phone's last digits; their account is their case's. They are not single use: each
 * works for every upload until it expires, so used_at stays empty.
 */
export class Migration20261205110200_capture_links extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "link" add column "phone_last4" text null;`);
    this.addSql(`alter table "link" drop constraint "link_purpose_check";`);
    this.addSql(`alter table "link" add constraint "link_purpose_check" check ("purpose" in ('confirm_email', 'reset_password', 'resume_case', 'cancel_recovery', 'capture_photos'));`);
    this.addSql(`
      insert into "link" ("id", "purpose", "account_id", "verification_case_id", "token_hash", "phone_last4", "expires_at", "used_at", "created_at")
      select l."id", 'capture_photos', c."account_id", l."verification_case_id", l."token_hash", l."phone_last4", l."expires_at", null, l."created_at"
      from "capture_link" l join "verification_case" c on c."id" = l."verification_case_id";`);
    this.addSql(`drop table "capture_link";`);
  }

  override async down(): Promise<void> {
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
    this.addSql(`
      insert into "capture_link" ("id", "verification_case_id", "token_hash", "phone_last4", "expires_at", "created_at")
      select "id", "verification_case_id", "token_hash", "phone_last4", "expires_at", "created_at" from "link" where "purpose" = 'capture_photos';`);
    this.addSql(`delete from "link" where "purpose" = 'capture_photos';`);
    this.addSql(`alter table "link" drop constraint "link_purpose_check";`);
    this.addSql(`alter table "link" add constraint "link_purpose_check" check ("purpose" in ('confirm_email', 'reset_password', 'resume_case', 'cancel_recovery'));`);
    this.addSql(`alter table "link" drop column "phone_last4";`);
  }
}
