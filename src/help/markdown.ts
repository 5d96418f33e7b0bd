import { Marked, type Tokens } from 'marked';
import { escapeHtml } from '../i18n/messages';

/**
 * Markdown → HTML for Referee's own content files (help articles, policies), with `marked`.
 *
 * The files are ours, but they will be translated by others, so the output is kept to what
 * Markdown itself can say: raw HTML in a file is shown as text (never passed through), links
 * may only go to our own pages (/…, #…), https: or mailto:, and images are not supported.
 * Headings get ids for "Learn more" links: `## Title {#stable-id}` sets one that stays the
 * same in every language; otherwise it is made from the heading's text.
 */

export interface Heading {
  depth: number;
  id: string;
  text: string;
}

export interface RenderedMarkdown {
  html: string;
  /** Plain text of the whole body (for search). */
  text: string;
  headings: Heading[];
  /** Every link target, to check that internal links lead somewhere. */
  links: string[];
}

const EXPLICIT_ID = /\s*\{#([a-z][a-z0-9-]*)\}\s*$/;
const SAFE_LINK = /^(\/(?![/\\])|#|https:\/\/|mailto:)/i;

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };


/** Our own rendered HTML back to its text: tags removed, marked's entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e])
    .replace(/\s+/g, ' ')
    .trim();
}

/** An id from a heading's text: lower case letters and digits of any script, joined by hyphens. */
export function slugify(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu)
      ?.join('-') ?? 'section'
  );
}

export function renderMarkdown(source: string): RenderedMarkdown {
  const headings: Heading[] = [];
  const links: string[] = [];
  const used = new Set<string>();
  const marked = new Marked({
    gfm: true,
    async: false,
    walkTokens(token) {
      if (token.type !== 'heading') return;
      const heading = token as Tokens.Heading & { anchor?: string };
      const match = EXPLICIT_ID.exec(heading.text);
      if (!match) return;
      heading.anchor = match[1];
      heading.text = heading.text.slice(0, match.index);
      const last = heading.tokens[heading.tokens.length - 1] as Tokens.Text | undefined;
      if (last?.type === 'text') {
        last.text = last.text.replace(EXPLICIT_ID, '');
        last.raw = last.raw.replace(EXPLICIT_ID, '');
      }
    },
    renderer: {
      heading(token) {
        const inner = this.parser.parseInline(token.tokens);
        const text = htmlToText(inner);
        let id = (token as Tokens.Heading & { anchor?: string }).anchor ?? slugify(text);
        if (used.has(id)) {
          let n = 2;
          while (used.has(`${id}-${n}`)) n++;
          id = `${id}-${n}`;
        }
        used.add(id);
        headings.push({ depth: token.depth, id, text });
        return `<h${token.depth} id="${id}">${inner}</h${token.depth}>\n`;
      },
      html(token) {
        return escapeHtml(token.text);
      },
      link(token) {
        const inner = this.parser.parseInline(token.tokens);
        links.push(token.href);
        if (!SAFE_LINK.test(token.href)) return inner;
        const external = /^https:/i.test(token.href);
        const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
        return `<a class="usa-link${external ? ' usa-link--external' : ''}" href="${escapeHtml(token.href)}"${title}${external ? ' rel="noreferrer"' : ''}>${inner}</a>`;
      },
      image(token) {
        return escapeHtml(token.text);
      },
      table(token) {
        // Stacked on a narrow screen: each cell then shows its column's name (data-label).
        const labels = token.header.map((c) => escapeHtml(htmlToText(this.parser.parseInline(c.tokens))));
        const cell = (c: Tokens.TableCell, i: number, tag: 'th' | 'td', scope: string, label = true) =>
          `<${tag}${scope}${label ? ` data-label="${labels[i]}"` : ''}${c.align ? ` class="text-${c.align}"` : ''}>${this.parser.parseInline(c.tokens)}</${tag}>`;
        const head = `<tr>${token.header.map((c, i) => cell(c, i, 'th', ' scope="col"', false)).join('')}</tr>`;
        const rows = token.rows.map((row) => `<tr>${row.map((c, i) => (i === 0 ? cell(c, i, 'th', ' scope="row"') : cell(c, i, 'td', ''))).join('')}</tr>`).join('\n');
        return `<table class="usa-table usa-table--borderless usa-table--stacked">\n<thead>${head}</thead>\n<tbody>${rows}</tbody>\n</table>\n`;
      },
    },
  });
  const html = marked.parse(source) as string;
  return { html, text: htmlToText(html), headings, links };
}
