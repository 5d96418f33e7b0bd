import { Injectable } from '@nestjs/common';
import { parseCookie } from 'cookie';
import type { Response } from 'express';
import { BrowserCookie } from '../web/browser';
import type { WebRequest } from '../web/request';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGE_CODES, type Language } from './languages';

/** A year: the choice outlives sessions. */
const COOKIE_SECONDS = 365 * 24 * 60 * 60;

/**
 * Which language a request is answered in: the choice on the account of the person signed in
 * (or halfway, once the password is accepted),
 * else this browser's choice (cookie), else the browser's Accept-Language, else English.
 */
@Injectable()
export class LanguageResolver {
  private readonly cookieName: string;

  constructor(private readonly cookies: BrowserCookie) {
    this.cookieName = cookies.cookieName('lang');
  }

  of(req: WebRequest): Language {
    if (req.language) return req.language;
    const chosen = (req.viewer ?? req.pendingSignIn)?.language ?? this.fromCookie(req) ?? this.fromHeader(req);
    req.language = chosen;
    return chosen;
  }

  /**
   * The language this browser asked for (its cookie or Accept-Language), if it asked: what a
   * new account keeps. A request that states nothing leaves the account's language unset.
   */
  stated(req: WebRequest): Language | undefined {
    return this.fromCookie(req) ?? (req.headers['accept-language'] ? this.fromHeader(req) : undefined);
  }

  remember(req: WebRequest, res: Response, language: Language): void {
    this.cookies.set(res, this.cookieName, language, COOKIE_SECONDS);
    req.language = language;
  }

  private fromCookie(req: WebRequest): Language | undefined {
    const header = req.headers.cookie;
    if (!header || !header.includes(this.cookieName)) return undefined;
    const value = parseCookie(header)[this.cookieName];
    return isLanguage(value) ? value : undefined;
  }

  private fromHeader(req: WebRequest): Language {
    if (!req.headers['accept-language']) return DEFAULT_LANGUAGE;
    const best = req.acceptsLanguages(...LANGUAGE_CODES);
    return isLanguage(best) ? best : DEFAULT_LANGUAGE;
  }
}
