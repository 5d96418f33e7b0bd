import { z } from 'zod';
import { emailProblem } from '../identity/identity.service';
import { emailField } from '../identity/forms';
import { languageOrNone, type Language } from '../i18n/languages';
import { phrase, type Text } from '../i18n/messages';
import { fieldError, textField, trimmedField, type FormResult } from '../web/form';
import type { Viewer } from '../web/request';
import { FRAUD_KINDS, isOneOf, MESSAGE_MAX, REQUEST_STATUSES, SUPPORT_CATEGORIES, type FraudKind, type SupportCategory } from './categories';
import type { Requester } from './support.service';

const CASE_REFERENCE = /^[A-Za-z0-9-]{4,64}$/;

/** Browsers send line breaks as CRLF but count them as one character (maxlength): counted as the person sees them. */
const messageField = () => textField().transform((value) => value.replace(/\r\n?/g, '\n').trim());

/** `missing`: the key that says the field is empty, when it must not be. */
function messageProblem(message: string, missing?: string): Text | undefined {
  if (!message && missing) return missing;
  if (message.length > MESSAGE_MAX) return phrase('support.errors.tooLong', { max: MESSAGE_MAX, count: message.length });
  return undefined;
}

/**
 * Signed in: the account answers; otherwise an email address is required (checked with the
 * form). `language` is the page's: answers to someone without an account are written in it.
 */
function requesterOf(viewer: Viewer | undefined, email: string, language: Language | undefined): Requester {
  return viewer ? { accountId: viewer.accountId, language } : { email, language };
}

/** The fields of a form, as typed, to show it again (a hidden or missing one is ''). */
export const typedValues = (form: FormResult<unknown>, fields: readonly string[]) => Object.fromEntries(fields.map((field) => [field, form.typed(field)]));

export const CONTACT_FIELDS = ['category', 'message', 'caseReference', 'email'] as const;

/** A question to support, from `viewer` (or someone without an account, who gives an email) on a page in `language`. */
export const contactForm = (viewer: Viewer | undefined, language: Language | undefined) =>
  z
    .object({ category: textField(), message: messageField(), caseReference: trimmedField(), email: emailField() })
    .superRefine(({ category, message, caseReference, email }, ctx) => {
      if (!isOneOf(SUPPORT_CATEGORIES, category)) fieldError(ctx, 'category', 'support.errors.chooseCategory');
      fieldError(ctx, 'message', messageProblem(message, 'support.errors.enterQuestion'));
      if (caseReference && !CASE_REFERENCE.test(caseReference)) fieldError(ctx, 'caseReference', 'support.errors.caseReference');
      if (!viewer) fieldError(ctx, 'email', emailProblem(email));
    })
    .transform(({ category, message, caseReference, email }) => ({
      requester: requesterOf(viewer, email, language),
      category: category as SupportCategory,
      message,
      caseReference: caseReference || undefined,
    }));

export const FRAUD_FIELDS = ['kind', 'details', 'email'] as const;

/** A fraud report; its page carries its language in a hidden field (the emails about it are written in it). */
export const fraudForm = (viewer: Viewer | undefined) =>
  z
    .object({ kind: textField(), details: messageField(), email: emailField(), language: z.unknown().optional().transform(languageOrNone) })
    .superRefine(({ kind, details, email }, ctx) => {
      if (!isOneOf(FRAUD_KINDS, kind)) fieldError(ctx, 'kind', 'support.errors.chooseKind');
      fieldError(ctx, 'details', messageProblem(details));
      if (!viewer) fieldError(ctx, 'email', emailProblem(email));
    })
    .transform(({ kind, details, email, language }) => ({ requester: requesterOf(viewer, email, language), kind: kind as FraudKind, details }));

/** The person's follow-up on their own request. */
export const FollowUpForm = z
  .object({ message: messageField() })
  .superRefine(({ message }, ctx) => fieldError(ctx, 'message', messageProblem(message, 'support.errors.enterMessage')));

/**
 * A staff answer. `seen`: how many messages the agent saw (-1 when the page sent none), so an
 * answer written before the person's newest message is not sent; `close`: answer and close.
 */
export const AnswerForm = z
  .object({
    answer: messageField(),
    seen: textField().transform((seen) => (/^\d{1,6}$/.test(seen) ? Number(seen) : -1)),
    close: textField().transform((close) => close === 'yes'),
  })
  .superRefine(({ answer }, ctx) => fieldError(ctx, 'answer', messageProblem(answer, 'support.errors.enterAnswer')));

export const STATUS_FILTERS = [...REQUEST_STATUSES, 'all'] as const;

/** The support queue's filters: a status (open unless chosen), fraud reports only, or a request's reference. */
export const QueueFilters = z.object({
  status: z.enum(STATUS_FILTERS).catch('open'),
  fraud: textField().transform((fraud) => fraud === '1'),
  reference: trimmedField().transform((reference) => reference.toUpperCase()),
});
