import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config';
import { PROJECT_ROOT } from '../config/paths';
import { renderMarkdown, type Heading } from './markdown';
import { indexText, type IndexedText } from './search';
import { ENDED_LINK_GRACE_DAYS, ENDED_SESSION_GRACE_HOURS, UNFINISHED_CASE_WARNING_DAYS } from '../jobs/retention-periods';
import { LIFETIMES } from '../oidc/lifetimes';

/**
 * The help centre's articles and the published policies: Markdown files under
 * content/help/<language>/ and content/policies/<language>/, one file per page, its name
 * the page's address (/help/<slug>, /policies/<slug>).
 *
 * English (`en`) is the reference: its files decide which pages exist, their order and
 * their related articles. Another language is a folder of the same files translated, with
 * the same section ids; a page it lacks is shown in English with a note (and `missing()`
 * lists it, which the tests forbid). Pages are shown in the reader's language (the page's,
 * see LanguageResolver).
 *
 * A file starts with a small header, then Markdown:
 *
 *     ---
 *     title: Joining the video call
 *     summary: One sentence for lists and search results.
 *     order: 3                   (English only: position in the list)
 *     related: appointments, itin (English only: slugs of related articles)
 *     updated: 2026-11-26        (policies: date of the last change)
 *     ---
 *
 * `{{ name }}` in the text is replaced by a value of the running configuration (see
 * contentVariables), so a policy shows what the system actually does.
 */

export const CONTENT_DIR = join(PROJECT_ROOT, 'content');
export const REFERENCE_LANGUAGE = 'en';
export type ContentKind = 'article' | 'policy';

const FOLDERS: Record<ContentKind, string> = { article: 'help', policy: 'policies' };
const URL_PREFIX: Record<ContentKind, string> = { article: '/help/', policy: '/policies/' };
const LANGUAGE = /^[a-z]{2,3}(-[A-Z][A-Za-z]{1,3})?$/;
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const RIGHT_TO_LEFT = new Set(['ar', 'dv', 'fa', 'he', 'ku', 'ps', 'ur', 'yi']);
const HEADER_KEYS = new Set(['title', 'summary', 'order', 'related', 'updated']);
/** Pages under /help that are not articles (a slug may not take their address). */
export const HELP_ROUTES = new Set(['search', 'report-fraud']);
/** Element ids the page around the content uses: a heading may not take them. */
const PAGE_IDS = new Set(['main-content', 'article-title', 'policy-title', 'on-this-page', 'related-articles', 'still-need-help', 'session-timeout', 'session-timeout-heading', 'in-english', 'learn-more-heading']);

export interface ContentDoc {
  kind: ContentKind;
  slug: string;
  /** The language this copy is written in (English when the requested one lacks it). */
  lang: string;
  dir: 'ltr' | 'rtl';
  url: string;
  title: string;
  summary: string;
  updated?: string;
  order: number;
  related: string[];
  html: string;
  headings: Heading[];
  links: string[];
  index: IndexedText;
}

export class ContentError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

/** The values `{{ name }}` may use in content files: all from configuration. */
export function contentVariables(config: Config): Record<string, string> {
  return {
    documentRetentionDays: String(config.retention.documentDays),
    recordingRetentionDays: String(config.retention.recordingDays),
    auditRetentionYears: String(config.retention.auditYears),
    supportRetentionDays: String(config.retention.supportDays),
    outboxRetentionHours: String(config.retention.outboxHours),
    unfinishedCaseDays: String(config.retention.unfinishedCaseDays),
    unfinishedCaseWarningDays: String(UNFINISHED_CASE_WARNING_DAYS),
    endedSessionDays: String(ENDED_SESSION_GRACE_HOURS / 24),
    endedLinkDays: String(ENDED_LINK_GRACE_DAYS),
    consentDays: String(LIFETIMES.Grant / 86_400),
    accountDeletionWaitHours: String(config.accountDeletionWaitHours),
  };
}

interface ParsedFile {
  header: Record<string, string>;
  body: string;
}

