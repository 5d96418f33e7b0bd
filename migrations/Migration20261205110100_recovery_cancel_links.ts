import { Migration } from '@mikro-orm/migrations';

/**
 * The link that cancels an account recovery becomes a single-use link in "link" (purpose
 * `cancel_recovery`) instead of a hash kept on mfa_account_state. A pending recovery's link
 * moves with its hash; it lasts a year from when the recovery is due (as new ones do from
 * their request, in src/mfa/recovery.service.ts), and completing the recovery ends it.
 */
export class Migration20261205110100_recovery_cancel_links extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "link" drop constraint "link_purpose_check";`);
    this.addSql(`alter table "link" add constraint "link_purpose_check" check ("purpose" in ('confirm_email', 'reset_password', 'resume_case', 'cancel_recovery'));`);
    this.addSql(`
      insert into "link" ("id", "purpose", "account_id", "token_hash", "expires_at", "used_at", "created_at")
      select gen_random_uuid(), 'cancel_recovery', "account_id", "recovery_cancel_hash", "recovery_due_at" + interval '365 days', null, now()
      from "mfa_account_state" where "recovery_due_at" is not null and "recovery_cancel_hash" is not null;`);
    this.addSql(`alter table "mfa_account_state" drop column "recovery_cancel_hash";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "mfa_account_state" add column "recovery_cancel_hash" text null;`);
    this.addSql(`
      update "mfa_account_state" s set "recovery_cancel_hash" = l."token_hash"
      from "link" l
      where l."account_id" = s."account_id" and l."purpose" = 'cancel_recovery' and l."used_at" is null and s."recovery_due_at" is not null;`);
    this.addSql(`delete from "link" where "purpose" = 'cancel_recovery';`);
    this.addSql(`alter table "link" drop constraint "link_purpose_check";`);
    this.addSql(`alter table "link" add constraint "link_purpose_check" check ("purpose" in ('confirm_email', 'reset_password', 'resume_case'));`);
  }
}
