import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

/**
 * Why a reviewer rejects a document, by code (stored in decisions). What the applicant and
 * the reviewer read is the catalog's documents.reasons.<code> (reasonText), in their own language.
 */
export const REJECT_REASONS = ['blurry', 'glare', 'expired', 'name_mismatch', 'not_original', 'wrong_type', 'translation_missing', 'tampering'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
export const isRejectReason = (value: unknown): value is RejectReason => (REJECT_REASONS as readonly unknown[]).includes(value);
export const reasonText = (code: RejectReason) => `documents.reasons.${code}`;

/** How a reviewer lost a claim to a supervisor (told to them on their next action). */
export const RELEASE_KINDS = ['released', 'reassigned'] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

export interface ItemDecision {
  decision: 'accepted' | 'rejected';
  reasons: RejectReason[];
  note?: string;
}

/**
 * A case's place in the document review queue and the reviewer's decisions. One row per
 * case; a new submission puts it back in the queue. Claims are taken with
 * SELECT … FOR UPDATE SKIP LOCKED and lapse after 20 minutes without activity.
 */
@Entity({ tableName: 'document_review' })
@Index({ properties: ['decidedAt', 'submittedAt'] })
export class DocumentReview {
  /** The verification case (foreign key, cascade). */
  @PrimaryKey({ type: 'uuid' })
  caseId!: string;

  @Property({ type: 'datetime' })
  submittedAt!: Date;

  @Property({ type: 'integer' })
  submissions: Opt<number> = 1;

  @Property({ type: 'uuid', nullable: true })
  claimedBy?: string;

  @Property({ type: 'datetime', nullable: true })
  claimedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  lastActivityAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  decidedAt?: Date;

  @Property({ type: 'uuid', nullable: true })
  decidedBy?: string;

  /** The reviewer whose claim a supervisor released or reassigned, until they claim it again or it is sent again. */
  @Property({ type: 'uuid', nullable: true })
  releasedFrom?: string;

  @Enum({ items: [...RELEASE_KINDS], nullable: true })
  releaseKind?: ReleaseKind;

  /** Item key ('first', 'second', 'supporting:…') → decision. */
  @Property({ type: 'json' })
  decisions: Opt<Record<string, ItemDecision>> = {};
}
