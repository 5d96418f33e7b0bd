import { Injectable } from '@nestjs/common';
import { PiiCipher } from '../crypto/pii-cipher';
import type { StepKey } from './flow';
import type { VerificationCase } from './verification-case.entity';

const ADDRESS = ['country', 'line1', 'line2', 'city', 'region', 'postalCode'] as const;
const ANSWERS = ['original', 'nameMatches', 'unexpired', 'recent', 'nameChangeDocumentation'] as const;

/**
 * The fields of each step that has Save & Exit whose typing is kept as a draft. The SSN and
 * ITIN themselves are not: a number is never written back into a page (only the consent is kept).
 */
export const DRAFT_FIELDS: Partial<Record<StepKey, readonly string[]>> = {
  choose_method: ['method'],
  us_phone: ['phone'],
  us_address: ADDRESS,
  us_ssn: ['fcraConsent'],
  details: ['firstName', 'middleName', 'lastName', 'dateOfBirth-month', 'dateOfBirth-day', 'dateOfBirth-year', 'email', 'phone', ...ADDRESS, 'nameChanged'],
  ssn: ['fcraConsent'],
  choose_primary: ['document'],
  check_primary: ANSWERS,
  choose_second: ['document'],
  check_second: ANSWERS,
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

  /** Keeps the step's fields of a posted form (text only, as long as a form field may be). */
  keep(c: VerificationCase, key: StepKey, body: Record<string, unknown>): void {
    const names = DRAFT_FIELDS[key];
    if (!names) return;
    const fields = Object.fromEntries(names.map((n) => [n, typeof body[n] === 'string' ? (body[n] as string).slice(0, 300) : '']));
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
