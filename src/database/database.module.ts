import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import { currentEntityManager } from './request-context';
import { ormConfig } from './mikro-orm.config';

@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      inject: [CONFIG],
      // The request context is opened by our own first middleware (web/request-context.middleware.ts),
      // which forks the EntityManager only when the request uses it.
      useFactory: (config: Config) => ({ ...ormConfig(config.databaseUrl!), registerRequestContext: false, context: currentEntityManager }),
      // Lets modules inject @mikro-orm/postgresql's EntityManager and MikroORM.
      driver: PostgreSqlDriver,
    }),
  ],
})
export class DatabaseModule {}
