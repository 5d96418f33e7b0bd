import { Migration } from '@mikro-orm/migrations';
import { appendParams } from '../src/audit/audit.service';
import { APPEND_SQL } from '../src/audit/chain.queries';

/**
 * The case's events move to the one audit log: verification_event duplicated audit_event.
 * The audit log is hash-chained and append-only, so the old events cannot be inserted among
 * the rows already there; they are appended through audit_append, oldest first, each with its
 * own time, so `npm run audit:verify` still walks an intact chain. A status change is written
 * in the same millisecond as the event that caused it: it goes after it.
 */
export class Migration20261205090000_case_events_in_audit_log extends Migration {
  override async up(): Promise<void> {
    const page = 1000;
    for (let offset = 0; ; offset += page) {
      const rows = await this.execute(
        `select "verification_case_id", "type", "step", "detail", "created_at" from "verification_event"
          order by "created_at", "type" = 'verification.status_changed', "type", "id" limit ${page} offset ${offset}`,
      );
      for (const row of rows) {
        const entry = { action: row.type as string, caseId: row.verification_case_id as string, subject: (row.step as string | null) ?? undefined, details: (row.detail as Record<string, unknown> | null) ?? undefined };
        await this.execute(APPEND_SQL, appendParams(entry, new Date(row.created_at as string | Date)));
      }
      if (rows.length < page) break;
    }
    this.addSql(`drop table "verification_event";`);
  }

  override async down(): Promise<void> {
    // The events stay in the audit log (it is append-only); the table comes back empty.
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
  }
}
