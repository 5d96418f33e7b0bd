import { Controller, Get, Header, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { pingDatabase } from './health.queries';

/** Probes for load balancers and orchestrators: JSON, never cached. */
@Controller()
export class HealthController {
  constructor(private readonly em: EntityManager) {}

  /** The process is up and serving HTTP. */
  @Get('healthz')
  @Header('Cache-Control', 'no-store')
  healthz() {
    return { status: 'ok' };
  }

  /** The database answers within 2 s; otherwise 503 so traffic goes elsewhere. */
  @Get('readyz')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async readyz() {
    try {
      await Promise.race([
        pingDatabase(this.em),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
      return { status: 'ready' };
    } catch {
      throw new ServiceUnavailableException({ status: 'unavailable', reason: 'database' });
    }
  }
}
