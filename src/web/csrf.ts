import { ForbiddenException, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { CONFIG, type Config } from '../config/config';
import { hmac, sameSecret } from '../crypto/tokens';
import type { WebRequest } from './request';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Upload routes whose multipart body is read by the route's own parser (documents module):
 * a form without JavaScript cannot put the token anywhere but in the body, which is not read
 * yet here. The parser checks the `_csrf` field (it must come before the file) with
 * `Csrf.isValidToken` and refuses the upload otherwise. Every other multipart post is checked here.
 */
export const MULTIPART_CSRF_ROUTES = [/^\/documents\/upload\/[^/]+\/[^/]+$/, /^\/capture\/[^/]+\/upload\/[^/]+\/[^/]+$/];

/** The CSRF check of this request is left to its multipart parser. */
export function csrfDeferredToParser(req: WebRequest): boolean {
  return req.method === 'POST' && !req.headers['x-csrf-token'] && !!req.is('multipart/form-data') && MULTIPART_CSRF_ROUTES.some((r) => r.test(req.path));
}

/**
 * Anti-CSRF tokens bound to the browser key (an HMAC of it), so any instance can check
 * them without shared state. Forms send `_csrf`; htmx sends the `X-CSRF-Token` header
 * (the HX-Request header alone is no defence).
 */
@Injectable()
export class Csrf {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  tokenFor(browserKey: string): string {
    return hmac(this.config.sessionSecret, `csrf:${browserKey}`);
  }

  isValid(req: WebRequest): boolean {
    return this.isValidToken(req, req.body?._csrf ?? req.headers['x-csrf-token']);
  }

  isValidToken(req: WebRequest, sent: unknown): boolean {
    return typeof sent === 'string' && !!req.browserKey && sameSecret(sent, this.tokenFor(req.browserKey));
  }
}

export class CsrfException extends ForbiddenException {
  constructor() {
    super('errors.csrf');
  }
}

@Injectable()
export class CsrfMiddleware implements NestMiddleware {
  constructor(private readonly csrf: Csrf) {}

  use(req: WebRequest, _res: Response, next: NextFunction) {
    if (SAFE_METHODS.has(req.method) || this.csrf.isValid(req) || csrfDeferredToParser(req)) return next();
    throw new CsrfException();
  }
}
