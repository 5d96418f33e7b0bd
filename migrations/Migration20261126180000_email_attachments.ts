import { Migration } from '@mikro-orm/migrations';

/** Emails can carry attachments (an appointment's calendar file). */
export class Migration20261126180000_email_attachments extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "outbox_message" add column "attachments" jsonb null;`);
  }
}
