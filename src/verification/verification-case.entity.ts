import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Account } from '../identity/account.entity';
import type { IdentifierChoice, QuestionKey, Track } from './catalog';

/** The case's status: the first three belong to this module's intake steps. */
export const CASE_STATUSES = [
  'started',
  'details_confirmed',
  'documents_chosen',
  'documents_submitted',
  'in_review',
  'documents_rejected',
  'approved',
  'queued',
  'scheduled',
  'in_call',
  'verified',
  'failed',
  'needs_more_documents',
  'abandoned',
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const METHODS = ['self_service', 'video_call', 'international'] as const;
export type Method = (typeof METHODS)[number];

/** Why a case is on the international track: the link the applicant chose. */
export const INTERNATIONAL_REASONS = ['no_us_residence', 'no_us_phone', 'no_us_address', 'no_ssn'] as const;
export type InternationalReason = (typeof INTERNATIONAL_REASONS)[number];

export type DocumentSlot = 'first' | 'second';

/** A chosen document (no personal data: a type from the catalog and the applicant's answers). */
export interface ChosenDocument {
  slot: DocumentSlot;
  type: string;
  /** Answers to the confirmation questions, once all were answered acceptably. */
  answers?: Partial<Record<QuestionKey, boolean>>;
  /** The name differs and the applicant will send legal name change documentation. */
  nameChangeDocumentation?: boolean;
  confirmedAt?: string;
}

/**
 * One applicant's verification: the steps they have done and what they entered.
 * Personal data the architecture lists (SSN/ITIN, date of birth, address) is stored only
 * as PiiCipher ciphertext bound to this row and column; pages show the last four digits.
 */
@Entity({ tableName: 'verification_case' })
export class VerificationCase {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Account, { deleteRule: 'cascade', unique: true })
  account!: Account;

  @Enum({ items: [...CASE_STATUSES] })
  status: Opt<CaseStatus> = 'started';

  /** While abandoned (Save & Exit): the status to resume. */
  @Enum({ items: [...CASE_STATUSES], nullable: true })
  statusBeforeExit?: CaseStatus;

  @Enum({ items: [...METHODS], nullable: true })
  method?: Method;

  @Enum({ items: ['international', 'us_video'], nullable: true })
  track?: Track;

  @Enum({ items: [...INTERNATIONAL_REASONS], nullable: true })
  internationalReason?: InternationalReason;

  /** "Get started" on the video-call overview. */
  @Property({ type: 'datetime', nullable: true })
  videoStartedAt?: Date;

  @Property({ type: 'text', nullable: true })
  firstName?: string;

  @Property({ type: 'text', nullable: true })
  middleName?: string;

  @Property({ type: 'text', nullable: true })
  lastName?: string;

  @Property({ type: 'text', nullable: true })
  email?: string;

  /** E.164, e.g. +442079460958. */
  @Property({ type: 'text', nullable: true })
  phone?: string;

  /** Ciphertext of YYYY-MM-DD. */
  @Property({ type: 'text', nullable: true, hidden: true })
  dateOfBirth?: string;

  /** Ciphertext of the address as JSON (see addresses.ts). */
  @Property({ type: 'text', nullable: true, hidden: true })
  address?: string;

  /** Ciphertext of what was typed on a step at Save & Exit, as JSON (see drafts.ts): shown again on return, gone once the step is submitted. */
  @Property({ type: 'text', nullable: true, hidden: true })
  draft?: string;

  /** ISO 3166 code of the home address, in clear: the document rules depend on it. */
  @Property({ type: 'text', nullable: true })
  addressCountry?: string;

  @Property({ type: 'boolean', nullable: true })
  nameChanged?: boolean;

  @Property({ type: 'datetime', nullable: true })
  detailsConfirmedAt?: Date;

  @Enum({ items: ['ssn', 'itin', 'none'], nullable: true })
  identifierKind?: IdentifierChoice;

  /** Ciphertext of the SSN or ITIN digits. */
  @Property({ type: 'text', nullable: true, hidden: true })
  identifier?: string;

  @Property({ type: 'text', nullable: true })
  identifierLast4?: string;

  /** HMAC of the number: finds the same SSN/ITIN on another account. */
  @Property({ type: 'text', nullable: true })
  @Index()
  identifierFingerprint?: string;

  /** Consent to the use of the SSN under the Fair Credit Reporting Act. */
  @Property({ type: 'datetime', nullable: true })
  fcraConsentAt?: Date;

  /** Flag for the agent: the same SSN/ITIN is on another account (never a silent rejection). */
  @Property({ type: 'datetime', nullable: true })
  duplicateIdentifierAt?: Date;

  @Property({ type: 'json' })
  documents: Opt<ChosenDocument[]> = [];

  /** Keys of the supporting documents the applicant confirmed they will send. */
  @Property({ type: 'json' })
  supportingConfirmed: Opt<string[]> = [];

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  /** When the applicant was told that this unfinished case will be deleted (UnfinishedCasesService); activity after it counts again. */
  @Property({ type: 'datetime', nullable: true })
  deletionWarnedAt?: Date;

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
