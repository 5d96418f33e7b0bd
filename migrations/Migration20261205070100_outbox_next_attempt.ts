import { Migration } from '@mikro-orm/migrations';

/** When the retry job may try an email again after a failed attempt (backoff by attempts); unset: as soon as it is due. */
export class Migration20261205070100_outbox_next_attempt extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "outbox_message" add column "next_attempt_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "outbox_message" drop column "next_attempt_at";`);
  }
}
