import { Migration } from '@mikro-orm/migrations';

/** The language a support request was sent in: answers to someone without an account are written in it. */
export class Migration20261126200000_support_language extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "support_request" add column "language" text null;`);
  }
}
