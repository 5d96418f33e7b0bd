import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

/**
 * A key that signs ID tokens. The private key is sealed (crypto/pii-cipher.ts). A key is
 * published from its creation, signs from `activatesAt` until the next key activates, and
 * stays published until `retiredAt` plus the longest lifetime of what it signed.
 */
@Entity({ tableName: 'oidc_signing_key' })
export class SigningKey {
  @PrimaryKey({ type: 'text' })
  kid!: string;

  @Property({ type: 'text' })
  alg!: string;

  @Property({ type: 'text' })
  privateJwkSealed!: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  activatesAt!: Date;

  /** When a newer key took over signing; null while this is the newest key. */
  @Property({ type: 'datetime', nullable: true })
  retiredAt?: Date;
}
