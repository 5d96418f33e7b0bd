import { Migration } from '@mikro-orm/migrations';

const REFUSE = `raise exception 'audit_event is append-only: % refused', tg_op using errcode = 'insufficient_privilege';`;
/** As AuditEvent's @Trigger says: a DELETE passes only inside audit_cut (its transaction-local flag). */
const ALLOW_CUT = `if tg_op = 'DELETE' and current_setting('referee.audit_cut', true) = 'on' then return old; end if; ${REFUSE}`;

/**
 * Retention (issue 17): the audit log's oldest events can be cut, and only by the retention
 * job, with a signed checkpoint where the chain now starts; a case not finished keeps when its
 * applicant was warned that it will be deleted.
 *
 * - audit_cut deletes the oldest events (a prefix of the chain, never one in the middle)
 *   recorded before a time, with a flag the append-only trigger lets through; the flag is
 *   local to the transaction and set only inside the function, so a plain DELETE is still
 *   refused. It returns the last deleted event's id and hash for the checkpoint.
 * - audit_append chains a new event to the newest checkpoint when every event was cut.
 */
export class Migration20261206100000_retention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "audit_checkpoint" (
        "id" bigserial primary key,
        "last_event_id" bigint not null,
        "last_hash" text not null,
        "removed" int not null,
        "cut_at" timestamptz not null,
        "signature" text not null
      );`);
    this.addSql(`create or replace function "audit_event_append_only_fn"() returns trigger as $$ begin ${ALLOW_CUT} end; $$ language plpgsql;`);
    this.addSql(`
      create or replace function "audit_cut"(p_lock bigint, p_before timestamptz, p_limit int)
      returns table (last_id bigint, last_hash text, removed int) language plpgsql as $$
      begin
        perform pg_advisory_xact_lock(p_lock);
        -- Nothing to cut (the usual hourly run): one row read by the primary key.
        if not exists (select 1 from (select "at" from "audit_event" order by "id" limit 1) oldest where oldest."at" < p_before) then
          return;
        end if;
        perform set_config('referee.audit_cut', 'on', true);
        -- The chain is cut only at its start: its oldest events (read by the primary key, no
        -- scan of the table), up to the first one recorded on or after p_before.
        return query
          with head as (select "id", "at" from "audit_event" order by "id" limit p_limit),
          stop as (select min("id") as "id" from head where "at" >= p_before),
          cut as (
            delete from "audit_event" where "id" in (select h."id" from head h, stop s where s."id" is null or h."id" < s."id")
            returning "id", "hash"
          )
          select c."id", c."hash", (select count(*)::int from cut) from cut c order by c."id" desc limit 1;
        perform set_config('referee.audit_cut', 'off', true);
      end;
      $$;`);
    this.addSql(`
      create or replace function "audit_append"(
        p_lock bigint, p_genesis text, p_at timestamptz, p_actor_id uuid, p_action text, p_case_id uuid,
        p_subject text, p_ip text, p_details jsonb, p_hashed_rest text
      ) returns void language plpgsql as $$
      declare
        prev text;
      begin
        perform pg_advisory_xact_lock(p_lock);
        select "hash" into prev from "audit_event" order by "id" desc limit 1;
        if prev is null then
          select "last_hash" into prev from "audit_checkpoint" order by "id" desc limit 1;
        end if;
        prev := coalesce(prev, p_genesis);
        insert into "audit_event" ("at", "actor_id", "action", "case_id", "subject", "ip", "details", "prev_hash", "hash")
        values (p_at, p_actor_id, p_action, p_case_id, p_subject, p_ip, p_details, prev,
                encode(sha256(convert_to(prev || chr(31) || p_hashed_rest, 'UTF8')), 'hex'));
      end;
      $$;`);
    this.addSql(`alter table "verification_case" add column "deletion_warned_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "verification_case" drop column "deletion_warned_at";`);
    this.addSql(`
      create or replace function "audit_append"(
        p_lock bigint, p_genesis text, p_at timestamptz, p_actor_id uuid, p_action text, p_case_id uuid,
        p_subject text, p_ip text, p_details jsonb, p_hashed_rest text
      ) returns void language plpgsql as $$
      declare
        prev text;
      begin
        perform pg_advisory_xact_lock(p_lock);
        select "hash" into prev from "audit_event" order by "id" desc limit 1;
        prev := coalesce(prev, p_genesis);
        insert into "audit_event" ("at", "actor_id", "action", "case_id", "subject", "ip", "details", "prev_hash", "hash")
        values (p_at, p_actor_id, p_action, p_case_id, p_subject, p_ip, p_details, prev,
                encode(sha256(convert_to(prev || chr(31) || p_hashed_rest, 'UTF8')), 'hex'));
      end;
      $$;`);
    this.addSql(`drop function if exists "audit_cut"(bigint, timestamptz, int);`);
    this.addSql(`create or replace function "audit_event_append_only_fn"() returns trigger as $$ begin ${REFUSE} end; $$ language plpgsql;`);
    this.addSql(`drop table "audit_checkpoint";`);
  }
}
