import { Migration } from '@mikro-orm/migrations';

/**
 * Appends one audit event in one statement (one round trip): takes the chain's advisory lock,
 * reads the last row's hash and inserts the new row chained to it. The caller passes the rest
 * of the hashed fields, joined as AuditService.chainHash joins them, so the hash is the same
 * SHA-256 `npm run audit:verify` recomputes. Each statement of a PL/pgSQL function takes a new
 * snapshot, so the read after the lock sees the row the previous holder committed.
 */
export class Migration20261126190000_audit_append extends Migration {
  override async up(): Promise<void> {
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
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists "audit_append"(bigint, text, timestamptz, uuid, text, uuid, text, text, jsonb, text);`);
  }
}
