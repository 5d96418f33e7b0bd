import { Migration } from '@mikro-orm/migrations';

/**
 * A photo that fails a quality check (dark, blurry, small) is kept but held: it does not count
 * as sent until the applicant selects "Use this photo anyway".
 */
export class Migration20261206060000_held_photos extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "document_file" add column "held" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "document_file" drop column "held";`);
  }
}
