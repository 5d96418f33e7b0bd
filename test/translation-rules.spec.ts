import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { PROJECT_ROOT } from '../src/config/paths';
import { directionOf, LANGUAGE_CODES, type Language } from '../src/i18n/languages';
import { readCatalogs } from '../src/i18n/messages';

/**
 * The writing rules of each language that a reader notices when they are broken: every plural
 * form the language has, numbers and codes kept in their order in right-to-left text, French
 * spacing around punctuation, Spanish opening marks, and help articles that quote the labels
 * the screens really show. They hold for every language Referee speaks, a new one included.
 */

const CONTENT = join(PROJECT_ROOT, 'content');
const catalogs = readCatalogs();
const RIGHT_TO_LEFT = LANGUAGE_CODES.filter((code) => directionOf(code) === 'rtl');

/** Lines of a language's help articles and policies, each with where it is; front matter keys and link targets left out. */
function markdownLines(language: string, kinds = ['help', 'policies']): { where: string; text: string }[] {
  const lines: { where: string; text: string }[] = [];
  for (const kind of kinds) {
    const dir = join(CONTENT, kind, language);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.md')).sort()) {
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          const text = line
            .replace(/^(order|updated):.*/, '') // front matter the page formats itself
            .replace(/^(title|summary|related|keywords):\s*/, '') // front matter: the value only
            .replace(/\]\([^)]*\)/g, ']') // link targets
            .replace(/\{#[\w-]+\}/g, ''); // heading ids
          lines.push({ where: `content/${kind}/${language}/${file}:${index + 1}`, text });
        });
    }
  }
  return lines;
}

/** A language's messages, each with its key. */
function messagesOf(language: Language): { where: string; text: string }[] {
  return [...catalogs.get(language)!].map(([key, text]) => ({ where: `${language} ${key}`, text }));
}

/** Web addresses and clock times are written the same in every language. */
const withoutAddressesAndTimes = (text: string) => text.replace(/https?:\/\/\S*/g, ' ').replace(/\b(\d{1,2}|HH):(\d{2}|MM)\b/g, ' ');

describe('plural forms', () => {
  /** The categories a language's counts fall into, each with its counts (0 to 10,000 covers every count a page shows). */
  function categoriesOf(language: string): Map<string, number[]> {
    const rules = new Intl.PluralRules(language);
    const found = new Map<string, number[]>();
    for (let n = 0; n <= 10_000; n++) found.set(rules.select(n), [...(found.get(rules.select(n)) ?? []), n]);
    return found;
  }

  /** A category is covered by its own form, or by exact forms (=0) for every count in it. */
  function missingForms(elements: MessageFormatElement[], needed: Map<string, number[]>, found: string[] = []): string[] {
    for (const element of elements) {
      if (element.type === TYPE.plural && element.pluralType !== 'ordinal') {
        const missing = [...needed].filter(([category, counts]) => !(category in element.options) && !counts.every((n) => `=${n}` in element.options)).map(([category]) => category);
        if (missing.length) found.push(`{${element.value}} lacks ${missing.join(', ')}`);
      }
      if (element.type === TYPE.plural || element.type === TYPE.select) for (const option of Object.values(element.options)) missingForms(option.value, needed, found);
      if (element.type === TYPE.tag) missingForms(element.children, needed, found);
    }
    return found;
  }

  it.each(LANGUAGE_CODES)('every count in %s has each plural form the language has', (language) => {
    const needed = categoriesOf(language);
    expect(needed.has('other')).toBe(true);
    const wrong = messagesOf(language).flatMap(({ where, text }) => missingForms(parse(text, { ignoreTag: false }), needed).map((m) => `${where}: ${m}`));
    expect(wrong).toEqual([]);
  });
});

describe('right-to-left languages', () => {
  /** The text outside isolates (U+2066/2067/2068 … U+2069): what the bidirectional algorithm may reorder. */
  function outsideIsolates(text: string): string {
    let out = '';
    let depth = 0;
    for (const ch of text) {
      if (ch === '\u2066' || ch === '\u2067' || ch === '\u2068') depth++;
      else if (ch === '\u2069') depth = Math.max(0, depth - 1);
      else out += depth === 0 ? ch : '';
    }
    return out;
  }

  /**
   * Left-to-right runs that right-to-left text would scramble: digit groups joined by spaces or
   * punctuation ("+44 7700 900982", "28 4 1986", "123-45-6789"), a leading plus, and Latin codes
   * joined to digits ("I-551", "W-2", "9XX-XX-XXXX").
   */
  const SCRAMBLED = [/\d[ \u00a0.\-/–]+\d/, /\+\d/, /[A-Za-z]+-[\dX]|\d-[A-Za-z]/];

  /** Values that hold phone numbers, addresses, codes and masked numbers. */
  const LEFT_TO_RIGHT_VALUES = ['digits', 'last4', 'code', 'reference', 'recipient', 'email', 'phone', 'hint', 'example', 'masked'];

  /** Text messages leave out invisible marks: phones that lack them show boxes, and a code must copy cleanly. */
  const TEXT_MESSAGES = /^(mfa\.sms\.|documents\.capture\.sms$|call\.email\.reminder\.text)/;

  it.each(RIGHT_TO_LEFT)('%s isolates every left-to-right run of its messages (numbers, codes, phone numbers, addresses)', (language) => {
    const found: string[] = [];
    for (const { where, text } of messagesOf(language)) {
      if (TEXT_MESSAGES.test(where.split(' ')[1])) continue;
      const outside = outsideIsolates(text);
      const literal = withoutAddressesAndTimes(outside.replace(/\{[^{}]*\}/g, ' '));
      for (const pattern of SCRAMBLED) {
        const match = pattern.exec(literal);
        if (match) found.push(`${where}: "${match[0]}"`);
      }
      for (const [, name] of outside.matchAll(/\{(\w+)\}/g)) if (LEFT_TO_RIGHT_VALUES.includes(name)) found.push(`${where}: {${name}}`);
    }
    expect(found).toEqual([]);
  });

  it.each(RIGHT_TO_LEFT)('%s isolates every left-to-right run of its help articles and policies', (language) => {
    const found: string[] = [];
    for (const { where, text } of markdownLines(language)) {
      const literal = withoutAddressesAndTimes(outsideIsolates(text));
      for (const pattern of SCRAMBLED) {
        const match = pattern.exec(literal);
        if (match) found.push(`${where}: "${match[0]}"`);
      }
    }
    expect(found).toEqual([]);
  });
});

