import { Migration } from '@mikro-orm/migrations';

const STATUSES = `'started', 'details_confirmed', 'documents_chosen', 'documents_submitted', 'in_review', 'documents_rejected', 'approved', 'queued', 'scheduled', 'in_call', 'verified', 'failed', 'needs_more_documents', 'abandoned'`;

/**
 * The verification case (one per account), its audit trail, and Save & Exit resume codes.
 * SSN/ITIN, date of birth and address columns hold PiiCipher ciphertext, never clear text.
 */
export class Migration20261126120000_verification extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "verification_case" (
        "id" uuid not null primary key,
        "account_id" uuid not null,
        "status" text check ("status" in (${STATUSES})) not null default 'started',
        "status_before_exit" text check ("status_before_exit" in (${STATUSES})) null,
        "method" text check ("method" in ('self_service', 'video_call', 'international')) null,
        "track" text check ("track" in ('international', 'us_video')) null,
        "international_reason" text check ("international_reason" in ('no_us_residence', 'no_us_phone', 'no_us_address', 'no_ssn')) null,
        "video_started_at" timestamptz null,
        "first_name" text null,
        "middle_name" text null,
        "last_name" text null,
        "email" text null,
        "phone" text null,
        "date_of_birth" text null,
        "address" text null,
        "address_country" text null,
        "name_changed" boolean null,
        "details_confirmed_at" timestamptz null,
        "identifier_kind" text check ("identifier_kind" in ('ssn', 'itin', 'none')) null,
        "identifier" text null,
        "identifier_last4" text null,
        "identifier_fingerprint" text null,
        "fcra_consent_at" timestamptz null,
        "duplicate_identifier_at" timestamptz null,
        "documents" jsonb not null,
        "supporting_confirmed" jsonb not null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null
      );`);
    this.addSql(`alter table "verification_case" add constraint "verification_case_account_id_unique" unique ("account_id");`);
    this.addSql(`alter table "verification_case" add constraint "verification_case_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);
    this.addSql(`create index "verification_case_identifier_fingerprint_index" on "verification_case" ("identifier_fingerprint");`);

    this.addSql(`
      create table "verification_event" (
        "id" uuid not null primary key,
        "verification_case_id" uuid not null,
        "type" text not null,
        "step" text null,
        "detail" jsonb null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "verification_event_verification_case_id_created_at_index" on "verification_event" ("verification_case_id", "created_at");`);
    this.addSql(`alter table "verification_event" add constraint "verification_event_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on delete cascade;`);

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
  }
}
