import { findDocument } from '../verification/catalog';
import type { ChosenDocument, VerificationCase } from '../verification/verification-case.entity';
import type { FieldErrors } from '../web/view';
import { CALL_OUTCOMES, type CallOutcome } from './video-call.entity';

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

export interface OutcomeForm {
  outcome: CallOutcome;
  reason?: string;
  notes?: string;
  fraud: boolean;
  checked: string[];
  code?: string;
  documents: DocumentDetails[];
}

const text = (v: unknown, max = 2000) => (typeof v === 'string' ? v.trim().slice(0, max) : '');

/** The outcome form: for "verified", every checklist item, the code read back, and each primary document's details. */
export function parseOutcome(c: VerificationCase, form: Record<string, unknown>, helper = false): { valid?: OutcomeForm; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const outcome = CALL_OUTCOMES.find((o) => o === form.outcome);
  if (!outcome) errors.outcome = 'agent.call.errors.outcome';
  const checked = itemsFor(c, helper).filter((i) => form[`check-${i.key}`] === 'yes').map((i) => i.key);
  const reason = text(form.reason, 500);
  const documents: DocumentDetails[] = [];
  for (const d of c.documents) {
    const doc = findDocument(d.type);
    const country = text(form[`doc-${d.slot}-country`], 2).toUpperCase();
    const number = text(form[`doc-${d.slot}-number`], 40);
    const expiry = text(form[`doc-${d.slot}-expiry`], 10);
    if (outcome === 'verified' && doc?.kind === 'primary') {
      // Shown inside the document's own fieldset (its legend names it), so the messages need not.
      if (!/^[A-Z]{2}$/.test(country)) errors[`doc-${d.slot}-country`] = 'agent.call.errors.country';
      if (!number) errors[`doc-${d.slot}-number`] = 'agent.call.errors.number';
      if (doc.expires !== false && !/^\d{4}-\d{2}-\d{2}$/.test(expiry)) errors[`doc-${d.slot}-expiry`] = 'agent.call.errors.expiry';
      else if (expiry && expiry < new Date().toISOString().slice(0, 10)) errors[`doc-${d.slot}-expiry`] = 'agent.call.errors.expired';
    }
    documents.push({ slot: d.slot, key: d.type, type: iaDocumentType(d.type), country, number, expiry: expiry || undefined });
  }
  if (outcome === 'verified') {
    const missing = itemsFor(c, helper).filter((i) => !checked.includes(i.key));
    // The console lists the items still unticked under this message.
    if (missing.length) errors.checklist = 'agent.call.errors.checklist';
    if (!/^\d{6}$/.test(text(form.code, 10))) errors.code = 'agent.call.errors.code';
  }
  if ((outcome === 'failed' || outcome === 'needs_more_documents' || outcome === 'incomplete') && !reason) errors.reason = 'agent.call.errors.reason';
  if (Object.keys(errors).length || !outcome) return { errors };
  return { valid: { outcome, reason: reason || undefined, notes: text(form.notes) || undefined, fraud: form.fraud === 'yes', checked, code: text(form.code, 10), documents }, errors };
}
