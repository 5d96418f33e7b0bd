import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { LOGGER } from './tokens';
import { routeOf } from './logger';
import { Renderer, sendPage } from './renderer';
import type { WebRequest } from './request';
import { RedirectException } from './redirect.exception';
import { Redirect, view } from './view';
import { looksLikeKey, type Text } from '../i18n/messages';

/** Each status's page title (content/messages/<language>/errors.json). */
const TITLES: Record<number, string> = {
  400: 'errors.title.400',
  403: 'errors.title.403',
  404: 'errors.title.404',
  405: 'errors.title.404',
  409: 'errors.title.409',
  413: 'errors.title.413',
  415: 'errors.title.415',
  429: 'errors.title.429',
  503: 'errors.title.503',
  500: 'errors.title.500',
};

/** Connection errors of the pg driver and PostgreSQL's own "server is going away" codes. */
const DATABASE_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

export function isDatabaseUnavailable(error: unknown): boolean {
  type Cause = { code?: string; name?: string; message?: unknown; cause?: unknown } | undefined;
  for (let e = error as Cause, depth = 0; e && depth < 5; e = e.cause as Cause, depth++) {
    if (DATABASE_DOWN.has(e.code ?? '')) return true;
    if (e.name === 'ConnectionException') return true;
    if (typeof e.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message)) return true;
  }
  return false;
}

/**
 * Every error becomes a proper page with a plain explanation: never a stack trace,
 * never a framework's default body. Unexpected errors are logged, not shown.
 */
@Catch()
export class ErrorsFilter implements ExceptionFilter {
  constructor(private readonly renderer: Renderer, @Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost) {
    const http = host.switchToHttp();
    const req = http.getRequest<WebRequest>();
    const res = http.getResponse<Response>();
    if (error instanceof RedirectException) return sendPage(res, new Redirect(error.location));
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let message: Text = 'errors.tryLater';

    if (error instanceof HttpException) {
      status = error.getStatus();
      const body = error.getResponse();
      // An exception's message is a catalog key (and values); anything else is not shown.
      const text = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      const values = typeof body === 'object' ? (body as { values?: Record<string, unknown> }).values : undefined;
      if (typeof text === 'string' && looksLikeKey(text)) message = { key: text, values };
      else message = status === 404 || status === 405 ? 'errors.checkAddress' : status >= 500 ? 'errors.tryLater' : 'errors.goBack';
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
    } else if (isDatabaseUnavailable(error)) {
      status = HttpStatus.SERVICE_UNAVAILABLE;
      message = 'errors.databaseDown';
      res.setHeader('Retry-After', '5');
      this.logger.warn({ route: routeOf(req) }, 'database unavailable');
    } else {
      this.logger.error({ err: error, route: routeOf(req), method: req.method }, 'unhandled error');
    }

    if (res.headersSent) return;
    const title = TITLES[status] ?? (status < 500 ? TITLES[400] : TITLES[500]);
    try {
      sendPage(res, this.renderer.render(req, view('web/error', { title, message, status }, status)));
    } catch (renderError) {
      this.logger.error({ err: renderError }, 'error page failed to render');
      res.status(status).type('text').send(status >= 500 ? 'Referee is temporarily unavailable.' : 'Referee could not answer this request.');
    }
  }
}
