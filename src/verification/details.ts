import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { emailProblem, normaliseEmail } from '../identity/identity.service';
import { phrase, type Text } from '../i18n/messages';
import type { FieldErrors } from '../web/view';
import { cleanText, parseAddress, type Address } from './addresses';
import type { DetailsFields } from './forms';

/**
 * The personal information an applicant confirms (later compared with their documents):
 * legal name, date of birth, email, phone and home address, and whether their legal name
 * changed. Each parser returns field errors as catalog phrases for the form, and keeps the input.
 */
export type { FieldErrors };
type NameField = 'firstName' | 'middleName' | 'lastName';

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

export function nameProblem(value: string, field: NameField, required: boolean): Text | undefined {
  if (!value) return required ? phrase('verification.errors.name.required', { field }) : undefined;
  if (value.length > NAME_MAX) return phrase('verification.errors.name.tooLong', { field, max: NAME_MAX });
  if (!NAME.test(value)) return phrase('verification.errors.name.characters', { field });
  return undefined;
}

/** The months for the date of birth, named in the reader's language ("04 - April", "04 - abril"). */
export function monthOptions(language: string): { value: string; label: string }[] {
  const month = new Intl.DateTimeFormat(language, { month: 'long', timeZone: 'UTC' });
  return Array.from({ length: 12 }, (_, i) => ({
    value: String(i + 1),
    label: `${String(i + 1).padStart(2, '0')} - ${month.format(new Date(Date.UTC(2000, i, 1)))}`,
  }));
}

/** The order the reader's language writes a date's parts in (CLDR, through Intl): day, month, year for es, fr, ar. */
export function dateFieldOrder(language: string): ('day' | 'month' | 'year')[] {
  const parts = new Intl.DateTimeFormat(language, { day: 'numeric', month: 'numeric', year: 'numeric', timeZone: 'UTC' }).formatToParts(new Date(Date.UTC(2000, 0, 19)));
  return parts.map((p) => p.type).filter((type): type is 'day' | 'month' | 'year' => type === 'day' || type === 'month' || type === 'year');
}

/** A memorable date (month, day, year) that exists on the calendar and is in the past. */
export function parseDateOfBirth(month: string, day: string, year: string, today = new Date()): { date: string } | { error: Text } {
  const [m, d, y] = [month.trim(), day.trim(), year.trim()];
  if (!m && !d && !y) return { error: 'verification.errors.dateOfBirth.required' };
  if (!m || !d || !y) return { error: phrase('verification.errors.dateOfBirth.incomplete', { part: !m ? 'month' : !d ? 'day' : 'year' }) };
  if (!/^\d{1,2}$/.test(m) || !/^\d{1,2}$/.test(d) || !/^\d{4}$/.test(y)) return { error: 'verification.errors.dateOfBirth.numbers' };
  const [mm, dd, yyyy] = [Number(m), Number(d), Number(y)];
  const date = new Date(Date.UTC(yyyy, mm - 1, dd));
  if (mm < 1 || mm > 12 || date.getUTCFullYear() !== yyyy || date.getUTCMonth() !== mm - 1 || date.getUTCDate() !== dd) {
    return { error: 'verification.errors.dateOfBirth.real' };
  }
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  if (date.getTime() > todayUtc) return { error: 'verification.errors.dateOfBirth.future' };
  if (yyyy < 1900) return { error: 'verification.errors.dateOfBirth.before1900' };
  return { date: date.toISOString().slice(0, 10) };
}

/** A phone number in any country: with its +country code, or national for the home country. */
export function parseInternationalPhone(typed: string, homeCountry?: string): { e164: string } | { error: Text } {
  const text = typed.trim();
  if (!text) return { error: 'verification.errors.phone.required' };
  if (text.length > 30 || !/^[+0-9 ().-]+$/.test(text)) return { error: 'verification.errors.phone.format' };
  const phone = parsePhoneNumberFromString(text, homeCountry as CountryCode | undefined);
  if (!phone?.isValid()) return { error: 'verification.errors.phone.invalid' };
  return { e164: phone.number };
}

/** Numbering plan areas served by U.S. carriers: the states and the territories. */
const US_PHONE_COUNTRIES = new Set(['US', 'PR', 'GU', 'VI', 'AS', 'MP']);

/** A U.S. mobile number (Self-Service). */
export function parseUsPhone(typed: string): { e164: string } | { error: Text } {
  const text = typed.trim();
  if (!text) return { error: 'verification.errors.usPhone.required' };
  if (text.length > 30 || !/^[+0-9 ().-]+$/.test(text)) return { error: 'verification.errors.usPhone.format' };
  const phone = parsePhoneNumberFromString(text, 'US');
  if (!phone?.isValid() || !US_PHONE_COUNTRIES.has(phone.country ?? '')) {
    return { error: 'verification.errors.usPhone.invalid' };
  }
  if (phone.getType() === 'FIXED_LINE') return { error: 'verification.errors.usPhone.landline' };
  return { e164: phone.number };
}

export function parseDetails(form: DetailsFields, today = new Date()): { details?: Details; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = (field: NameField, required: boolean) => {
    const value = cleanText(form[field]);
    if (value === undefined) {
      errors[field] = phrase('verification.errors.name.characters', { field });
      return '';
    }
    const problem = nameProblem(value, field, required);
    if (problem) errors[field] = problem;
    return value;
  };
  const firstName = name('firstName', true);
  const middleName = name('middleName', false);
  const lastName = name('lastName', true);

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
  if (nameChanged === undefined) errors.nameChanged = 'verification.errors.nameChanged';

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
