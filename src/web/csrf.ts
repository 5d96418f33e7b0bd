import { ForbiddenException, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { CONFIG, type Config } from '../config/config';
import { hmac, sameSecret } from '../crypto/tokens';
import type { WebRequest } from './request';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
    const sent = req.body?._csrf ?? req.headers['x-csrf-token'];
    return typeof sent === 'string' && !!req.browserKey && sameSecret(sent, this.tokenFor(req.browserKey));
  }
}

export class CsrfException extends ForbiddenException {
  constructor() {
    super('This form has expired or was sent from another site. Go back, reload the page and try again.');
  }
}

@Injectable()
export class CsrfMiddleware implements NestMiddleware {
  constructor(private readonly csrf: Csrf) {}

  use(req: WebRequest, _res: Response, next: NextFunction) {
    if (SAFE_METHODS.has(req.method) || this.csrf.isValid(req)) return next();
    throw new CsrfException();
  }
}