describe('French punctuation', () => {
  /** Before : ; ? ! and inside « », French sets a narrow no-break space (U+202F), so the mark never starts a line. */
  function spacingErrors(text: string): string[] {
    const t = withoutAddressesAndTimes(text).replace(/<!--|-->/g, ' ');
    const errors: string[] = [];
    for (const m of t.matchAll(/(.?)([:;?!])/gu)) if (m[1] !== '\u202f') errors.push(`"${m[1]}${m[2]}"`);
    for (const m of t.matchAll(/«(.?)/gu)) if (m[1] !== '\u202f') errors.push(`"«${m[1]}"`);
    for (const m of t.matchAll(/(.?)»/gu)) if (m[1] !== '\u202f') errors.push(`"${m[1]}»"`);
    return errors;
  }

  it('sets a narrow no-break space before : ; ? ! and inside « » in every message, help article and policy', () => {
    const texts = [...messagesOf('fr' as Language), ...markdownLines('fr')];
    expect(texts.length).toBeGreaterThan(1000);
    const found = texts.flatMap(({ where, text }) => spacingErrors(text).map((e) => `${where}: ${e}`));
    expect(found).toEqual([]);
  });
});

describe('Spanish punctuation', () => {
  /** Each ? and ! closes a question or exclamation that an ¿ or ¡ opened before it, in the same line. */
  function unopened(text: string): string[] {
    const t = withoutAddressesAndTimes(text);
    const open = { '?': 0, '!': 0 };
    const errors: string[] = [];
    for (const ch of t) {
      if (ch === '¿') open['?']++;
      else if (ch === '¡') open['!']++;
      else if (ch === '\n') open['?'] = open['!'] = 0;
      else if (ch === '?' || ch === '!') {
        if (open[ch] > 0) open[ch]--;
        else errors.push(`"${ch}" without "${ch === '?' ? '¿' : '¡'}"`);
      }
    }
    return errors;
  }

  it('opens every question with ¿ and every exclamation with ¡', () => {
    const texts = [...messagesOf('es' as Language), ...markdownLines('es')];
    expect(texts.length).toBeGreaterThan(1000);
    const found = texts.flatMap(({ where, text }) => unopened(text).map((e) => `${where}: ${e}`));
    expect(found).toEqual([]);
  });
});

describe('labels quoted in help articles', () => {
  const english = catalogs.get('en')!;
  /** English message text → the keys that say it, so a label quoted in English names its messages. */
  const keysByText = new Map<string, string[]>();
  for (const [key, text] of english) keysByText.set(text.trim(), [...(keysByText.get(text.trim()) ?? []), key]);

  /** Bold words that happen to equal a Referee label but name something else. */
  const NOT_OUR_LABELS = [{ article: 'joining-the-video-call.md', label: 'Allow', why: 'the browser’s own permission button' }];

  const bare = (s: string) => s.replace(/[\u2066-\u2069\u200e\u200f]/g, '').trim().toLocaleLowerCase();
  const articles = readdirSync(join(CONTENT, 'help', 'en')).filter((f) => f.endsWith('.md'));

  it.each(LANGUAGE_CODES.filter((code) => code !== 'en'))('%s help articles quote each screen label as that language’s screen shows it', (language) => {
    const translated = catalogs.get(language)!;
    const found: string[] = [];
    for (const article of articles) {
      const path = join(CONTENT, 'help', language, article);
      if (!existsSync(path)) continue;
      const text = readFileSync(path, 'utf8');
      const quoted = new Set([...text.matchAll(/\*\*([^*]+)\*\*|«\s*([^»]+?)\s*»|“([^”]+)”|"([^"\n]+)"/g)].map((m) => bare(m[1] ?? m[2] ?? m[3] ?? m[4])));
      for (const [, label] of readFileSync(join(CONTENT, 'help', 'en', article), 'utf8').matchAll(/\*\*([^*]+)\*\*/g)) {
        const keys = keysByText.get(label.trim());
        if (!keys || NOT_OUR_LABELS.some((n) => n.article === article && n.label === label)) continue;
        const wanted = [...new Set(keys.map((key) => translated.get(key)).filter((t): t is string => !!t))];
        if (!wanted.some((w) => quoted.has(bare(w)))) found.push(`content/help/${language}/${article}: "${label}" should be quoted as ${wanted.map((w) => `"${w}"`).join(' or ')}`);
      }
    }
    expect(found).toEqual([]);
  });
});
