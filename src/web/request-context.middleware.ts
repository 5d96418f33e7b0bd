import { Injectable, NestMiddleware } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { NextFunction, Request, Response } from 'express';
import { runInRequestContext } from '../database/request-context';

/** One MikroORM identity map per request, opened before any middleware that reads the database. */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(private readonly orm: MikroORM) {}

  use(_req: Request, _res: Response, next: NextFunction) {
    runInRequestContext(this.orm.em as EntityManager, next);
  }
}
