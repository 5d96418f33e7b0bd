import { Global, Module } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import { CONFIG, type Config } from '../config/config';
import { AfterResponse } from './after-response';
import { BodyMiddleware } from './body.middleware';
import { BrowserCookie, BrowserMiddleware } from './browser';
import { Csrf, CsrfMiddleware, MultipartCsrfRoutes } from './csrf';
import { ErrorsFilter } from './errors.filter';
import { HealthController } from './health.controller';
import { HomeController } from './home.controller';
import { createLogger } from './logger';
import { RateLimits } from './rate-limits';
import { Renderer } from './renderer';
import { RequestContextMiddleware } from './request-context.middleware';
import { LOGGER } from './tokens';

/** Pages, errors, CSRF, rate limits and logging: what every module renders and is protected through. */
@Global()
@Module({
  imports: [DiscoveryModule],
  controllers: [HomeController, HealthController],
  providers: [
    { provide: LOGGER, inject: [CONFIG], useFactory: (config: Config) => createLogger(config.logLevel) },
    Renderer,
    Csrf,
    MultipartCsrfRoutes,
    BrowserCookie,
    RateLimits,
    AfterResponse,
    RequestContextMiddleware,
    BodyMiddleware,
    BrowserMiddleware,
    CsrfMiddleware,
    { provide: APP_FILTER, useClass: ErrorsFilter },
  ],
  exports: [LOGGER, Renderer, Csrf, BrowserCookie, RateLimits, AfterResponse],
})
export class WebModule {}
