import { Migration } from '@mikro-orm/migrations';

/** A verified identity is not shared again after an account recovery until it is verified again. */
export class Migration20261126145000_reconfirm_after_recovery extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "verified_identity" add column "reconfirm_required_at" timestamptz null;`);
  }
}
