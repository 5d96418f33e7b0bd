/**
 * The languages Referee speaks. Adding one is adding a row here and its folders under
 * content/messages, content/help and content/policies; a test fails until every English
 * message has a translation.
 */
export const LANGUAGES = [
  // voice: the language a voice call reads a code in (Twilio's <Say language>).
  { code: 'en', name: 'English', dir: 'ltr', voice: 'en-US' },
  { code: 'es', name: 'Español', dir: 'ltr', voice: 'es-MX' },
  { code: 'fr', name: 'Français', dir: 'ltr', voice: 'fr-FR' },
  { code: 'ar', name: 'العربية', dir: 'rtl', voice: 'arb' },
] as const;

export type Language = (typeof LANGUAGES)[number]['code'];

/** The language of the catalogs every other language is checked against. */
export const DEFAULT_LANGUAGE: Language = 'en';

export const LANGUAGE_CODES: readonly Language[] = LANGUAGES.map((l) => l.code);

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGE_CODES as readonly string[]).includes(value);
}

export function directionOf(language: Language): 'ltr' | 'rtl' {
  return LANGUAGES.find((l) => l.code === language)!.dir;
}

/** A stored choice, if it is still one we speak. */
export function languageOrNone(value: unknown): Language | undefined {
  return isLanguage(value) ? value : undefined;
}

export function voiceOf(language: Language | undefined): string {
  return LANGUAGES.find((l) => l.code === (language ?? DEFAULT_LANGUAGE))!.voice;
}

/** A stored choice if it is one we speak, else `fallback` (English): the language to write to someone in. */
export function languageOr(value: unknown, fallback: Language = DEFAULT_LANGUAGE): Language {
  return languageOrNone(value) ?? fallback;
}
