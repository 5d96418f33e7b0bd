import { findDocument } from '../verification/catalog';
import type { ChosenDocument, VerificationCase } from '../verification/verification-case.entity';
import type { FieldErrors } from '../web/view';
import { CALL_OUTCOMES, type CallOutcome } from './video-call.entity';

/** What the Trusted Referee confirms on the call (NIST SP 800-63A remote attended proofing). */
export interface ChecklistItem {
  key: string;
  label: string;
  /** Only asked when it applies to this case. */
  when?: (c: VerificationCase) => boolean;
}

export const CHECKLIST: ChecklistItem[] = [
  { key: 'name', label: "Confirmed the applicant's full name" },
  { key: 'dateOfBirth', label: 'Confirmed the date of birth' },
  { key: 'address', label: 'Confirmed the address' },
  { key: 'identifier', label: 'Confirmed the SSN or ITIN (the applicant stated it and it matches the last four digits)', when: (c) => c.identifierKind === 'ssn' || c.identifierKind === 'itin' },
  { key: 'originals', label: 'Each original document was shown physically on camera (no copies, no photos of it, no screens)' },
  { key: 'face', label: "Compared the applicant's face with the photo on the ID" },
  { key: 'tilted', label: 'Each document was tilted to show its security features (holograms, raised print)' },
  { key: 'inView', label: 'The applicant stayed in view for every step' },
];

/** With a declared helper: they appeared on camera and stated who they are and how they help. */
export const HELPER_ITEM: ChecklistItem = { key: 'helper', label: 'The helper appeared on camera and stated their name, relationship and role' };

export const itemsFor = (c: VerificationCase, helper = false) => [...CHECKLIST.filter((i) => !i.when || i.when(c)), ...(helper ? [HELPER_ITEM] : [])];

export const OUTCOME_LABELS: Record<CallOutcome, string> = {
  verified: 'Verified',
  failed: 'Not verified',
  needs_more_documents: 'Needs more documents (back to Send Documents)',
  incomplete: 'Incomplete (the applicant joins the queue again)',
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
  if (!outcome) errors.outcome = 'Select the outcome of the call';
  const checked = itemsFor(c, helper).filter((i) => form[`check-${i.key}`] === 'yes').map((i) => i.key);
  const reason = text(form.reason, 500);
  const documents: DocumentDetails[] = [];
  for (const d of c.documents) {
    const doc = findDocument(d.type);
    const country = text(form[`doc-${d.slot}-country`], 2).toUpperCase();
    const number = text(form[`doc-${d.slot}-number`], 40);
    const expiry = text(form[`doc-${d.slot}-expiry`], 10);
    if (outcome === 'verified' && doc?.kind === 'primary') {
      if (!/^[A-Z]{2}$/.test(country)) errors[`doc-${d.slot}-country`] = `Enter the two-letter country that issued the ${doc.name}`;
      if (!number) errors[`doc-${d.slot}-number`] = `Enter the number of the ${doc.name}`;
      if (doc.expires !== false && !/^\d{4}-\d{2}-\d{2}$/.test(expiry)) errors[`doc-${d.slot}-expiry`] = `Enter the expiration date of the ${doc.name} as YYYY-MM-DD`;
      else if (expiry && expiry < new Date().toISOString().slice(0, 10)) errors[`doc-${d.slot}-expiry`] = `The ${doc.name} has expired: it cannot verify an identity`;
    }
    documents.push({ slot: d.slot, key: d.type, type: iaDocumentType(d.type), country, number, expiry: expiry || undefined });
  }
  if (outcome === 'verified') {
    const missing = itemsFor(c, helper).filter((i) => !checked.includes(i.key));
    if (missing.length) errors.checklist = `Confirm every item before verifying: ${missing.map((i) => i.label.toLowerCase()).join('; ')}`;
    if (!/^\d{6}$/.test(text(form.code, 10))) errors.code = 'Enter the 6-digit code the applicant read back to you';
  }
  if ((outcome === 'failed' || outcome === 'needs_more_documents' || outcome === 'incomplete') && !reason) errors.reason = 'Give the reason';
  if (Object.keys(errors).length || !outcome) return { errors };
  return { valid: { outcome, reason: reason || undefined, notes: text(form.notes) || undefined, fraud: form.fraud === 'yes', checked, code: text(form.code, 10), documents }, errors };
}
