import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { LoggerService } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import pinoHttp from 'pino-http';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { OidcProviderService } from './oidc/provider.service';
import type { Config } from './config/config';
import { STATIC_DIR } from './config/paths';
import { RefereeHttpAdapter } from './web/http-adapter';
import { Renderer } from './web/renderer';
import { routeOf, type RoutedRequest } from './web/logger';
import { LOGGER } from './web/tokens';

/** Nest's own messages go to our JSON log. */
class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown) { this.logger.debug({ nest: true }, String(message)); }
  error(message: unknown, trace?: string) { this.logger.error({ nest: true, trace }, String(message)); }
  warn(message: unknown) { this.logger.warn({ nest: true }, String(message)); }
}

/**
 * Helmet's security headers depend on nothing in the request: computed once at start and
 * set in one step, rather than by helmet's chain of eleven middlewares on every request.
 */
function onceComputedHeaders(options: HelmetOptions) {
  const headers: [string, string][] = [];
  const probe = {
    setHeader: (name: string, value: string) => headers.push([name, value]),
    removeHeader: () => undefined,
  };
  helmet(options)({} as never, probe as never, (error?: unknown) => {
    if (error) throw error;
  });
  return (_req: unknown, res: ServerResponse, next: () => void) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** Builds the whole web application (used by main.ts, the tests and the benchmarks). */
export async function createApp(config: Config): Promise<NestExpressApplication> {
  const adapter = new RefereeHttpAdapter();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), adapter, {
    bodyParser: false, // forms are parsed by web/body.middleware.ts, with our error pages
    bufferLogs: true,
  });
  adapter.useRenderer(app.get(Renderer));
  // A whole request may take 2 hours (Node's default: 5 minutes), so a recording of gigabytes sent
  // by Jibri over a slow link is not cut off; a request's headers must still come within 60 s.
  app.getHttpServer().requestTimeout = 2 * 3600_000;
  const logger = app.get<Logger>(LOGGER);
  app.useLogger(new NestPinoLogger(logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Responses sent through Express's send() (JSON, plain-text fallbacks) get no ETag: nothing
  // here is cached. Pages bypass send() (sendPage); static files keep serve-static's own.
  app.set('etag', false);
  app.use(
    onceComputedHeaders({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
          ...(config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: config.secureCookies ? { maxAge: 31536000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  // Request logs (skipped altogether when logging is off, e.g. in benchmarks). A request is
  // named by its route's pattern, never its address (links carry tokens in their path and
  // query). pino-http would serialize the request when it arrives, before any route matched:
  // it is left out then (quiet) and written once the response is sent, when the route is known.
  if (logger.isLevelEnabled('info')) {
    const withRequest = (req: IncomingMessage, _res: ServerResponse, ...rest: unknown[]) => ({ ...(rest.at(-1) as object), req });
    app.use(
      pinoHttp({
        logger,
        quietReqLogger: true,
        quietResLogger: true,
        serializers: {
          req: (req: { method: string; id: unknown; raw: RoutedRequest }) => ({ id: req.id, method: req.method, route: routeOf(req.raw) }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        customSuccessObject: withRequest,
        customErrorObject: withRequest,
        autoLogging: { ignore: (req) => /^\/(static\/|healthz|readyz)/.test(req.url ?? '') },
      }),
    );
  }
  app.useStaticAssets(STATIC_DIR, { prefix: '/static', index: false, dotfiles: 'deny', maxAge: '1h' });
  // The OpenID provider answers /oidc itself, ahead of Nest's routes (its provider is ready after init).
  app.use('/oidc', app.get(OidcProviderService).handler());
  await app.init();
  return app;
}
