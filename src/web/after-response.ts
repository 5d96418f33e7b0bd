import { AsyncResource } from 'node:async_hooks';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { LOGGER } from './tokens';

/**
 * Work a request causes that its answer must not wait for: mail to hand to the provider,
 * a counter to write. Waiting would make the answer's time depend on the work, and the
 * work often depends on something a stranger must not learn (whether an address has an
 * account). The work runs once the answer is sent, in the request's own context (its
 * EntityManager), and a failure is logged, never thrown.
 */
@Injectable()
export class AfterResponse implements OnModuleDestroy {
  private readonly pending = new Set<Promise<void>>();

  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  run(req: Request, what: string, work: () => Promise<unknown>): void {
    const bound = AsyncResource.bind(work);
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      const done: Promise<void> = bound()
        .then(() => undefined)
        // The kind of error only: a database error's message can quote the statement's values (an email).
        .catch((error: unknown) => this.logger.error({ work: what, error: (error as Error)?.name, code: (error as { code?: string })?.code }, 'work after the response failed'))
        .finally(() => this.pending.delete(done));
      this.pending.add(done);
    };
    const res = req.res;
    if (!res || res.writableFinished) return start();
    // 'close' alone when the client went away first: the work was asked for all the same.
    res.once('finish', start);
    res.once('close', start);
  }

  /** An instance stopping finishes what its last answers promised. */
  async onModuleDestroy(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
