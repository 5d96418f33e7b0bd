import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import { PROJECT_ROOT } from '../config/paths';
import { DEFAULT_LANGUAGE, directionOf, LANGUAGE_CODES, type Language } from './languages';

const MESSAGES_DIR = join(PROJECT_ROOT, 'content', 'messages');

/**
 * Text a service hands to a page, an email or an SMS without knowing the reader's language:
 * a catalog key and its values. A bare string is a key with no values.
 */
export interface Phrase {
  key: string;
  values?: Record<string, unknown>;
}
export type Text = string | Phrase;

export const phrase = (key: string, values?: Record<string, unknown>): Phrase => ({ key, values });

export const isPhrase = (value: unknown): value is Phrase =>
  !!value && typeof value === 'object' && typeof (value as Phrase).key === 'string' && Object.keys(value).every((k) => k === 'key' || k === 'values');

/** Catalog keys: the namespace (the file's name) then dotted names, e.g. "identity.signIn.title". */
const KEY = /^[a-z][a-zA-Z0-9_-]*(\.[a-zA-Z0-9_-]+)+$/;
export const looksLikeKey = (value: string) => KEY.test(value);

class UnknownMessageError extends Error {}

/** Markup a page built itself (e.g. a live countdown's <span>), placed into a message unescaped. */
export class TrustedHtml {
  constructor(readonly html: string) {}
  toString() {
    return this.html;
  }
}

/** The inline tags a message may use; in plain text (emails, SMS) they keep only their words. */
const joined = (chunks: string[]) => chunks.join('');
const PLAIN_TAGS = { strong: joined, em: joined, link: joined };
const HTML_TAGS = {
  strong: (chunks: string[]) => `<strong>${chunks.join('')}</strong>`,
  em: (chunks: string[]) => `<em>${chunks.join('')}</em>`,
};

/** Flattens {"a": {"b": "x"}} from the file "ns.json" into {"ns.a.b": "x"}. */
function flatten(prefix: string, value: unknown, into: Map<string, string>, file: string): void {
  if (typeof value === 'string') into.set(prefix, value);
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [name, inner] of Object.entries(value)) flatten(`${prefix}.${name}`, inner, into, file);
  } else throw new Error(`${file}: ${prefix} must be a string or an object of strings`);
}

/** Reads every content/messages/<language>/<namespace>.json into one map per language. */
export function readCatalogs(root = MESSAGES_DIR): Map<Language, Map<string, string>> {
  const catalogs = new Map<Language, Map<string, string>>();
  for (const language of LANGUAGE_CODES) {
    const entries = new Map<string, string>();
    const dir = join(root, language);
    if (existsSync(dir)) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
        const path = join(dir, file);
        flatten(file.slice(0, -'.json'.length), JSON.parse(readFileSync(path, 'utf8')), entries, path);
      }
    }
    catalogs.set(language, entries);
  }
  return catalogs;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

/** A form's or document's code written in Latin letters and digits: I-551, (I-766), N-550. */
const CODE = /\(?\b[A-Z]{1,5}-\d{2,6}\b\)?/g;

/**
 * In right-to-left pages, codes such as "(I-551)" keep their left-to-right order and stay on
 * one line: isolated (U+2068…U+2069, as <bdi> would, also inside attributes) with a
 * non-breaking hyphen. Only in the text between tags, never inside a tag's markup.
 */
function isolateCodes(language: Language, formatted: string, html: boolean): string {
  if (!html || directionOf(language) !== 'rtl' || !/[A-Z]-\d/.test(formatted)) return formatted;
  return formatted
    .split(/(<[^>]*>)/)
    .map((part) => (part.startsWith('<') ? part : part.replace(CODE, (code) => `\u2068${code.replace('-', '\u2011')}\u2069`)))
    .join('');
}

/**
 * The message catalogs (ICU MessageFormat: plurals, selects, dates and numbers for the
 * language). A language that lacks a key falls back to English; a key English lacks is a
 * bug: outside production it throws so a test finds it, in production it shows the key.
 */
export class Messages {
  private readonly compiled = new Map<string, IntlMessageFormat>();
  private readonly fixedTexts = new Map<string, string>();

  constructor(
    private readonly catalogs = readCatalogs(),
    /** Outside production an unknown key throws, so tests and development find it at once. */
    private readonly strict = true,
  ) {}

  has(key: string, language: Language = DEFAULT_LANGUAGE): boolean {
    return this.catalogs.get(language)!.has(key);
  }

  /** Plain text (emails, SMS, headers): values as given. */
  text(language: Language, text: Text, values?: Record<string, unknown>): string {
    return this.format(language, text, values, false);
  }

  /**
   * HTML for a page: values escaped; the message may wrap words in <strong>, <em> or
   * <link> (a link to the `href` value) so translators can move them within a sentence.
   */
  html(language: Language, text: Text, values?: Record<string, unknown>): string {
    return this.format(language, text, values, true);
  }

  private format(language: Language, text: Text, extra: Record<string, unknown> | undefined, html: boolean): string {
    const key = typeof text === 'string' ? text : text.key;
    const values = typeof text === 'string' ? extra : { ...text.values, ...extra };
    // A message without values always reads the same: formatted once per language and form.
    const fixed = !values || Object.keys(values).length === 0 ? `${html ? 'h' : 't'}${language}\u0000${key}` : undefined;
    const known = fixed ? this.fixedTexts.get(fixed) : undefined;
    if (known !== undefined) return known;
    const formatter = this.formatter(language, key);
    if (!formatter) {
      if (this.strict) throw new UnknownMessageError(`No English message "${key}"`);
      return key;
    }
    const formatted = isolateCodes(language, this.formatWith(formatter, language, values, html), html);
    if (fixed) this.fixedTexts.set(fixed, formatted);
    return formatted;
  }

  private formatWith(formatter: IntlMessageFormat, language: Language, values: Record<string, unknown> | undefined, html: boolean): string {
    // The tags first: a value that happens to share a tag's name is still a value.
    const prepared: Record<string, unknown> = html
      ? { ...HTML_TAGS, link: (chunks: string[]) => `<a class="usa-link" href="${escapeHtml(String(values?.href ?? '#'))}">${chunks.join('')}</a>` }
      : { ...PLAIN_TAGS };
    for (const [name, value] of Object.entries(values ?? {})) {
      if (value instanceof TrustedHtml) prepared[name] = html ? value.html : value.html.replace(/<[^>]*>/g, '');
      // A phrase inside a phrase (a document's name in an error): translated in the same language.
      else if (isPhrase(value)) prepared[name] = this.format(language, value, undefined, html);
      else prepared[name] = html && typeof value === 'string' ? escapeHtml(value) : value;
    }
    const result = formatter.format(prepared);
    return Array.isArray(result) ? result.join('') : String(result);
  }

  private formatter(language: Language, key: string): IntlMessageFormat | undefined {
    const id = `${language}\u0000${key}`;
    let formatter = this.compiled.get(id);
    if (formatter) return formatter;
    const own = this.catalogs.get(language)!.get(key);
    const source = own ?? this.catalogs.get(DEFAULT_LANGUAGE)!.get(key);
    if (source === undefined) return undefined;
    formatter = new IntlMessageFormat(source, own === undefined ? DEFAULT_LANGUAGE : language, undefined, { ignoreTag: false });
    this.compiled.set(id, formatter);
    return formatter;
  }
}
