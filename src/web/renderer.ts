import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import nunjucks from 'nunjucks';
import { CONFIG, type Config } from '../config/config';
import { VIEWS_DIR } from '../config/paths';
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
  private readonly env: nunjucks.Environment;

  constructor(@Inject(CONFIG) private readonly config: Config, private readonly csrf: Csrf) {
    this.env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: false }), {
      autoescape: true,
      throwOnUndefined: false,
    });
    this.env.addGlobal('devOutbox', config.env !== 'production');
    this.env.addFilter('linkify', linkify);
  }

  /** Lets a module offer every page a value or a function (e.g. the help centre's "Learn more" links). */
  addGlobal(name: string, value: unknown): void {
    this.env.addGlobal(name, value);
  }

  isFragmentRequest(req: WebRequest): boolean {
    return req.headers['hx-request'] === 'true' && req.headers['hx-boosted'] !== 'true';
  }

  render(req: WebRequest, view: View): RenderedPage {
    const context = {
      ...view.context,
      layout: this.isFragmentRequest(req) ? 'layouts/fragment.njk' : 'layouts/base.njk',
      csrfToken: req.browserKey ? this.csrf.tokenFor(req.browserKey) : '',
      viewer: req.viewer,
      sessionIdleSeconds: req.viewer ? this.config.sessionIdleMinutes * 60 : undefined,
      currentPath: req.path,
    };
    return new RenderedPage(this.env.render(`${view.template}.njk`, context), view.status);
  }
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
  if (result instanceof Redirect) return res.redirect(303, result.location);
  // The string as it is: Express's send() would first copy every page into a new Buffer.
  res.status(result.status).setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(result.html));
  res.end(result.html);
}
