import { Migration } from '@mikro-orm/migrations';

/**
 * The OpenID provider: its models (one table), signing keys, organizations (clients),
 * verified identities shared with them, and where to send someone back after verifying.
 */
export class Migration20261126130000_oidc extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "oidc_payload" (
        "model" text not null,
        "id" text not null,
        "payload" jsonb not null,
        "grant_id" text null,
        "account_id" text null,
        "uid" text null,
        "user_code" text null,
        "expires_at" timestamptz null,
        "consumed_at" timestamptz null,
        primary key ("model", "id")
      );`);
    this.addSql(`create index "oidc_payload_model_uid_index" on "oidc_payload" ("model", "uid");`);
    this.addSql(`create index "oidc_payload_model_user_code_index" on "oidc_payload" ("model", "user_code");`);
    this.addSql(`create index "oidc_payload_grant_id_index" on "oidc_payload" ("grant_id");`);
    this.addSql(`create index "oidc_payload_model_account_id_index" on "oidc_payload" ("model", "account_id");`);
    this.addSql(`create index "oidc_payload_expires_at_index" on "oidc_payload" ("expires_at");`);

    this.addSql(`
      create table "oidc_signing_key" (
        "kid" text not null primary key,
        "alg" text not null,
        "private_jwk_sealed" text not null,
        "created_at" timestamptz not null,
        "activates_at" timestamptz not null,
        "retired_at" timestamptz null
      );`);

    this.addSql(`
      create table "organization" (
        "id" uuid not null primary key,
        "client_id" text not null,
        "name" text not null,
        "logo_uri" text null,
        "redirect_uris" jsonb not null,
        "post_logout_redirect_uris" jsonb not null,
        "initiate_login_uri" text null,
        "allowed_scopes" jsonb not null,
        "allowed_claims" jsonb not null,
        "requires_ssn" boolean not null default false,
        "token_endpoint_auth_method" text check ("token_endpoint_auth_method" in ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')) not null,
        "client_secret_hash" text null,
        "jwks" jsonb null,
        "jwks_uri" text null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null
      );`);
    this.addSql(`alter table "organization" add constraint "organization_client_id_unique" unique ("client_id");`);

    this.addSql(`
      create table "verified_identity" (
        "account_id" uuid not null primary key,
        "verified_at" timestamptz not null,
        "ssn_verified" boolean not null,
        "details_sealed" text not null,
        "updated_at" timestamptz not null
      );`);
    this.addSql(`alter table "verified_identity" add constraint "verified_identity_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);

    this.addSql(`
      create table "oidc_pending_return" (
        "account_id" uuid not null primary key,
        "organization_id" uuid not null,
        "interaction_uid" text null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "oidc_pending_return_organization_id_index" on "oidc_pending_return" ("organization_id");`);
    this.addSql(`alter table "oidc_pending_return" add constraint "oidc_pending_return_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "oidc_pending_return" add constraint "oidc_pending_return_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on delete cascade;`);
  }
}
