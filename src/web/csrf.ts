import { ForbiddenException, Inject, Injectable, NestMiddleware, OnModuleInit, SetMetadata } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NextFunction, Response } from 'express';
import { CONFIG, type Config } from '../config/config';
import { hmac, sameSecret } from '../crypto/tokens';
import type { WebRequest } from './request';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const CSRF_IN_MULTIPART_BODY = 'referee:csrfInMultipartBody';

/**
 * Marks an upload route whose multipart body is read by the route's own parser: a form
 * without JavaScript cannot put the token anywhere but in the body, which is not read yet
 * when the middleware runs. The parser must check the `_csrf` field (before the file) with
 * `Csrf.isValidToken` and refuse the upload otherwise. Every other multipart post is checked
 * by the middleware.
 */
export const CsrfInMultipartBody = () => SetMetadata(CSRF_IN_MULTIPART_BODY, true);

/**
 * The paths of the routes marked `@CsrfInMultipartBody()`, found once at start: the
 * middleware runs before routing, so it matches the path itself.
 */
@Injectable()
export class MultipartCsrfRoutes implements OnModuleInit {
  private patterns: RegExp[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    for (const { metatype } of this.discovery.getControllers()) {
      if (typeof metatype !== 'function') continue;
      const prototype = metatype.prototype;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (!this.reflector.get<boolean>(CSRF_IN_MULTIPART_BODY, handler)) continue;
        for (const base of paths(Reflect.getMetadata(PATH_METADATA, metatype))) {
          for (const route of paths(Reflect.getMetadata(PATH_METADATA, handler))) this.patterns.push(pathPattern(base, route));
        }
      }
    }
  }

  /** The CSRF check of this request is left to its multipart parser. */
  deferredToParser(req: WebRequest): boolean {
    return req.method === 'POST' && !req.headers['x-csrf-token'] && !!req.is('multipart/form-data') && this.patterns.some((r) => r.test(req.path));
  }
}

function paths(value: string | string[] | undefined): string[] {
  return Array.isArray(value) ? value : [value ?? ''];
}

/** A controller's and a route's Nest paths as one pattern: `files` + `:id/upload` → /^\/files\/[^/]+\/upload$/ */
function pathPattern(base: string, route: string): RegExp {
  const segments = [...base.split('/'), ...route.split('/')].filter(Boolean);
  const source = segments.map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('\\/');
  return new RegExp(`^\\/${source}$`);
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
  constructor(private readonly csrf: Csrf, private readonly multipart: MultipartCsrfRoutes) {}

  use(req: WebRequest, _res: Response, next: NextFunction) {
    if (SAFE_METHODS.has(req.method) || this.csrf.isValid(req) || this.multipart.deferredToParser(req)) return next();
    throw new CsrfException();
  }
}
