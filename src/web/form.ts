import { z } from 'zod';
import type { Text } from '../i18n/messages';
import type { FieldErrors } from './view';

/**
 * The input layer: each form is declared once (a zod schema next to its module's pages, in
 * forms.ts) with its validation, and read here into either typed values or FieldErrors, the
 * catalog keys the page shows next to each field and in the error summary. Zod because a
 * field's error is a catalog key or a phrase with values (a custom issue carries either as
 * it is), rules often look at two fields at once (a password may not contain the email),
 * and safeParse never throws, whatever a browser or a fuzzer sends.
 */

/** A text field as a form sends it: the string, or '' for anything else (missing, repeated, nested). */
export const textField = () => z.string().catch('');

/** A text field read without the spaces around it. */
export const trimmedField = () => textField().transform((value) => value.trim());

/** A field's error, in a rule (superRefine): the first one given for a field is the one shown. */
export function fieldError(ctx: z.RefinementCtx, field: string, text: Text | undefined): void {
  if (!text) return;
  ctx.addIssue({ code: 'custom', path: [field], message: typeof text === 'string' ? text : text.key, params: { text } });
}

/** `typed(field)`: what the person typed in a text field ('' if nothing usable), to show the form again with it. */
export type FormResult<T> = { typed: (field: string) => string } & ({ valid: T; errors?: undefined } | { valid?: undefined; errors: FieldErrors });

/** Reads a submitted body with a form's schema; a form with errors is shown again (400) by the handler, see invalidForm. */
export function readForm<T>(schema: z.ZodType<T>, body: unknown): FormResult<T> {
  // A form is named fields: anything else (a JSON array or string) is a form with none, never a 500.
  const submitted: Record<string, unknown> = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const typed = (field: string) => (Object.hasOwn(submitted, field) && typeof submitted[field] === 'string' ? (submitted[field] as string) : '');
  const result = schema.safeParse(submitted);
  if (result.success) return { valid: result.data, typed };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? '');
    const text = (issue as { params?: { text?: Text } }).params?.text;
    errors[field] ??= text ?? issue.message;
  }
  return { errors, typed };
}
