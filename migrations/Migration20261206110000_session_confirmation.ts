import { Migration } from '@mikro-orm/migrations';

/**
 * Confirming who you are again (password, then second factor) before downloading your data
 * or deleting your account: when this session gave the password for it, and when it finished.
 */
export class Migration20261206110000_session_confirmation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "session" add column "confirm_password_at" timestamptz null, add column "confirmed_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "session" drop column "confirm_password_at", drop column "confirmed_at";`);
  }
}
