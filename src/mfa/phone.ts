import { getCountries, getCountryCallingCode, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';

export interface CountryOption {
  code: string;
  name: string;
  dialCode: string;
}

let options: CountryOption[] | undefined;

/** Every country libphonenumber knows, with its English name and dial code, sorted by name. */
export function countryOptions(): CountryOption[] {
  if (!options) {
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    options = getCountries()
      .map((code) => ({ code, name: names.of(code) ?? code, dialCode: `+${getCountryCallingCode(code)}` }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en'));
  }
  return options;
}

/** The country picker's options: "United Kingdom (+44)". */
export function countrySelectOptions(): { value: string; label: string }[] {
  return countryOptions().map((c) => ({ value: c.code, label: `${c.name} (${c.dialCode})` }));
}

export type ParsedPhone = { e164: string; country: string; hint: string } | { error: string };

/**
 * A phone number typed by a person for a chosen country (or with its own +code), checked
 * against that country's numbering plan.
 */
export function parsePhone(country: string, raw: string): ParsedPhone {
  const text = raw.trim();
  if (!text) return { error: 'Enter your phone number' };
  if (text.length > 40) return { error: 'Enter a phone number, like 07700 900982' };
  if (!text.startsWith('+') && !getCountries().includes(country as CountryCode)) return { error: 'Select your country' };
  try {
    const phone = parsePhoneNumberWithError(text, text.startsWith('+') ? undefined : (country as CountryCode));
    if (!phone.isValid()) return { error: `Enter a valid phone number for ${countryName(phone.country ?? country)}` };
    const national = phone.nationalNumber;
    return {
      e164: phone.number,
      country: phone.country ?? country,
      hint: `+${phone.countryCallingCode} ${'•'.repeat(Math.max(national.length - 3, 0))}${national.slice(-3)}`,
    };
  } catch {
    return { error: 'Enter a phone number, like 07700 900982' };
  }
}

function countryName(code: string): string {
  return countryOptions().find((c) => c.code === code)?.name ?? 'that country';
}
