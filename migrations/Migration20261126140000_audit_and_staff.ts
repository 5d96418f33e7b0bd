import { Migration } from '@mikro-orm/migrations';

/** The append-only audit log (hash-chained), staff roles and referee certifications. */
export class Migration20261126140000_audit_and_staff extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "audit_event" (
        "id" bigserial primary key,
        "at" timestamptz not null,
        "actor_id" uuid null,
        "action" text not null,
        "case_id" uuid null,
        "subject" text null,
        "ip" text null,
        "details" jsonb null,
        "prev_hash" text not null,
        "hash" text not null
      );`);
    this.addSql(`create index "audit_event_case_id_id_index" on "audit_event" ("case_id", "id");`);
    this.addSql(`create index "audit_event_actor_id_id_index" on "audit_event" ("actor_id", "id");`);
    // Append-only, whatever the role: rows can be added, never changed, removed or truncated
    // (the row trigger is declared on the entity with @Trigger, so the schema check knows it).
    this.addSql(`create or replace function "audit_event_append_only_fn"() returns trigger as $$ begin raise exception 'audit_event is append-only: % refused', tg_op using errcode = 'insufficient_privilege'; end; $$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "audit_event" for each ROW execute function "audit_event_append_only_fn"();`);
    this.addSql(`create or replace function "audit_event_no_truncate_fn"() returns trigger as $$ begin raise exception 'audit_event is append-only: % refused', tg_op using errcode = 'insufficient_privilege'; end; $$ language plpgsql;`);
    this.addSql(`create trigger "no_truncate" BEFORE TRUNCATE on "audit_event" for each STATEMENT execute function "audit_event_no_truncate_fn"();`);

    this.addSql(`
      create table "staff_role" (
        "id" uuid not null primary key,
        "account_id" uuid not null,
        "role" text check ("role" in ('reviewer', 'referee', 'support', 'supervisor', 'admin')) not null,
        "granted_at" timestamptz not null,
        "granted_by" uuid null
      );`);
    this.addSql(`alter table "staff_role" add constraint "staff_role_account_id_role_unique" unique ("account_id", "role");`);
    this.addSql(`alter table "staff_role" add constraint "staff_role_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);

    this.addSql(`
      create table "referee_certification" (
        "account_id" uuid not null primary key,
        "trained_on" date not null,
        "expires_on" date not null
      );`);
    this.addSql(`alter table "referee_certification" add constraint "referee_certification_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
  }
}
