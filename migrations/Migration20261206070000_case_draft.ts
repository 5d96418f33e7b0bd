import { Migration } from '@mikro-orm/migrations';

/**
 * What was typed on a step when the applicant chose Save & Exit: kept as a draft (ciphertext,
 * like the case's other personal details) and shown again, checked, when they come back.
 */
export class Migration20261206070000_case_draft extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "verification_case" add column "draft" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "verification_case" drop column "draft";`);
  }
}