function parseFile(file: string, source: string): ParsedFile {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(source);
  if (!match) throw new ContentError(file, 'must start with a header between two lines of ---');
  const header: Record<string, string> = {};
  for (const line of match[1].split(/\r?\n/)) {
    if (!line.trim()) continue;
    const pair = /^([a-z]+):\s*(.*?)\s*$/.exec(line);
    if (!pair || !HEADER_KEYS.has(pair[1])) throw new ContentError(file, `header line not understood: "${line}"`);
    if (pair[1] in header) throw new ContentError(file, `header "${pair[1]}" appears twice`);
    header[pair[1]] = pair[2];
  }
  for (const key of ['title', 'summary']) if (!header[key]) throw new ContentError(file, `header "${key}" is missing`);
  return { header, body: match[2] };
}

function substitute(file: string, body: string, variables: Record<string, string>): string {
  return body.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (_, name: string) => {
    if (!(name in variables)) throw new ContentError(file, `unknown placeholder {{ ${name} }} (known: ${Object.keys(variables).join(', ')})`);
    return variables[name];
  });
}

/** Every language folder under content/help (English must be there). */
export function contentLanguages(root = CONTENT_DIR): string[] {
  const dir = join(root, FOLDERS.article);
  const languages = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];
  for (const lang of languages) if (!LANGUAGE.test(lang)) throw new ContentError(join(dir, lang), 'a language folder must be named by its language tag, like en, es or pt-BR');
  if (!languages.includes(REFERENCE_LANGUAGE)) throw new ContentError(dir, `the reference language folder "${REFERENCE_LANGUAGE}" is missing`);
  return [REFERENCE_LANGUAGE, ...languages.filter((l) => l !== REFERENCE_LANGUAGE).sort()];
}

/**
 * All content, read and rendered once at start. A malformed file (no title, an unknown
 * placeholder, a second top-level heading, a link to a page or section that does not exist)
 * stops the start with the file's name: content errors are found before anyone reads them.
 */
export class HelpContent {
  readonly languages: string[];
  private readonly docs = new Map<string, ContentDoc>(); // `${lang}:${kind}:${slug}`
  private readonly slugs: Record<ContentKind, string[]> = { article: [], policy: [] };

  constructor(variables: Record<string, string>, root = CONTENT_DIR) {
    this.languages = contentLanguages(root);
    const policyDir = join(root, FOLDERS.policy);
    for (const lang of existsSync(policyDir) ? readdirSync(policyDir) : []) {
      if (!this.languages.includes(lang)) throw new ContentError(join(policyDir, lang), `has no help articles: add content/help/${lang} too`);
    }
    for (const kind of ['article', 'policy'] as ContentKind[]) {
      for (const lang of this.languages) {
        const dir = join(root, FOLDERS[kind], lang);
        if (!existsSync(dir)) continue;
        for (const name of readdirSync(dir).sort()) {
          if (!name.endsWith('.md')) continue;
          const slug = name.slice(0, -3);
          const file = join(dir, name);
          if (!SLUG.test(slug) || (kind === 'article' && HELP_ROUTES.has(slug))) throw new ContentError(file, 'the file name must be a plain slug (lower case letters, digits and hyphens), not a reserved page');
          if (lang !== REFERENCE_LANGUAGE && !this.docs.has(this.key(REFERENCE_LANGUAGE, kind, slug))) {
            throw new ContentError(file, `has no English original (${FOLDERS[kind]}/${REFERENCE_LANGUAGE}/${name})`);
          }
          this.docs.set(this.key(lang, kind, slug), this.load(file, kind, slug, lang, variables));
        }
      }
      const english = [...this.docs.values()].filter((d) => d.kind === kind && d.lang === REFERENCE_LANGUAGE);
      english.sort((a, b) => a.order - b.order || a.title.localeCompare(b.title));
      this.slugs[kind] = english.map((d) => d.slug);
    }
    this.checkReferences();
  }

  private key(lang: string, kind: ContentKind, slug: string) {
    return `${lang}:${kind}:${slug}`;
  }

