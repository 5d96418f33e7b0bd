import { getCountries, getCountryCallingCode, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';
import { countryOptions } from '../i18n/countries';
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages';
import { phrase, type Text } from '../i18n/messages';

export interface CountryOption {
  code: string;
  name: string;
  dialCode: string;
}

/** Built once per language: every country libphonenumber knows takes a while to name and sort. */
const optionsByLanguage = new Map<Language, CountryOption[]>();

/** Every country libphonenumber knows, named and sorted in `language` (i18n/countries.ts), with its dial code. */
export function phoneCountries(language: Language = DEFAULT_LANGUAGE): CountryOption[] {
  let options = optionsByLanguage.get(language);
  if (!options) {
    options = countryOptions(language, getCountries()).map(({ value, label }) => ({ code: value, name: label, dialCode: `+${getCountryCallingCode(value as CountryCode)}` }));
    optionsByLanguage.set(language, options);
  }
  return options;
}

/** The country picker's options: "United Kingdom (+44)". */
export function countrySelectOptions(language: Language = DEFAULT_LANGUAGE): { value: string; label: string }[] {
  return phoneCountries(language).map((c) => ({ value: c.code, label: `${c.name} (${c.dialCode})` }));
}

export type ParsedPhone = { e164: string; country: string; hint: string } | { error: Text };

/**
 * A phone number typed by a person for a chosen country (or with its own +code), checked
 * against that country's numbering plan. Errors are catalog messages; a country named in one
 * is named in `language`.
 */
export function parsePhone(country: string, raw: string, language: Language = DEFAULT_LANGUAGE): ParsedPhone {
  const text = raw.trim();
  if (!text) return { error: 'mfa.errors.enterNumber' };
  if (text.length > 40) return { error: 'mfa.errors.numberFormat' };
  if (!text.startsWith('+') && !getCountries().includes(country as CountryCode)) return { error: 'mfa.errors.selectCountry' };
  try {
    const phone = parsePhoneNumberWithError(text, text.startsWith('+') ? undefined : (country as CountryCode));
    if (!phone.isValid()) {
      const name = countryName(phone.country ?? country, language);
      return { error: name ? phrase('mfa.errors.numberInvalidFor', { country: name }) : 'mfa.errors.numberInvalid' };
    }
    const national = phone.nationalNumber;
    return {
      e164: phone.number,
      country: phone.country ?? country,
      hint: `+${phone.countryCallingCode} ${'•'.repeat(Math.max(national.length - 3, 0))}${national.slice(-3)}`,
    };
  } catch {
    return { error: 'mfa.errors.numberFormat' };
  }
}

function countryName(code: string, language: Language): string | undefined {
  return phoneCountries(language).find((c) => c.code === code)?.name;
}
