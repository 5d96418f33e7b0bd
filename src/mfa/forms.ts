import { z } from 'zod';
import { phrase, type Text } from '../i18n/messages';
import { fieldError, textField, trimmedField } from '../web/form';
import { localPath } from '../web/redirect.exception';
import type { CodeKind } from './sign-in.service';

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

/** Where to go after a second-factor page: a path on this site, else `fallback`. */
const nextField = (fallback = '') => z.unknown().optional().transform((next) => localPath(next, fallback));

/** A setup page's address, or a form whose only field is where to go next (sending a phone code again). Reading it never fails, like the forms below without a rule. */
export const NextForm = z.object({ next: nextField() });

/** The phone code page's address: whether a code was just sent again. */
export const PhoneConfirmQuery = z.object({ next: nextField(), resent: textField().transform((resent) => resent === '1') });

/** The code texted or read out to a phone being set up; the phone code service says what is wrong with it. */
export const PhoneConfirmForm = z.object({ code: trimmed(), next: nextField() });

/** A new passkey (JSON from passkeys.js): its name (the page's suggestion when empty, checked by the controller) and the authenticator's answer. */
export const PasskeySetupForm = z.object({ label: trimmed(), response: z.unknown().optional(), next: nextField() });

/** "Done" after a passkey: which kind was added, and whether it was the first. */
export const SetupDoneQuery = z.object({
  kind: z.enum(['passkey', 'totp', 'phone']).catch('passkey'),
  first: textField().transform((first) => first === '1'),
  next: nextField(),
});

/** New backup codes; their page's "Continue" goes back to the methods unless a page asked otherwise. */
export const BackupCodesForm = z.object({ next: nextField('/mfa/methods') });

/** The methods page's address: the notice of what was just done (removed, renamed, the last one kept). */
export const MethodsQuery = z.object({ notice: textField() });

/** The password asked again before a change, and the page to go back to. */
export const ReauthenticateForm = z.object({ password: textField(), next: nextField('/mfa/methods') });

// ---- the second step of signing in ------------------------------------------------------

/** "Remember this browser" (a checkbox: 'yes' when ticked). */
const rememberField = () => textField().transform((remember) => remember === 'yes');

/** The challenge page's address: the method chosen (an id, or 'backup'), whether a phone code was just sent. Like the forms below without a rule, every field has a fallback: reading it never fails. */
export const ChallengeQuery = z.object({ method: textField(), next: nextField(), sent: textField().transform((sent) => sent === '1') });

const ENTER_CODE: Record<CodeKind, string> = { totp: 'mfa.errors.enterAppCode', phone: 'mfa.errors.enterSentCode', backup: 'mfa.errors.enterBackupCode' };

/** A code typed to sign in, for a method (a code generator's or a phone's id; backup codes have one). An empty one is not a try. */
export const challengeCodeForm = (kind: CodeKind) =>
  z
    .object({ method: textField(), code: textField(), next: nextField(), remember: rememberField() })
    .superRefine(({ code }, ctx) => {
      if (!code.trim()) fieldError(ctx, 'code', ENTER_CODE[kind]);
    });

/** Asking for a code by text message or call, to the phone `method`. */
export const SendPhoneCodeForm = z.object({ method: textField(), next: nextField() });

/** A passkey's answer (JSON from passkeys.js), checked by the passkey service. */
export const PasskeyForm = z.object({ response: z.unknown().optional(), next: nextField(), remember: rememberField() });

/** Cancelling an account recovery, with the emailed link's token. */
export const CancelRecoveryForm = z.object({ token: textField() });
