import { Migration } from '@mikro-orm/migrations';

/** One row per stored file, and an index for the orphan-file sweep, which looks files up by their storage key. */
export class Migration20261126191500_document_file_storage_key extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "document_file" add constraint "document_file_storage_key_unique" unique ("storage_key");`);
  }
}
