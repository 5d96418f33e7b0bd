/**
 * The languages Referee speaks. Adding one is adding a row here and its folders under
 * content/messages, content/help and content/policies; a test fails until every English
 * message has a translation.
 */
export const LANGUAGES = [
  { code: 'en', name: 'English', dir: 'ltr' },
  { code: 'es', name: 'Español', dir: 'ltr' },
  { code: 'fr', name: 'Français', dir: 'ltr' },
  { code: 'ar', name: 'العربية', dir: 'rtl' },
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
