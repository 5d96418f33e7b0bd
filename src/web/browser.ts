import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { NextFunction, Response } from 'express';
import { CONFIG, type Config } from '../config/config';
import { randomToken } from '../crypto/tokens';
import type { WebRequest } from './request';

/**
 * Every browser gets one random key in an HttpOnly cookie. The identity module keys
 * sessions on it and the CSRF token is derived from it; signing in replaces it
 * (session fixation defence).
 */
@Injectable()
export class BrowserCookie {
  readonly name: string;

  constructor(@Inject(CONFIG) private readonly config: Config) {
    // __Host- needs Secure, which browsers refuse over plain http://localhost.
    this.name = config.secureCookies ? '__Host-referee' : 'referee';
  }

  read(req: WebRequest, name = this.name): string | undefined {
    const header = req.headers.cookie;
    if (!header) return undefined;
    const value = parseCookie(header)[name];
    // Only values we could have issued: 43 base64url characters.
    return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
  }

  /** Another of our HttpOnly cookies (same prefix and flags), e.g. "remember this browser". */
  cookieName(base: string): string {
    return this.config.secureCookies ? `__Host-${base}` : base;
  }

  set(res: Response, name: string, value: string, maxAgeSeconds: number): void {
    res.append(
      'Set-Cookie',
      stringifySetCookie(name, value, { httpOnly: true, sameSite: 'lax', secure: this.config.secureCookies, path: '/', maxAge: maxAgeSeconds }),
    );
  }

  /** Gives the browser a fresh key and returns it. */
  issue(req: WebRequest, res: Response): string {
    const key = randomToken();
    res.append(
      'Set-Cookie',
      stringifySetCookie(this.name, key, {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.config.secureCookies,
        path: '/',
      }),
    );
    req.browserKey = key;
    req.browserKeyIsNew = true;
    return key;
  }
}

@Injectable()
export class BrowserMiddleware implements NestMiddleware {
  constructor(private readonly cookie: BrowserCookie) {}

  use(req: WebRequest, res: Response, next: NextFunction) {
    const key = this.cookie.read(req);
    if (key) req.browserKey = key;
    else this.cookie.issue(req, res);
    next();
  }
}
