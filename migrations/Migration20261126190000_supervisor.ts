import { Migration } from '@mikro-orm/migrations';

/**
 * The supervisor's figures and actions: every document decision kept (document_review holds
 * only the latest submission), and the marks a supervisor's release or reassignment leaves,
 * so the agent who lost the work is told why on their next action.
 */
export class Migration20261126190000_supervisor extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "document_decision" (
        "id" uuid not null primary key,
        "verification_case_id" uuid not null,
        "reviewer_id" uuid not null,
        "submitted_at" timestamptz not null,
        "claimed_at" timestamptz not null,
        "decided_at" timestamptz not null,
        "outcome" text not null
      );`);
    this.addSql(`create index "document_decision_decided_at_index" on "document_decision" ("decided_at");`);
    this.addSql(`alter table "document_decision" add constraint "document_decision_verification_case_id_foreign" foreign key ("verification_case_id") references "verification_case" ("id") on delete cascade;`);
    this.addSql(`alter table "document_decision" add constraint "document_decision_outcome_check" check ("outcome" in ('approved', 'documents_rejected'));`);
    // The decisions already made (the latest of each case): history starts with them.
    this.addSql(`
      insert into "document_decision" ("id", "verification_case_id", "reviewer_id", "submitted_at", "claimed_at", "decided_at", "outcome")
      select gen_random_uuid(), r."case_id", r."decided_by", r."submitted_at", coalesce(r."claimed_at", r."decided_at"), r."decided_at",
             case when exists (select 1 from jsonb_each(r."decisions") d where d.value->>'decision' = 'rejected') then 'documents_rejected' else 'approved' end
        from "document_review" r join "verification_case" c on c."id" = r."case_id"
       where r."decided_at" is not null and r."decided_by" is not null;`);

    this.addSql(`alter table "document_review" add column "released_from" uuid null, add column "release_kind" text null;`);
    this.addSql(`alter table "document_review" add constraint "document_review_release_kind_check" check ("release_kind" in ('released', 'reassigned'));`);
    this.addSql(`alter table "video_call" add column "released_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "video_call" drop column "released_at";`);
    this.addSql(`alter table "document_review" drop constraint "document_review_release_kind_check";`);
    this.addSql(`alter table "document_review" drop column "released_from", drop column "release_kind";`);
    this.addSql(`drop table if exists "document_decision" cascade;`);
  }
}
