import { BadRequestException, HttpException, HttpStatus, Injectable, NestMiddleware } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Largest form we accept (uploads have their own route and limits). */
export const FORM_LIMIT = '1mb';

const parseForm = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 200 });
const parseJson = express.json({ limit: FORM_LIMIT });

/**
 * Parses form bodies, turning the parser's errors (too large, malformed, bad charset)
 * into our error pages rather than Express's default stack-trace page.
 */
@Injectable()
export class BodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction) {
    // Handlers always get an object, whatever arrived (or did not).
    req.body ??= {};
    // GET and HEAD carry no body worth reading: skip the parsers (most requests are these).
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    // Forms, JSON (htmx and passkey calls) and multipart (read by the upload routes' own parser).
    if (req.headers['content-type'] && !req.is(['application/x-www-form-urlencoded', 'application/json', 'multipart/form-data'])) {
      return next(new HttpException('errors.unsupportedContent', HttpStatus.UNSUPPORTED_MEDIA_TYPE));
    }
    parseForm(req, res, (formError?: unknown) => {
      if (formError) return next(this.toHttp(formError));
      parseJson(req, res, (jsonError?: unknown) => {
        req.body ??= {};
        next(jsonError ? this.toHttp(jsonError) : undefined);
      });
    });
  }

  private toHttp(parserError: unknown): HttpException {
    const error = parserError as { status?: number };
    if (error.status === 413) return new HttpException('errors.formTooLarge', HttpStatus.PAYLOAD_TOO_LARGE);
    if (error.status === 415) return new HttpException('errors.unsupportedContent', HttpStatus.UNSUPPORTED_MEDIA_TYPE);
    return new BadRequestException('errors.unreadableForm');
  }
}
