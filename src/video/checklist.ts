import type { ChosenDocument, VerificationCase } from '../verification/verification-case.entity';
import type { CallOutcome } from './video-call.entity';

/** What the Trusted Referee confirms on the call (NIST SP 800-63A remote attended proofing). */
export interface ChecklistItem {
  key: string;
  /** Catalog key (content/messages/<lang>/agent.json). */
  label: string;
  /** Only asked when it applies to this case. */
  when?: (c: VerificationCase) => boolean;
}

export const CHECKLIST: ChecklistItem[] = [
  { key: 'name', label: 'agent.checklist.name' },
  { key: 'dateOfBirth', label: 'agent.checklist.dateOfBirth' },
  { key: 'address', label: 'agent.checklist.address' },
  { key: 'identifier', label: 'agent.checklist.identifier', when: (c) => c.identifierKind === 'ssn' || c.identifierKind === 'itin' },
  { key: 'originals', label: 'agent.checklist.originals' },
  { key: 'face', label: 'agent.checklist.face' },
  { key: 'tilted', label: 'agent.checklist.tilted' },
  { key: 'inView', label: 'agent.checklist.inView' },
];

/** With a declared helper: they appeared on camera and stated who they are and how they help. */
export const HELPER_ITEM: ChecklistItem = { key: 'helper', label: 'agent.checklist.helper' };

export const itemsFor = (c: VerificationCase, helper = false) => [...CHECKLIST.filter((i) => !i.when || i.when(c)), ...(helper ? [HELPER_ITEM] : [])];

/** The outcomes as the console offers them (catalog keys). */
export const OUTCOME_LABELS: Record<CallOutcome, string> = {
  verified: 'agent.outcomes.verified',
  failed: 'agent.outcomes.failed',
  needs_more_documents: 'agent.outcomes.needs_more_documents',
  incomplete: 'agent.outcomes.incomplete',
};

/** Identity Assurance document types (evidence of verified_claims) of our catalog's documents. */
const IA_TYPES: Record<string, string> = {
  foreign_passport: 'passport',
  us_passport_card: 'passport',
  us_drivers_license: 'driving_permit',
  canadian_drivers_license: 'driving_permit',
  national_id_card: 'idcard',
  us_permanent_resident_card: 'residence_permit',
  employment_authorization_card: 'residence_permit',
};
export const iaDocumentType = (key: string) => IA_TYPES[key] ?? 'idcard';

export interface DocumentDetails {
  slot: ChosenDocument['slot'];
  key: string;
  type: string;
  country: string;
  number: string;
  expiry?: string;
}

/** The outcome as the console's form gives it (read by outcomeForm in forms.ts). */
export interface OutcomeForm {
  outcome: CallOutcome;
  reason?: string;
  notes?: string;
  fraud: boolean;
  checked: string[];
  code?: string;
  documents: DocumentDetails[];
}
