import { Injectable } from '@nestjs/common';
import { PiiCipher } from '../crypto/pii-cipher';
import { ADDRESS_FIELDS } from './addresses';
import type { StepKey } from './flow';
import { ANSWER_FIELDS, DETAILS_FIELDS } from './forms';
import type { VerificationCase } from './verification-case.entity';

/**
 * The fields of each step that has Save & Exit whose typing is kept as a draft. The SSN and
 * ITIN themselves are not: a number is never written back into a page (only the consent is kept).
 */
export const DRAFT_FIELDS: Partial<Record<StepKey, readonly string[]>> = {
  choose_method: ['method'],
  us_phone: ['phone'],
  us_address: ADDRESS_FIELDS,
  us_ssn: ['fcraConsent'],
  details: DETAILS_FIELDS,
  ssn: ['fcraConsent'],
  choose_primary: ['document'],
  check_primary: ANSWER_FIELDS,
  choose_second: ['document'],
  check_second: ANSWER_FIELDS,
};

interface Draft {
  step: StepKey;
  fields: Record<string, string>;
}

const context = (c: VerificationCase) => `verification_case:${c.id}:draft`;

/**
 * What was typed on a step when the applicant chose Save & Exit: one draft per case, of the
 * step they left, encrypted like the case's other personal details (bound to its row and
 * column), never in a URL or a log. The step shows it again when they return (checked like a
 * submission); submitting the step replaces it with the real values.
 */
@Injectable()
export class Drafts {
  constructor(private readonly cipher: PiiCipher) {}

  /** Keeps the step's fields as typed (`typedValues` of the posted form, with the step's DRAFT_FIELDS). */
  keep(c: VerificationCase, key: StepKey, fields: Record<string, string>): void {
    if (!DRAFT_FIELDS[key]) return;
    if (!Object.values(fields).some(Boolean)) return; // nothing typed: the saved values stand
    c.draft = this.cipher.encrypt(JSON.stringify({ step: key, fields } satisfies Draft), context(c));
  }

  /** The draft of step `key`, if the applicant left that step with one. */
  of(c: VerificationCase, key: StepKey): Record<string, string> | undefined {
    if (!c.draft) return undefined;
    const draft = JSON.parse(this.cipher.decrypt(c.draft, context(c))) as Draft;
    return draft.step === key ? draft.fields : undefined;
  }

  /** Step `key` was submitted: its draft is replaced by what was saved. */
  submitted(c: VerificationCase, key: StepKey): void {
    if (this.of(c, key)) c.draft = undefined;
  }
}
