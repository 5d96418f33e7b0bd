import { Migration } from '@mikro-orm/migrations';

/**
 * The evidence shared with organizations names a verification by an opaque, random reference
 * instead of the case id, call id, Jitsi room and referee's account id. Each call gets one
 * (existing calls too); the verified identity keeps the reference of the call that verified it,
 * so identities recorded before this change are shared with that reference, and nothing internal.
 */
export class Migration20261205020000_evidence_reference extends Migration {
  override async up(): Promise<void> {
    // gen_random_uuid(): 122 random bits from the server's strong random source (PostgreSQL 13+);
    // the default gives every existing call its own, and any row written without one.
    this.addSql(`alter table "video_call" add column "evidence_reference" text not null default ('ref-'::text || replace((gen_random_uuid())::text, '-'::text, ''::text));`);
    this.addSql(`alter table "video_call" add constraint "video_call_evidence_reference_unique" unique ("evidence_reference");`);
    this.addSql(`alter table "verified_identity" add column "verification_reference" text null;`);
    this.addSql(
      `update "verified_identity" v set "verification_reference" = (
         select c."evidence_reference" from "video_call" c
          where c."applicant_id" = v."account_id" and c."outcome" = 'verified' and c."ended_at" <= v."verified_at"
          order by c."ended_at" desc limit 1);`,
    );
  }
}
