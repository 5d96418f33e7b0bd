import { Migration } from '@mikro-orm/migrations';

/** The video-call queue (its rows keep the handle times the estimated wait uses), agents' statuses, the calls, and appointments. */
export class Migration20261126170000_calls extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "agent_status" ("account_id" uuid not null, "status" text not null, "updated_at" timestamptz not null, primary key ("account_id"));`);
    this.addSql(`create index "agent_status_status_index" on "agent_status" ("status");`);
    this.addSql(`create table "queue_entry" ("id" uuid not null, "verification_case_id" uuid not null, "account_id" uuid not null, "status" text not null default 'waiting', "joined_at" timestamptz not null, "last_seen_at" timestamptz not null, "ready_at" timestamptz null, "claimed_by" uuid null, "claimed_at" timestamptz null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "queue_entry_verification_case_id_index" on "queue_entry" ("verification_case_id");`);
    this.addSql(`create index "queue_entry_status_finished_at_index" on "queue_entry" ("status", "finished_at");`);
    this.addSql(`create index "queue_entry_status_joined_at_index" on "queue_entry" ("status", "joined_at");`);
    this.addSql(`create table "video_call" ("id" uuid not null, "verification_case_id" uuid not null, "applicant_id" uuid not null, "agent_id" uuid not null, "room" text not null, "status" text not null default 'active', "started_at" timestamptz not null, "recording_consent_at" timestamptz null, "recording_started_at" timestamptz null, "ended_at" timestamptz null, "outcome" text null, "outcome_reason" text null, "notes_cipher" text null, "checklist" jsonb null, "fraud_suspected" boolean not null default false, "code_hash" text null, "code_sent_at" timestamptz null, "events" jsonb not null, primary key ("id"));`);
    this.addSql(`alter table "video_call" add constraint "video_call_room_unique" unique ("room");`);
    this.addSql(`create index "video_call_applicant_id_status_index" on "video_call" ("applicant_id", "status");`);
    this.addSql(`create index "video_call_agent_id_status_index" on "video_call" ("agent_id", "status");`);
    this.addSql(`alter table "agent_status" add constraint "agent_status_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "agent_status" add constraint "agent_status_status_check" check ("status" in ('available', 'on_call', 'away'));`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on delete cascade;`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_status_check" check ("status" in ('waiting', 'claimed', 'done', 'left', 'expired'));`);
    this.addSql(`alter table "video_call" add constraint "video_call_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on delete cascade;`);
    this.addSql(`alter table "video_call" add constraint "video_call_applicant_id_foreign" foreign key ("applicant_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "video_call" add constraint "video_call_agent_id_foreign" foreign key ("agent_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "video_call" add constraint "video_call_status_check" check ("status" in ('active', 'ended'));`);
    this.addSql(`alter table "video_call" add constraint "video_call_outcome_check" check ("outcome" in ('verified', 'failed', 'needs_more_documents', 'incomplete'));`);

    // Appointments: agents' weekly hours and days off, appointments, and booked slots (one per agent and start).
    this.addSql(`create table "agent_shift" ("id" uuid not null, "agent_id" uuid not null, "weekday" smallint not null, "start_minute" smallint not null, "end_minute" smallint not null, "time_zone" text not null, primary key ("id"));`);
    this.addSql(`create index "agent_shift_agent_id_index" on "agent_shift" ("agent_id");`);
    this.addSql(`create table "agent_shift_exception" ("id" uuid not null, "agent_id" uuid not null, "date" text not null, primary key ("id"));`);
    this.addSql(`alter table "agent_shift_exception" add constraint "agent_shift_exception_agent_id_date_unique" unique ("agent_id", "date");`);
    this.addSql(`create table "appointment" ("id" uuid not null, "verification_case_id" uuid not null, "account_id" uuid not null, "agent_id" uuid not null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "time_zone" text not null, "status" text not null default 'booked', "reminder_day_sent_at" timestamptz null, "reminder_soon_sent_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "appointment_verification_case_id_status_index" on "appointment" ("verification_case_id", "status");`);
    this.addSql(`create index "appointment_status_starts_at_index" on "appointment" ("status", "starts_at");`);
    this.addSql(`create table "booked_slot" ("agent_id" uuid not null, "starts_at" timestamptz not null, "appointment_id" uuid not null, primary key ("agent_id", "starts_at"));`);
    this.addSql(`alter table "booked_slot" add constraint "booked_slot_appointment_id_unique" unique ("appointment_id");`);
    this.addSql(`alter table "agent_shift" add constraint "agent_shift_agent_id_foreign" foreign key ("agent_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "agent_shift_exception" add constraint "agent_shift_exception_agent_id_foreign" foreign key ("agent_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "appointment" add constraint "appointment_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on delete cascade;`);
    this.addSql(`alter table "appointment" add constraint "appointment_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "appointment" add constraint "appointment_agent_id_foreign" foreign key ("agent_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "appointment" add constraint "appointment_status_check" check ("status" in ('booked', 'cancelled', 'rescheduled', 'started', 'no_show'));`);
    this.addSql(`alter table "booked_slot" add constraint "booked_slot_agent_id_foreign" foreign key ("agent_id") references "account" ("id") on delete cascade;`);
    this.addSql(`alter table "booked_slot" add constraint "booked_slot_appointment_id_foreign" foreign key ("appointment_id") references "appointment" ("id") on delete cascade;`);

    // The applicant's language of the call and declared helper.
    this.addSql(`create table "call_preference" ("verification_case_id" uuid not null, "language" text not null default 'en', "helper_cipher" text null, "updated_at" timestamptz not null, primary key ("verification_case_id"));`);
    this.addSql(`alter table "call_preference" add constraint "call_preference_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on update cascade on delete cascade;`);
  }
}
