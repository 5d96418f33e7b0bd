import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { VerificationCase } from '../verification/verification-case.entity';

/**
 * A "Take Photo" link sent by SMS: /capture/:token opens the phone camera for this case.
 * The token (256 random bits) is stored only as its SHA-256; the link lasts 15 minutes.
 */
@Entity({ tableName: 'capture_link' })
export class CaptureLink {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade' })
  verificationCase!: VerificationCase;

  @Property({ type: 'text', unique: true })
  tokenHash!: string;

  /** Last digits of the phone it was sent to (shown on the desktop page). */
  @Property({ type: 'text' })
  phoneLast4!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime' })
  @Index()
  createdAt: Opt<Date> = new Date();
}
