import { Migration } from '@mikro-orm/migrations';

/**
 * One table of the links handed out to people (src/links) instead of one per feature: email confirmation
 * and password-reset tokens (email_token) and Save & Exit resume codes
 * (verification_resume_code) move into it with their hashes, expiry and used state.
 */
export class Migration20261205110000_links extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "link" (
        "id" uuid not null primary key,
        "purpose" text check ("purpose" in ('confirm_email', 'reset_password', 'resume_case')) not null,
        "account_id" uuid not null,
        "verification_case_id" uuid null,
        "token_hash" text not null,
        "expires_at" timestamptz not null,
        "used_at" timestamptz null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "link_account_id_purpose_index" on "link" ("account_id", "purpose");`);
    this.addSql(`create index "link_verification_case_id_index" on "link" ("verification_case_id");`);
    this.addSql(`alter table "link" add constraint "link_token_hash_unique" unique ("token_hash");`);
    this.addSql(`alter table "link" add constraint "link_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "link" add constraint "link_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on delete cascade;`);

    this.addSql(`
      insert into "link" ("id", "purpose", "account_id", "token_hash", "expires_at", "used_at", "created_at")
      select "id", "purpose", "account_id", "token_hash", "expires_at", "used_at", "created_at" from "email_token";`);
    this.addSql(`
      insert into "link" ("id", "purpose", "account_id", "verification_case_id", "token_hash", "expires_at", "used_at", "created_at")
      select r."id", 'resume_case', c."account_id", r."verification_case_id", r."token_hash", r."expires_at", r."used_at", r."created_at"
      from "verification_resume_code" r join "verification_case" c on c."id" = r."verification_case_id";`);
    this.addSql(`drop table "email_token";`);
    this.addSql(`drop table "verification_resume_code";`);
  }

  override async down(): Promise<void> {
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
      create table "verification_resume_code" (
        "id" uuid not null primary key,
        "verification_case_id" uuid not null,
        "token_hash" text not null,
        "expires_at" timestamptz not null,
        "used_at" timestamptz null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "verification_resume_code_verification_case_id_index" on "verification_resume_code" ("verification_case_id");`);
    this.addSql(`alter table "verification_resume_code" add constraint "verification_resume_code_token_hash_unique" unique ("token_hash");`);
    this.addSql(`alter table "verification_resume_code" add constraint "verification_resume_code_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on delete cascade;`);

    this.addSql(`
      insert into "email_token" ("id", "account_id", "purpose", "token_hash", "expires_at", "used_at", "created_at")
      select "id", "account_id", "purpose", "token_hash", "expires_at", "used_at", "created_at" from "link"
      where "purpose" in ('confirm_email', 'reset_password');`);
    this.addSql(`
      insert into "verification_resume_code" ("id", "verification_case_id", "token_hash", "expires_at", "used_at", "created_at")
      select "id", "verification_case_id", "token_hash", "expires_at", "used_at", "created_at" from "link"
      where "purpose" = 'resume_case';`);
    this.addSql(`drop table "link";`);
  }
}
