import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Text written straight into a template instead of coming from the catalogs: what is
 * left of a template once its comments, tags, expressions and markup are taken out, and
 * the words in attributes people read (aria-label, alt, title, placeholder, data-*-text).
 * Brand names and symbols are not words to translate.
 */
const NOT_WORDS = /\b(Referee|USWDS|htmx|Jitsi|OpenID|ITIN|SSN|W-2|IAL2|Trusted Referee)\b/g;
const READ_ATTRIBUTES = /\s(?:aria-label|alt|title|placeholder|data-[a-z-]*-text|aria-valuetext)="([^"]*)"/g;

export function untranslatedText(source: string): string[] {
  const found: string[] = [];
  let text = source
    .replace(/\{#[\s\S]*?#\}/g, ' ')
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/g, ' ');
  for (const match of text.matchAll(READ_ATTRIBUTES)) {
    const value = match[1].replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, ' ').replace(NOT_WORDS, ' ');
    if (/\p{L}{2,}/u.test(value)) found.push(match[0].trim());
  }
  text = text
    .replace(/\{\{[\s\S]*?\}\}/g, ' ')
    .replace(/\{%[\s\S]*?%\}/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/g, ' ')
    .replace(NOT_WORDS, ' ');
  for (const line of text.split('\n')) {
    const words = line.trim();
    if (/\p{L}{2,}/u.test(words)) found.push(words);
  }
  return found;
}

export function templatesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? templatesUnder(path) : name.endsWith('.njk') ? [path] : [];
  });
}

/** "views/identity/sign-in.njk: Sign in", one per piece of hard-coded text. */
export function untranslatedIn(dir: string, root: string): string[] {
  return templatesUnder(dir).flatMap((file) => untranslatedText(readFileSync(file, 'utf8')).map((text) => `${relative(root, file)}: ${text}`));
}
