import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { VerificationCase } from './verification-case.entity';

/**
 * The case's audit trail: one row per transition, named by the flow table's `audit`.
 * The detail never holds personal data (no numbers, names or addresses).
 */
@Entity({ tableName: 'verification_event' })
@Index({ properties: ['verificationCase', 'createdAt'] })
export class VerificationEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade' })
  verificationCase!: VerificationCase;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'text', nullable: true })
  step?: string;

  @Property({ type: 'json', nullable: true })
  detail?: Record<string, unknown>;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
