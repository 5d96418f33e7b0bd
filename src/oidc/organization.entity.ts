import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property, Trigger } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
export const AUTH_METHODS: TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];

/** An organization that asks people to verify with Referee: an OpenID Connect client. */
@Entity({ tableName: 'organization' })
// Announces every change, whoever makes it, to the instances that cache organizations (src/oidc/client-cache.ts).
@Trigger({ name: 'changed', timing: 'after', events: ['insert', 'update', 'delete'], forEach: 'statement', body: `perform pg_notify('organization_changed', ''); return null;` })
export class Organization {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  clientId!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  logoUri?: string;

  /** Compared exactly, character for character. */
  @Property({ type: 'json' })
  redirectUris!: string[];

  @Property({ type: 'json' })
  postLogoutRedirectUris: Opt<string[]> = [];

  /** Where the organization starts a sign-in itself (OpenID Connect Core §4): the way back after verifying. */
  @Property({ type: 'text', nullable: true })
  initiateLoginUri?: string;

  /**
   * Where the organization hears that a person's account is gone (OpenID Connect Back-Channel
   * Logout 1.0): the account-deletion job posts a signed logout token here.
   */
  @Property({ type: 'text', nullable: true })
  backchannelLogoutUri?: string;

  @Property({ type: 'json' })
  allowedScopes!: string[];

  @Property({ type: 'json' })
  allowedClaims!: string[];

  /** Only identities verified with a Social Security number are shared with it. */
  @Property({ type: 'boolean', default: false })
  requiresSsn: Opt<boolean> = false;

  @Enum({ items: AUTH_METHODS, nativeEnumName: undefined })
  tokenEndpointAuthMethod!: TokenEndpointAuthMethod;

  /** SHA-256 of the client secret (it is 256 random bits: no slow hash needed); shown once, at creation. */
  @Property({ type: 'text', nullable: true, hidden: true })
  clientSecretHash?: string;

  /** Public keys for private_key_jwt: a JWKS, or where to fetch it. */
  @Property({ type: 'json', nullable: true })
  jwks?: { keys: Record<string, unknown>[] };

  @Property({ type: 'text', nullable: true })
  jwksUri?: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Opt<Date> = new Date();
}
