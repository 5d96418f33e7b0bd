import { z } from 'zod';
import { textField, type FormResult } from '../web/form';
import { ADDRESS_FIELDS } from './addresses';

/**
 * The verification pages' forms, each declared once. Every field is text that reading never
 * refuses (missing, repeated or nested: ''), so a step's service decides what is wrong with
 * its rules (details.ts, addresses.ts, identifiers.ts, the catalog's) under the flow's gate:
 * a stale form lands on the current step before anything is checked. A field's error is a
 * catalog key, shown next to the field and, in page order, in the error summary.
 */

/** Save & Exit, from a step's own form: `draftStep` names the step whose fields become a draft (drafts.ts). */
export const SaveAndExitForm = z.object({ draftStep: textField() });

/** The longest a typed value is kept to be shown again or as a draft: more than any field allows, so what is refused is shown as typed. */
const TYPED_MAX = 300;

/** The fields of a form as typed, to show the page again or keep a draft ('' for a missing or odd one). The SSN and ITIN are never asked for here. */
export function typedValues(form: FormResult<unknown>, fields: readonly string[]): Record<string, string> {
  return Object.fromEntries(fields.map((field) => [field, form.typed(field).slice(0, TYPED_MAX)]));
}

/** "Choose how to verify": Self-Service or Video Call. */
export const ChooseMethodForm = z.object({ method: textField() });

/** An international link's button ("I don't live in the United States", …): the step it is on. */
export const InternationalForm = z.object({ from: textField() });

/** The Self-Service U.S. mobile number. */
export const UsPhoneForm = z.object({ phone: textField() });

const address = { country: textField(), line1: textField(), line2: textField(), city: textField(), region: textField(), postalCode: textField() };

/** A home address (the Self-Service screen asks no country: the U.S.), and the address fields the details page asks for another country. */
export const AddressForm = z.object(address);
export type AddressFields = z.output<typeof AddressForm>;

export const DETAILS_FIELDS = [
  'firstName', 'middleName', 'lastName', 'dateOfBirth-month', 'dateOfBirth-day', 'dateOfBirth-year',
  'email', 'phone', ...ADDRESS_FIELDS, 'nameChanged',
] as const;

/** Personal details; `refresh` is the no-JavaScript button that shows the address fields of the chosen country, saving nothing. */
export const DetailsForm = z.object({
  firstName: textField(),
  middleName: textField(),
  lastName: textField(),
  'dateOfBirth-month': textField(),
  'dateOfBirth-day': textField(),
  'dateOfBirth-year': textField(),
  email: textField(),
  phone: textField(),
  ...address,
  nameChanged: textField(),
  refresh: textField(),
});
export type DetailsFields = z.output<typeof DetailsForm>;
/** The details as the page shows them (typed, saved or a draft). */
export type DetailsValues = Partial<Record<(typeof DETAILS_FIELDS)[number], string>>;

/** A box ticked: 'yes'. */
const ticked = () => textField().transform((value) => value === 'yes');

/** An SSN or ITIN typed twice and, for an SSN, the Fair Credit Reporting Act consent. */
export const IdentifierForm = z.object({ number: textField(), confirmNumber: textField(), fcraConsent: ticked() });
export type IdentifierFields = z.output<typeof IdentifierForm>;

/** A document chosen for a slot, by its catalog key. */
export const DocumentChoiceForm = z.object({ document: textField() });

/** A yes-or-no question: true, false, or not answered. */
const answer = () => textField().transform((value): boolean | undefined => (value === 'yes' ? true : value === 'no' ? false : undefined));

export const ANSWER_FIELDS = ['original', 'nameMatches', 'unexpired', 'recent', 'nameChangeDocumentation'] as const;

/** The confirmation questions about a chosen document (which of them apply is the catalog's), and the legal name change documentation box. */
export const DocumentCheckForm = z.object({ original: answer(), nameMatches: answer(), unexpired: answer(), recent: answer(), nameChangeDocumentation: ticked() });
export type DocumentAnswers = z.output<typeof DocumentCheckForm>;

/** "I will bring these supporting documents." */
export const SupportingForm = z.object({ confirm: ticked() });

/** A resume link's code, in its address or posted by its page. */
export const ResumeForm = z.object({ code: textField() });
