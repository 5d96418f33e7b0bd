import { Migration } from '@mikro-orm/migrations';

/**
 * Every change to the organization table, whoever makes it, is announced on the channel
 * organization_changed (after its transaction commits): each Referee instance keeps the
 * organizations' client metadata in memory only while it hears these (src/oidc/client-cache.ts).
 */
export class Migration20261126191000_organization_changes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function "organization_changed_fn"() returns trigger as $$ begin perform pg_notify('organization_changed', ''); return null; end; $$ language plpgsql;`);
    // Named as MikroORM names a trigger declared on the entity (@Trigger 'changed' on Organization), so the schema check knows it.
    this.addSql(`create trigger "changed" after insert or update or delete on "organization" for each statement execute function "organization_changed_fn"();`);
    // TRUNCATE too, by a trigger MikroORM does not introspect.
    this.addSql(`create trigger "organization_truncated" after truncate on "organization" for each statement execute function "organization_changed_fn"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "organization_truncated" on "organization";`);
    this.addSql(`drop trigger if exists "changed" on "organization";`);
    this.addSql(`drop function if exists "organization_changed_fn"();`);
  }
}
