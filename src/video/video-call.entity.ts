import { randomBytes, randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';
import { VerificationCase } from '../verification/verification-case.entity';

export const CALL_STATUSES = ['active', 'ended'] as const;
export const CALL_OUTCOMES = ['verified', 'failed', 'needs_more_documents', 'incomplete'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** What the call page reported (Jitsi IFrame API events), with who and when. */
export interface CallEvent {
  type: string;
  by: 'applicant' | 'agent';
  at: string;
}

/** A new evidence reference: random and meaningless. */
export const newEvidenceReference = () => `ref-${randomBytes(16).toString('hex')}`;
/** The same shape from PostgreSQL (gen_random_uuid: 122 strong random bits), for rows written without one. */
export const EVIDENCE_REFERENCE_SQL = `('ref-'::text || replace((gen_random_uuid())::text, '-'::text, ''::text))`;

/** One video call between an applicant and the Trusted Referee who claimed them. */
@Entity({ tableName: 'video_call' })
@Index({ properties: ['agent', 'status'] })
@Index({ properties: ['applicant', 'status'] })
export class VideoCall {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade' })
  verificationCase!: VerificationCase;

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  applicant!: Account;

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  agent!: Account;

  /** The Jitsi room: random and unguessable, one per call. */
  @Property({ type: 'text', unique: true })
  room!: string;

  /**
   * How organizations' evidence names this verification (verification_process, check_id): opaque
   * and random, never the call or case id, the room or the referee. Referee finds the call from it.
   */
  @Property({ type: 'text', unique: true, defaultRaw: EVIDENCE_REFERENCE_SQL })
  evidenceReference: Opt<string> = newEvidenceReference();

  @Enum({ items: [...CALL_STATUSES] })
  status: Opt<(typeof CALL_STATUSES)[number]> = 'active';

  @Property({ type: 'datetime' })
  startedAt: Opt<Date> = new Date();

  /** The applicant agreed to the recording before joining. */
  @Property({ type: 'datetime', nullable: true })
  recordingConsentAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  recordingStartedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  endedAt?: Date;

  @Enum({ items: [...CALL_OUTCOMES], nullable: true })
  outcome?: CallOutcome;

  /** A supervisor released the call: ended without an outcome, the applicant back in the queue. */
  @Property({ type: 'datetime', nullable: true })
  releasedAt?: Date;

  /** The applicant left the call (it did not work for them) to book an appointment instead: ended without an outcome. */
  @Property({ type: 'datetime', nullable: true })
  leftToBookAt?: Date;

  @Property({ type: 'text', nullable: true })
  outcomeReason?: string;

  /** The agent's notes: PiiCipher ciphertext bound to this row. */
  @Property({ type: 'text', nullable: true, hidden: true })
  notesCipher?: string;

  /** The checklist items the agent ticked. */
  @Property({ type: 'json', nullable: true })
  checklist?: string[];

  @Property({ type: 'boolean', default: false })
  fraudSuspected: Opt<boolean> = false;

  /** HMAC of the one-time code sent to the applicant, read back on the call. */
  @Property({ type: 'text', nullable: true, hidden: true })
  codeHash?: string;

  @Property({ type: 'datetime', nullable: true })
  codeSentAt?: Date;

  @Property({ type: 'json' })
  events: Opt<CallEvent[]> = [];
}
