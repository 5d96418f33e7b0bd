import { Injectable, type NestMiddleware, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';

/**
 * Several middlewares applied as one: each one Nest applies on its own costs every request
 * a router layer, an exclusion check and a promise. They run in the given order, as they
 * would one by one: an error (thrown, rejected or passed to `next`) skips the rest and goes
 * to the errors filter, like one from a lone middleware. Each must be a provider of some module.
 */
export function Sequence(...types: Type<NestMiddleware>[]): Type<NestMiddleware> {
  @Injectable()
  class SequenceMiddleware implements NestMiddleware {
    private steps?: NestMiddleware[];

    constructor(private readonly moduleRef: ModuleRef) {}

    use(req: Request, res: Response, done: NextFunction) {
      const steps = (this.steps ??= types.map((type) => this.moduleRef.get(type, { strict: false })));
      const fail = (error: unknown) => done(error ?? new Error('middleware failed'));
      const run = (i: number): void => {
        if (i === steps.length) return done();
        try {
          const result = steps[i].use(req, res, (error?: unknown) => (error ? fail(error) : run(i + 1)));
          if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(undefined, fail);
        } catch (error) {
          fail(error);
        }
      };
      run(0);
    }
  }
  Object.defineProperty(SequenceMiddleware, 'name', { value: `Sequence(${types.map((t) => t.name).join(', ')})` });
  return SequenceMiddleware;
}
