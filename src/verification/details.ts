import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { emailProblem, normaliseEmail } from '../identity/identity.service';
import { cleanText, parseAddress, type Address } from './addresses';

/**
 * The personal information an applicant confirms (later compared with their documents):
 * legal name, date of birth, email, phone and home address, and whether their legal name
 * changed. Each parser returns field errors in words for the form, and keeps the input.
 */
export type FieldErrors = Record<string, string>;

export interface Details {
  firstName: string;
  middleName: string;
  lastName: string;
  dateOfBirth: string; // YYYY-MM-DD
  email: string;
  phone: string; // E.164
  address: Address;
  nameChanged: boolean;
}

const NAME_MAX = 100;
/** Letters of any script, combining marks, spaces, hyphens, apostrophes and periods. */
const NAME = /^[\p{L}\p{M}][\p{L}\p{M}'’ .,-]*$/u;

export function nameProblem(value: string, label: string, required: boolean): string | undefined {
  if (!value) return required ? `Enter your ${label}` : undefined;
  if (value.length > NAME_MAX) return `Your ${label} must be ${NAME_MAX} characters or fewer`;
  if (!NAME.test(value)) return `Your ${label} can only have letters, spaces, hyphens, apostrophes and periods`;
  return undefined;
}

export const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

/** A memorable date (month, day, year) that exists on the calendar and is in the past. */
export function parseDateOfBirth(month: unknown, day: unknown, year: unknown, today = new Date()): { date: string } | { error: string } {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const [m, d, y] = [text(month), text(day), text(year)];
  if (!m && !d && !y) return { error: 'Enter your date of birth' };
  if (!m || !d || !y) return { error: `Your date of birth must include a ${!m ? 'month' : !d ? 'day' : 'year'}` };
  if (!/^\d{1,2}$/.test(m) || !/^\d{1,2}$/.test(d) || !/^\d{4}$/.test(y)) return { error: 'Enter your date of birth as numbers, like 4 28 1986' };
  const [mm, dd, yyyy] = [Number(m), Number(d), Number(y)];
  const date = new Date(Date.UTC(yyyy, mm - 1, dd));
  if (mm < 1 || mm > 12 || date.getUTCFullYear() !== yyyy || date.getUTCMonth() !== mm - 1 || date.getUTCDate() !== dd) {
    return { error: 'Enter a real date of birth' };
  }
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  if (date.getTime() > todayUtc) return { error: 'Your date of birth must be in the past' };
  if (yyyy < 1900) return { error: 'Your year of birth must be 1900 or later' };
  return { date: date.toISOString().slice(0, 10) };
}

/** A phone number in any country: with its +country code, or national for the home country. */
export function parseInternationalPhone(raw: unknown, homeCountry?: string): { e164: string } | { error: string } {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (!text) return { error: 'Enter your phone number' };
  if (text.length > 30 || !/^[+0-9 ().-]+$/.test(text)) return { error: 'Enter a phone number with its country code, like +44 20 7946 0958' };
  const phone = parsePhoneNumberFromString(text, homeCountry as CountryCode | undefined);
  if (!phone?.isValid()) return { error: 'Enter a valid phone number with its country code, like +44 20 7946 0958' };
  return { e164: phone.number };
}

/** Numbering plan areas served by U.S. carriers: the states and the territories. */
const US_PHONE_COUNTRIES = new Set(['US', 'PR', 'GU', 'VI', 'AS', 'MP']);

/** A U.S. mobile number (Self-Service). */
export function parseUsPhone(raw: unknown): { e164: string } | { error: string } {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (!text) return { error: 'Enter your mobile phone number' };
  if (text.length > 30 || !/^[+0-9 ().-]+$/.test(text)) return { error: 'Enter a U.S. phone number, like (202) 555-0125' };
  const phone = parsePhoneNumberFromString(text, 'US');
  if (!phone?.isValid() || !US_PHONE_COUNTRIES.has(phone.country ?? '')) {
    return { error: 'Enter a valid U.S. phone number, like (202) 555-0125' };
  }
  if (phone.getType() === 'FIXED_LINE') return { error: 'Enter a mobile phone number: we send a link to it by text message' };
  return { e164: phone.number };
}

export interface DetailsForm {
  firstName: string;
  middleName: string;
  lastName: string;
  'dateOfBirth-month': string;
  'dateOfBirth-day': string;
  'dateOfBirth-year': string;
  email: string;
  phone: string;
  country: string;
  line1: string;
  line2: string;
  city: string;
  region: string;
  postalCode: string;
  nameChanged: string;
}

/** The posted form's values as text, for showing them again. */
export function detailsValues(form: Record<string, unknown>): DetailsForm {
  const keys: (keyof DetailsForm)[] = [
    'firstName', 'middleName', 'lastName', 'dateOfBirth-month', 'dateOfBirth-day', 'dateOfBirth-year',
    'email', 'phone', 'country', 'line1', 'line2', 'city', 'region', 'postalCode', 'nameChanged',
  ];
  return Object.fromEntries(keys.map((k) => [k, typeof form[k] === 'string' ? (form[k] as string).slice(0, 300) : ''])) as unknown as DetailsForm;
}

export function parseDetails(form: Record<string, unknown>, today = new Date()): { details?: Details; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = (field: 'firstName' | 'middleName' | 'lastName', label: string, required: boolean) => {
    const value = cleanText(form[field]);
    if (value === undefined) {
      errors[field] = `Your ${label} can only have letters, spaces, hyphens, apostrophes and periods`;
      return '';
    }
    const problem = nameProblem(value, label, required);
    if (problem) errors[field] = problem;
    return value;
  };
  const firstName = name('firstName', 'first name', true);
  const middleName = name('middleName', 'middle name', false);
  const lastName = name('lastName', 'last name', true);

  const dob = parseDateOfBirth(form['dateOfBirth-month'], form['dateOfBirth-day'], form['dateOfBirth-year'], today);
  if ('error' in dob) errors.dateOfBirth = dob.error;

  const email = normaliseEmail(form.email);
  const emailError = emailProblem(email);
  if (emailError) errors.email = emailError;

  const { address, errors: addressErrors } = parseAddress(form);
  Object.assign(errors, addressErrors);

  const phone = parseInternationalPhone(form.phone, addressErrors.country ? undefined : address.country);
  if ('error' in phone) errors.phone = phone.error;

  const nameChanged = form.nameChanged === 'yes' ? true : form.nameChanged === 'no' ? false : undefined;
  if (nameChanged === undefined) errors.nameChanged = 'Select yes if your legal name has changed';

  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    details: {
      firstName,
      middleName,
      lastName,
      dateOfBirth: (dob as { date: string }).date,
      email,
      phone: (phone as { e164: string }).e164,
      address,
      nameChanged: nameChanged!,
    },
  };
}

export function fullName(c: { firstName?: string; middleName?: string; lastName?: string }): string {
  return [c.firstName, c.middleName, c.lastName].filter(Boolean).join(' ');
}
