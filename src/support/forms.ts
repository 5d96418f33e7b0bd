import { emailProblem, normaliseEmail } from '../identity/identity.service';
import { languageOrNone, type Language } from '../i18n/languages';
import { phrase, type Text } from '../i18n/messages';
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

/** `missing`: the key that says the field is empty, when it must not be. */
function messageProblem(message: string, missing?: string): Text | undefined {
  if (!message && missing) return missing;
  if (message.length > MESSAGE_MAX) return phrase('support.errors.tooLong', { max: MESSAGE_MAX, count: message.length });
  return undefined;
}

/**
 * Signed in: the account answers; otherwise an email address is required. `language` is the
 * page's (answers to someone without an account are written in it); a form may carry it
 * in a hidden field when its controller does not pass it.
 */
function requesterOf(viewer: Viewer | undefined, form: Form, errors: FieldErrors, language?: Language): Requester | undefined {
  const lang = language ?? languageOrNone(form.language);
  if (viewer) return { accountId: viewer.accountId, language: lang };
  const email = normaliseEmail(form.email);
  const problem = emailProblem(email);
  if (problem) errors.email = problem;
  return problem ? undefined : { email, language: lang };
}

export function parseContactForm(form: Form, viewer?: Viewer, language?: Language): Parsed<{ requester: Requester; category: SupportCategory; message: string; caseReference?: string }> {
  const values = { category: text(form.category), message: text(form.message), caseReference: text(form.caseReference), email: text(form.email) };
  const errors: FieldErrors = {};
  if (!isOneOf(SUPPORT_CATEGORIES, values.category)) errors.category = 'support.errors.chooseCategory';
  const message = values.message.trim();
  const problem = messageProblem(message, 'support.errors.enterQuestion');
  if (problem) errors.message = problem;
  const caseReference = values.caseReference.trim();
  if (caseReference && !CASE_REFERENCE.test(caseReference)) errors.caseReference = 'support.errors.caseReference';
  const requester = requesterOf(viewer, form, errors, language);
  if (Object.keys(errors).length || !requester) return { errors, values };
  return { errors, values, valid: { requester, category: values.category as SupportCategory, message, caseReference: caseReference || undefined } };
}

export function parseFraudForm(form: Form, viewer?: Viewer, language?: Language): Parsed<{ requester: Requester; kind: FraudKind; details: string }> {
  const values = { kind: text(form.kind), details: text(form.details), email: text(form.email) };
  const errors: FieldErrors = {};
  if (!isOneOf(FRAUD_KINDS, values.kind)) errors.kind = 'support.errors.chooseKind';
  const details = values.details.trim();
  const problem = messageProblem(details);
  if (problem) errors.details = problem;
  const requester = requesterOf(viewer, form, errors, language);
  if (Object.keys(errors).length || !requester) return { errors, values };
  return { errors, values, valid: { requester, kind: values.kind as FraudKind, details } };
}

/** A message on an existing request (the person's follow-up, or a staff answer); `missing` is the key for an empty one. */
export function parseMessage(form: Form, field: 'message' | 'answer', missing: string): Parsed<string> {
  const values = { [field]: text(form[field]) };
  const message = values[field].trim();
  const problem = messageProblem(message, missing);
  return problem ? { errors: { [field]: problem }, values } : { errors: {}, values, valid: message };
}
