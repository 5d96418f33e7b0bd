import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { PrimaryKeyProp } from '@mikro-orm/core';

/**
 * Every model of the OpenID provider (sessions, interactions, grants, codes, tokens, …) in
 * one table, shared by all instances. `id` is the SHA-256 of the provider's id, which for
 * codes and tokens is the bearer value itself: a copy of this table hands out nothing usable.
 */
@Entity({ tableName: 'oidc_payload' })
@Index({ properties: ['model', 'uid'] })
@Index({ properties: ['model', 'userCode'] })
@Index({ properties: ['grantId'] })
@Index({ properties: ['model', 'accountId'] })
@Index({ properties: ['expiresAt'] })
export class OidcPayload {
  [PrimaryKeyProp]?: ['model', 'id'];

  @PrimaryKey({ type: 'text' })
  model!: string;

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  /** Grant it belongs to (a grant's own row has its id here): revoking a grant is one delete. */
  @Property({ type: 'text', nullable: true })
  grantId?: string;

  /** The account it concerns (sessions, grants, codes, tokens): "Connected organizations" lists grants by it. */
  @Property({ type: 'text', nullable: true })
  accountId?: string;

  @Property({ type: 'text', nullable: true })
  uid?: string;

  @Property({ type: 'text', nullable: true })
  userCode?: string;

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  consumedAt?: Date;
}