  private load(file: string, kind: ContentKind, slug: string, lang: string, variables: Record<string, string>): ContentDoc {
    const { header, body } = parseFile(file, readFileSync(file, 'utf8'));
    const rendered = renderMarkdown(substitute(file, body, variables));
    const top = rendered.headings.find((h) => h.depth === 1);
    if (top) throw new ContentError(file, `the page's title comes from the header; the body starts at ## (found "# ${top.text}")`);
    const clash = rendered.headings.find((h) => PAGE_IDS.has(h.id));
    if (clash) throw new ContentError(file, `the heading "${clash.text}" takes the id #${clash.id}, which the page itself uses: give it another {#id}`);
    const english = lang === REFERENCE_LANGUAGE ? undefined : this.docs.get(this.key(REFERENCE_LANGUAGE, kind, slug));
    // "Learn more" links and links between pages point at sections by id: a translation keeps them all.
    const lost = english?.headings.find((h) => !rendered.headings.some((t) => t.id === h.id));
    if (lost) throw new ContentError(file, `has no section #${lost.id} ("${lost.text}" in English): end the translated heading with {#${lost.id}}`);
    const order = english ? english.order : header.order ? Number(header.order) : 1000;
    if (!Number.isInteger(order)) throw new ContentError(file, 'header "order" must be a whole number');
    const related = english ? english.related : (header.related ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (header.updated && !/^\d{4}-\d{2}-\d{2}$/.test(header.updated)) throw new ContentError(file, 'header "updated" must be a date like 2026-11-26');
    return {
      kind,
      slug,
      lang,
      dir: RIGHT_TO_LEFT.has(lang.split('-')[0]) ? 'rtl' : 'ltr',
      url: URL_PREFIX[kind] + slug,
      title: header.title,
      summary: header.summary,
      updated: header.updated,
      order,
      related,
      html: rendered.html,
      headings: rendered.headings,
      links: rendered.links,
      index: indexText(header.title, header.summary, rendered.text),
    };
  }

  /** Related articles and links to /help/… and /policies/… (with their #section) must exist. */
  private checkReferences() {
    for (const doc of this.docs.values()) {
      const file = `content/${FOLDERS[doc.kind]}/${doc.lang}/${doc.slug}.md`;
      for (const slug of doc.related) {
        if (!this.slugs.article.includes(slug)) throw new ContentError(file, `related article "${slug}" does not exist`);
      }
      for (const href of doc.links) {
        const problem = this.linkProblem(href, doc.lang, doc);
        if (problem) throw new ContentError(file, `link ${href}: ${problem}`);
      }
    }
  }

  /** Why an internal link to a help page or policy would not work in this language, if it would not. */
  linkProblem(href: string, lang: string, from?: ContentDoc): string | undefined {
    const [pathAndQuery, anchor] = href.split('#', 2);
    const path = pathAndQuery.split('?')[0];
    let target: ContentDoc | undefined;
    if (path === '' && from) target = from;
    else if (path === '/help' || path === '/policies' || (path.startsWith('/help/') && HELP_ROUTES.has(path.slice(6)))) return undefined;
    else if (path.startsWith('/help/')) target = this.find('article', path.slice(6), lang);
    else if (path.startsWith('/policies/')) target = this.find('policy', path.slice(10), lang);
    else return undefined; // another part of Referee: the tests open those
    if (!target) return 'no such page';
    if (anchor && !target.headings.some((h) => h.id === anchor)) return `no section #${anchor} in ${target.url} (${target.lang})`;
    return undefined;
  }

  /** The page in this language, or in English when it is not translated yet. */
  find(kind: ContentKind, slug: string, lang = REFERENCE_LANGUAGE): ContentDoc | undefined {
    if (!SLUG.test(slug)) return undefined;
    return this.docs.get(this.key(lang, kind, slug)) ?? this.docs.get(this.key(REFERENCE_LANGUAGE, kind, slug));
  }

  /** Every page of a kind, in order, in this language (English where not translated). */
  list(kind: ContentKind, lang = REFERENCE_LANGUAGE): ContentDoc[] {
    return this.slugs[kind].map((slug) => this.find(kind, slug, lang)!);
  }

  /** Pages that a language lacks ("help/slug", "policies/slug"), of one kind or both: none is the rule. */
  missing(lang: string, only?: ContentKind): string[] {
    return (only ? [only] : (['article', 'policy'] as ContentKind[])).flatMap((kind) =>
      this.slugs[kind].filter((slug) => !this.docs.has(this.key(lang, kind, slug))).map((slug) => `${FOLDERS[kind]}/${slug}`),
    );
  }
}
