import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config/paths';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGE_CODES } from '../src/i18n/languages';
import { readCatalogs } from '../src/i18n/messages';

/**
 * Each language's glossary (content/glossary/<lang>.json) says which words we use for the
 * product's concepts and which variants a native reader would find wrong. These tests hold
 * every message, help article and policy of that language to it.
 */
interface Term {
  en: string;
  use: string;
  forbidden: string[];
  note?: string;
}
interface Glossary {
  language: string;
  register: string;
  terms: Term[];
}

const CONTENT = join(PROJECT_ROOT, 'content');
const GLOSSARY_DIR = join(CONTENT, 'glossary');

/** The concepts every glossary must settle, each found by what its English side says. */
const REQUIRED: { concept: string; en: RegExp }[] = [
  { concept: 'Social Security number (SSN)', en: /\bSSN\b|social security/i },
  { concept: 'ITIN', en: /\bITIN\b/ },
  { concept: 'FCRA', en: /\bFCRA\b|fair credit reporting/i },
  { concept: 'primary document', en: /\bprimary\b/i },
  { concept: 'secondary document', en: /\bsecondary\b/i },
  { concept: 'supporting document', en: /\bsupporting\b/i },
  { concept: 'review', en: /\breview\b/i },
  { concept: 'reviewer', en: /\breviewer\b/i },
  { concept: 'agent (our staff member)', en: /\bagent\b/i },
  { concept: 'Trusted Referee', en: /\btrusted referee\b/i },
  { concept: 'helper', en: /\bhelper\b/i },
  { concept: 'interpreter', en: /\binterpreter\b/i },
  { concept: 'queue', en: /\bqueue\b/i },
  { concept: 'appointment', en: /\bappointment\b/i },
  { concept: 'sign-in method', en: /\bsign-in method\b/i },
  { concept: 'second factor', en: /\bsecond factor\b/i },
  { concept: 'organization', en: /\borgani[sz]ation\b/i },
  { concept: 'support', en: /\bsupport\b/i },
  { concept: 'expired', en: /\bexpired?\b/i },
  { concept: 'Enter …', en: /^enter\b/i },
];

/** A forbidden entry is a plain substring (any case), or a regular expression written as "/…/". */
function matcher(entry: string): (text: string) => boolean {
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(entry);
  if (regex) {
    const pattern = new RegExp(regex[1], `${regex[2].replace(/[giu]/g, '')}iu`);
    return (text) => pattern.test(text);
  }
  const lower = entry.toLowerCase();
  return (text) => text.toLowerCase().includes(lower);
}

/** Every piece of text of one language, each with where it lives. */
function textsOf(language: string, catalogs: ReturnType<typeof readCatalogs>): { where: string; text: string }[] {
  const texts: { where: string; text: string }[] = [];
  if (isLanguage(language)) {
    for (const [key, text] of catalogs.get(language)!) {
      const area = key.split('.')[0];
      texts.push({ where: `content/messages/${language}/${area}.json ${key}`, text });
    }
  }
  for (const kind of ['help', 'policies']) {
    const dir = join(CONTENT, kind, language);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.md')).sort()) {
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .forEach((line, index) => texts.push({ where: `content/${kind}/${language}/${file}:${index + 1}`, text: line }));
    }
  }
  return texts;
}

const glossaryFiles = existsSync(GLOSSARY_DIR) ? readdirSync(GLOSSARY_DIR).filter((f) => f.endsWith('.json')).sort() : [];

describe('glossaries', () => {
  const catalogs = readCatalogs();

  it('every language but English has one (a new language brings its glossary)', () => {
    expect(glossaryFiles).toEqual(LANGUAGE_CODES.filter((code) => code !== DEFAULT_LANGUAGE).map((code) => `${code}.json`).sort());
  });

  describe.each(glossaryFiles)('%s', (file) => {
    const glossary = JSON.parse(readFileSync(join(GLOSSARY_DIR, file), 'utf8')) as Glossary;

    it('is for the language its file is named after, in a language Referee speaks', () => {
      expect(glossary.language).toBe(file.slice(0, -'.json'.length));
      expect(isLanguage(glossary.language)).toBe(true);
      expect(glossary.register).toEqual(expect.any(String));
    });

    it('settles every concept the product names', () => {
      const missing = REQUIRED.filter(({ en }) => !glossary.terms.some((term) => en.test(term.en) && term.use.trim() !== '')).map((r) => r.concept);
      expect(missing).toEqual([]);
    });

    it('no message, help article or policy of that language uses a forbidden variant', () => {
      const texts = textsOf(glossary.language, catalogs);
      expect(texts.length).toBeGreaterThan(100);
      const found: string[] = [];
      for (const term of glossary.terms) {
        for (const entry of term.forbidden) {
          const matches = matcher(entry);
          for (const { where, text } of texts) if (matches(text)) found.push(`${where}: "${entry}" (use "${term.use}")`);
        }
      }
      expect(found).toEqual([]);
    });
  });
});
