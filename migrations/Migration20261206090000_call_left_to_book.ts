import { Migration } from '@mikro-orm/migrations';

/**
 * The applicant left a call that did not work to book an appointment instead: the call ended
 * without an outcome, and the Trusted Referee's console says so.
 */
export class Migration20261206090000_call_left_to_book extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "video_call" add column "left_to_book_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "video_call" drop column "left_to_book_at";`);
  }
}
