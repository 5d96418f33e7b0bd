/**
 * Search over the help centre, on the server (the search box is a plain GET form, so it
 * works without JavaScript). The content is a few dozen pages held in memory: a scan of
 * pre-split words is faster than any index would need to be.
 *
 * Words are compared folded (lower case, accents removed: "cafe" finds "café"; Arabic
 * without vowel marks, with one form of alef and without the article "ال") and by prefix
 * from three letters ("interpret" finds "interpreters"). A page ranks by how many of the
 * query's words it has, then by where: the title counts most, then the summary, then the
 * body. Pages are searched in the reader's language, and its filler words are ignored.
 */

export interface Word {
  folded: string;
  start: number;
  end: number;
}

export interface IndexedText {
  title: string[];
  summary: string[];
  body: string;
  bodyWords: Word[];
}

export interface ExcerptPart {
  text: string;
  match: boolean;
}

export interface SearchHit<T> {
  doc: T;
  score: number;
  /** A piece of the body around the first match, the matching words marked. */
  excerpt: ExcerptPart[];
}

export const MAX_QUERY_LENGTH = 200;
const MAX_TERMS = 12;
const EXCERPT_BEFORE = 80;
const EXCERPT_LENGTH = 240;

export function fold(word: string): string {
  return foldArabic(word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase());
}

/**
 * Arabic is written with or without its marks (removed above, with the hamza of أ إ آ),
 * with ى or ي and ة or ه at a word's end, and with the article (ال, also after و ب ك ف ل)
 * joined to the word: "الجواز" should find "جواز". Only Arabic letters are touched.
 */
function foldArabic(word: string): string {
  if (!/[\u0600-\u06FF]/.test(word)) return word;
  const plain = word.replace(/\u0640/g, '').replace(/ى/g, 'ي').replace(/ة/g, 'ه');
  return plain.replace(/^(?:[وبكف]?ال|لل)(?=\p{L}{3})/u, '');
}

/** Words too common to tell pages apart, per language, folded like the text they are compared with. */
const STOP_WORDS: Record<string, Set<string>> = Object.fromEntries(
  Object.entries({
    en: 'a an and are as at be by can do does for from how i if in is it me my of on or so that the this to was what when where which who why will with you your',
    es: 'a al como con cual cuando de del donde el en es esta este esto hay la las le lo los me mi mis no o para pero por puedo que se si su sus te tengo tu un una uno y yo',
    fr: 'a au aux avec c ce ces comment d dans de des du elle en est et il j je l la le les leur ma mes mon n ne ni nous on ou par pas pour qu que qui quoi s sa se ses si son sur ta te tes ton tu un une vos votre vous y',
    ar: 'في من الى على عن مع هل ما ماذا كيف اين متى لا ان او هذا هذه ذلك التي الذي هو هي انا لدي لي',
  }).map(([lang, list]) => [lang, new Set(list.split(' ').map(fold))]),
);

function words(text: string): Word[] {
  // Marks belong to their word (Arabic vowel marks, decomposed accents).
  return [...text.matchAll(/[\p{L}\p{M}\p{N}]+/gu)].map((m) => ({ folded: fold(m[0]), start: m.index, end: m.index + m[0].length }));
}

export function indexText(title: string, summary: string, body: string): IndexedText {
  return { title: words(title).map((w) => w.folded), summary: words(summary).map((w) => w.folded), body, bodyWords: words(body) };
}

/** The query's distinct words, folded, without stop words (unless that leaves none). */
export function queryTerms(query: string, lang: string): string[] {
  const all = [...new Set(words(query.slice(0, MAX_QUERY_LENGTH)).map((w) => w.folded))];
  const stop = STOP_WORDS[lang.split('-')[0]];
  const useful = stop ? all.filter((t) => !stop.has(t)) : all;
  return (useful.length ? useful : all).slice(0, MAX_TERMS);
}

const matches = (word: string, term: string) => (term.length >= 3 ? word.startsWith(term) : word === term);

function excerpt(index: IndexedText, terms: string[]): ExcerptPart[] {
  const hits = index.bodyWords.filter((w) => terms.some((t) => matches(w.folded, t)));
  if (!hits.length) {
    const text = index.body.slice(0, EXCERPT_LENGTH);
    return [{ text: text + (index.body.length > EXCERPT_LENGTH ? '…' : ''), match: false }];
  }
  // From the start of a word some way before the first match, to the end of a word.
  let start = Math.max(0, hits[0].start - EXCERPT_BEFORE);
  if (start > 0) start = index.bodyWords.find((w) => w.start >= start)?.start ?? hits[0].start;
  let end = Math.min(index.body.length, start + EXCERPT_LENGTH);
  if (end < index.body.length) end = [...index.bodyWords].reverse().find((w) => w.end <= end)?.end ?? end;
  const parts: ExcerptPart[] = [];
  if (start > 0) parts.push({ text: '…', match: false });
  let at = start;
  for (const hit of hits) {
    if (hit.start < start || hit.end > end) continue;
    if (hit.start > at) parts.push({ text: index.body.slice(at, hit.start), match: false });
    parts.push({ text: index.body.slice(hit.start, hit.end), match: true });
    at = hit.end;
  }
  if (at < end) parts.push({ text: index.body.slice(at, end), match: false });
  if (end < index.body.length) parts.push({ text: '…', match: false });
  return parts;
}

export function search<T extends { index: IndexedText }>(docs: T[], query: string, lang: string): SearchHit<T>[] {
  const terms = queryTerms(query, lang);
  if (!terms.length) return [];
  const ranked: (SearchHit<T> & { found: number; position: number })[] = [];
  docs.forEach((doc, position) => {
    let found = 0;
    let score = 0;
    for (const term of terms) {
      const inTitle = doc.index.title.some((w) => matches(w, term));
      const inSummary = doc.index.summary.some((w) => matches(w, term));
      const inBody = doc.index.bodyWords.filter((w) => matches(w.folded, term)).length;
      if (!inTitle && !inSummary && !inBody) continue;
      found++;
      score += (inTitle ? 10 : 0) + (inSummary ? 4 : 0) + Math.min(inBody, 5);
    }
    if (found) ranked.push({ doc, score, excerpt: [], found, position });
  });
  ranked.sort((a, b) => b.found - a.found || b.score - a.score || a.position - b.position);
  return ranked.map(({ doc, score }) => ({ doc, score, excerpt: excerpt(doc.index, terms) }));
}
