import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { VerificationCase } from '../verification/verification-case.entity';

export const DECISION_OUTCOMES = ['approved', 'documents_rejected'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/**
 * One reviewer's decision on one submission, kept after the case is sent again (the
 * document_review row only holds the latest submission). Supervisors' figures come from
 * here: decisions per reviewer, claim → decision times, and how long submissions waited.
 */
@Entity({ tableName: 'document_decision' })
@Index({ properties: ['decidedAt'] })
export class DocumentDecision {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade' })
  verificationCase!: VerificationCase;

  /** The reviewer's account id (kept as a plain id, like document_review.decided_by). */
  @Property({ type: 'uuid' })
  reviewerId!: string;

  /** When this submission joined the queue. */
  @Property({ type: 'datetime' })
  submittedAt!: Date;

  /** When the deciding reviewer took it (claimed, or had it reassigned to them). */
  @Property({ type: 'datetime' })
  claimedAt!: Date;

  @Property({ type: 'datetime' })
  decidedAt!: Date;

  @Enum({ items: [...DECISION_OUTCOMES] })
  outcome!: DecisionOutcome;
}
