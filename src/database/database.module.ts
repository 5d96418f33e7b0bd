import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import { ormConfig } from './mikro-orm.config';

@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      inject: [CONFIG],
      // The request context is opened by our own first middleware (web/request-context.middleware.ts).
      useFactory: (config: Config) => ({ ...ormConfig(config.databaseUrl!), registerRequestContext: false }),
      // Lets modules inject @mikro-orm/postgresql's EntityManager and MikroORM.
      driver: PostgreSqlDriver,
    }),
  ],
})
export class DatabaseModule {}
