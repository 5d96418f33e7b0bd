import { Migration } from '@mikro-orm/migrations';

/** The language a person chose: their pages, emails and text messages come in it. */
export class Migration20261126190000_account_language extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "account" add column "language" text null;`);
  }
}
