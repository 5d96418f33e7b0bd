import { z } from 'zod';
import { phrase, type Text } from '../i18n/messages';
import { fieldError, trimmedField } from '../web/form';

const LABEL_MAX = 60;
/** The second-factor forms read their fields trimmed. */
const trimmed = trimmedField;

export function labelProblem(label: string): Text | undefined {
  if (!label) return 'mfa.errors.labelMissing';
  if (label.length > LABEL_MAX) return phrase('mfa.errors.labelTooLong', { max: LABEL_MAX });
  return undefined;
}

/** The name a person gives a second factor (renaming one: `label`). */
export const MethodLabelForm = z.object({ label: trimmed() }).superRefine(({ label }, ctx) => fieldError(ctx, 'label', labelProblem(label)));

/** An authenticator app: its name and the six-digit code it shows (spaces allowed), checked against the secret after. */
export const TotpSetupForm = z.object({ label: trimmed(), code: trimmed() }).superRefine(({ label, code }, ctx) => {
  fieldError(ctx, 'label', labelProblem(label));
  if (!/^\d{6}$/.test(code.replace(/\s/g, ''))) fieldError(ctx, 'code', 'mfa.errors.enterAppCode');
});

/** A phone's fields as the page shows them again; the number itself is checked when the code is sent. */
export const PhoneSetupFields = z.object({
  country: trimmed(),
  number: trimmed(),
  channel: trimmed().transform((channel): 'voice' | 'sms' => (channel === 'voice' ? 'voice' : 'sms')),
  label: trimmed(),
});
export const PhoneSetupForm = PhoneSetupFields.superRefine(({ label }, ctx) => fieldError(ctx, 'label', labelProblem(label)));
