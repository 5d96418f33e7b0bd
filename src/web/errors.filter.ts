import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { LOGGER } from './tokens';
import { Renderer, sendPage } from './renderer';
import type { WebRequest } from './request';
import { RedirectException } from './redirect.exception';
import { Redirect, view } from './view';

const TITLES: Record<number, string> = {
  400: 'We could not read that request',
  403: 'You cannot do that here',
  404: 'Page not found',
  405: 'Page not found',
  413: 'That was too large',
  415: 'We cannot accept that kind of content',
  429: 'Too many attempts',
  503: 'Referee is temporarily unavailable',
  500: 'Something went wrong on our side',
};

/** Connection errors of the pg driver and PostgreSQL's own "server is going away" codes. */
const DATABASE_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: any = error, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (DATABASE_DOWN.has(e.code)) return true;
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
    let message = 'Please try again in a few minutes.';

    if (error instanceof HttpException) {
      status = error.getStatus();
      const body = error.getResponse();
      const text = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      if (status === 404) message = 'Check the address, or go back to the start.';
      else if (typeof text === 'string') message = text;
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
    } else if (isDatabaseUnavailable(error)) {
      status = HttpStatus.SERVICE_UNAVAILABLE;
      message = 'We are having trouble reaching our database. Please try again in a minute.';
      res.setHeader('Retry-After', '5');
      this.logger.warn({ path: req.path }, 'database unavailable');
    } else {
      this.logger.error({ err: error, path: req.path, method: req.method }, 'unhandled error');
    }

    if (res.headersSent) return;
    const title = TITLES[status] ?? (status < 500 ? TITLES[400] : TITLES[500]);
    try {
      sendPage(res, this.renderer.render(req, view('web/error', { title, message, status }, status)));
    } catch (renderError) {
      this.logger.error({ err: renderError }, 'error page failed to render');
      res.status(status).type('text').send(`${title}. ${message}`);
    }
  }
}
