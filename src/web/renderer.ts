import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import nunjucks from 'nunjucks';
import { CONFIG, type Config } from '../config/config';
import { VIEWS_DIR } from '../config/paths';
import { formatDate, formatDuration, formatNumber, type DateStyle } from '../i18n/formats';
import { LanguageResolver } from '../i18n/language';
import { directionOf, LANGUAGES, type Language } from '../i18n/languages';
import { Messages, TrustedHtml, type Text } from '../i18n/messages';
import { Csrf } from './csrf';
import type { WebRequest } from './request';
import { Redirect, View } from './view';


/** A rendered page, ready for the HTTP adapter to send with its own status. */
export class RenderedPage {
  constructor(readonly html: string, readonly status: number) {}
}

/**
 * Renders views. The one place that decides full page or fragment: an htmx request
 * (HX-Request without HX-Boosted) gets the page's main content only; everything else
 * the whole document.
 */
@Injectable()
export class Renderer {
  /**
   * One environment a language, built once: its `t` and formats are bound to that language,
   * so a page's language goes with its render and nothing is held between calls. Each has
   * its own loader, as compiled templates belong to the environment that compiled them.
   */
  private readonly envs: ReadonlyMap<Language, nunjucks.Environment>;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly csrf: Csrf,
    private readonly messages: Messages,
    private readonly languages: LanguageResolver,
  ) {
    this.envs = new Map(LANGUAGES.map(({ code }) => [code, this.environmentFor(code)]));
  }

  private environmentFor(language: Language): nunjucks.Environment {
    const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: false }), {
      autoescape: true,
      throwOnUndefined: false,
    });
    env.addGlobal('devOutbox', this.config.env !== 'production');
    env.addFilter('linkify', linkify);
    // Every word on a page comes from the catalogs in the page's language (content/messages).
    env.addGlobal('t', (text: Text | nunjucks.runtime.SafeString | undefined, values?: Record<string, unknown>) => {
      if (text === undefined || text === null || text === '') return ''; // `{% if %}` must see nothing as false
      if (text instanceof nunjucks.runtime.SafeString) return text; // already translated by the caller
      return new nunjucks.runtime.SafeString(this.messages.html(language, text, values && trustMarkup(values)));
    });
    env.addGlobal('formatDuration', (value: number, unit: 'minute' | 'second' | 'hour' | 'day') => formatDuration(language, value, unit));
    env.addGlobal('formatDate', (value: Date | string, style?: DateStyle, timeZone?: string) => formatDate(language, value, style, timeZone));
    env.addGlobal('formatNumber', (value: number, digits?: number) => formatNumber(language, value, digits));
    env.addGlobal('siteLanguages', LANGUAGES);
    return env;
  }

  /** Lets a module offer every page a value or a function (e.g. the help centre's "Learn more" links). */
  addGlobal(name: string, value: unknown): void {
    for (const env of this.envs.values()) env.addGlobal(name, value);
  }

  isFragmentRequest(req: WebRequest): boolean {
    return req.headers['hx-request'] === 'true' && req.headers['hx-boosted'] !== 'true';
  }

  render(req: WebRequest, view: View): RenderedPage {
    const language = this.languages.of(req);
    const context = {
      ...view.context,
      layout: this.isFragmentRequest(req) ? 'layouts/fragment.njk' : 'layouts/base.njk',
      csrfToken: req.browserKey ? this.csrf.tokenFor(req.browserKey) : '',
      viewer: req.viewer,
      sessionIdleSeconds: req.viewer ? this.config.sessionIdleMinutes * 60 : undefined,
      currentPath: req.path,
      pageAddress: req.method === 'GET' ? req.originalUrl : req.path,
      language,
      dir: directionOf(language),
    };
    return new RenderedPage(this.envs.get(language)!.render(`${view.template}.njk`, context), view.status);
  }
}

/** Values a template marked `| safe` (markup it built) go into a message unescaped; all others are escaped. */
function trustMarkup(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) out[name] = value instanceof nunjucks.runtime.SafeString ? new TrustedHtml(String(value)) : value;
  return out;
}

/** Escapes text and makes its http(s) links clickable (the development outbox). */
export function linkify(text: string): nunjucks.runtime.SafeString {
  const escaped = (nunjucks.lib as unknown as { escape(s: string): string }).escape(String(text ?? ''));
  return new nunjucks.runtime.SafeString(escaped.replace(/https?:\/\/[^\s<]+/g, (url: string) => `<a class="usa-link" href="${url}">${url}</a>`));
}

/** Sends a page with its own status, or a redirect as 303 See Other. Pages may hold personal data: never cached. */
export function sendPage(res: Response, result: RenderedPage | Redirect): void {
  res.setHeader('Vary', 'HX-Request');
  res.setHeader('Cache-Control', 'no-store');
  const req = res.req;
  if (result instanceof Redirect && req?.method === 'GET' && req.headers['hx-request'] === 'true') {
    // A part of a page refreshing itself (a queue's "every 15s") was sent elsewhere: the state
    // moved on (the call is ready, the session ended), so the whole page goes there.
    res.setHeader('HX-Redirect', result.location);
    res.status(200).end();
    return;
  }
  if (result instanceof Redirect) return res.redirect(303, result.location);
  // Encoded once, without Express's send() (which would also hash it for an ETag): the
  // length is the buffer's, not a second pass over the string.
  const body = Buffer.from(result.html, 'utf8');
  res.status(result.status).setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
