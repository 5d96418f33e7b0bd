import { emailProblem, normaliseEmail } from '../identity/identity.service';
import type { Viewer } from '../web/request';
import type { FieldErrors } from '../web/view';
import { FRAUD_KINDS, isOneOf, MESSAGE_MAX, SUPPORT_CATEGORIES, type FraudKind, type SupportCategory } from './categories';
import type { Requester } from './support.service';

type Form = Record<string, unknown>;
/** Browsers send line breaks as CRLF but count them as one character (maxlength): count them as the person sees them. */
const text = (value: unknown) => (typeof value === 'string' ? value.replace(/\r\n?/g, '\n') : '');
const CASE_REFERENCE = /^[A-Za-z0-9-]{4,64}$/;

export interface Parsed<T> {
  errors: FieldErrors;
  /** What the person typed, to show the form again. */
  values: Record<string, string>;
  /** Set when there are no errors. */
  valid?: T;
}

function messageProblem(message: string, required: boolean, what: string): string | undefined {
  if (!message && required) return `Enter ${what}`;
  if (message.length > MESSAGE_MAX) return `Your message must be ${MESSAGE_MAX.toLocaleString('en-US')} characters or fewer (it has ${message.length.toLocaleString('en-US')})`;
  return undefined;
}

/** Signed in: the account answers; otherwise an email address is required. */
function requesterOf(viewer: Viewer | undefined, form: Form, errors: FieldErrors): Requester | undefined {
  if (viewer) return { accountId: viewer.accountId };
  const email = normaliseEmail(form.email);
  const problem = emailProblem(email);
  if (problem) errors.email = problem;
  return problem ? undefined : { email };
}

export function parseContactForm(form: Form, viewer?: Viewer): Parsed<{ requester: Requester; category: SupportCategory; message: string; caseReference?: string }> {
  const values = { category: text(form.category), message: text(form.message), caseReference: text(form.caseReference), email: text(form.email) };
  const errors: FieldErrors = {};
  if (!isOneOf(SUPPORT_CATEGORIES, values.category)) errors.category = 'Choose what your question is about';
  const message = values.message.trim();
  const problem = messageProblem(message, true, 'your question');
  if (problem) errors.message = problem;
  const caseReference = values.caseReference.trim();
  if (caseReference && !CASE_REFERENCE.test(caseReference)) {
    errors.caseReference = 'Enter the reference as we gave it to you: 4 to 64 letters, digits and hyphens';
  }
  const requester = requesterOf(viewer, form, errors);
  if (Object.keys(errors).length || !requester) return { errors, values };
  return { errors, values, valid: { requester, category: values.category as SupportCategory, message, caseReference: caseReference || undefined } };
}

export function parseFraudForm(form: Form, viewer?: Viewer): Parsed<{ requester: Requester; kind: FraudKind; details: string }> {
  const values = { kind: text(form.kind), details: text(form.details), email: text(form.email) };
  const errors: FieldErrors = {};
  if (!isOneOf(FRAUD_KINDS, values.kind)) errors.kind = 'Choose what happened';
  const details = values.details.trim();
  const problem = messageProblem(details, false, 'what happened');
  if (problem) errors.details = problem;
  const requester = requesterOf(viewer, form, errors);
  if (Object.keys(errors).length || !requester) return { errors, values };
  return { errors, values, valid: { requester, kind: values.kind as FraudKind, details } };
}

/** A message on an existing request (the person's follow-up, or a staff answer). */
export function parseMessage(form: Form, field: 'message' | 'answer', what: string): Parsed<string> {
  const values = { [field]: text(form[field]) };
  const message = values[field].trim();
  const problem = messageProblem(message, true, what);
  return problem ? { errors: { [field]: problem }, values } : { errors: {}, values, valid: message };
}
