import { Module } from '@nestjs/common';
import { CONFIG, type Config } from '../config/config';
import { SupportModule } from '../support/support.module';
import { contentVariables, HelpContent } from './content';
import { HelpController } from './help.controller';

/** The help centre and the published policies, from content/ (read and checked once, at start). */
@Module({
  imports: [SupportModule],
  controllers: [HelpController],
  providers: [{ provide: HelpContent, inject: [CONFIG], useFactory: (config: Config) => new HelpContent(contentVariables(config)) }],
  exports: [HelpContent],
})
export class HelpModule {}
