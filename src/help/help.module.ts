import { Module, OnModuleInit } from '@nestjs/common';
import { Renderer } from '../web/renderer';
import { CONFIG, type Config } from '../config/config';
import { SupportModule } from '../support/support.module';
import { contentVariables, HelpContent } from './content';
import { HelpController } from './help.controller';
import { LEARN_MORE } from './links';

/** The help centre and the published policies, from content/ (read and checked once, at start). */
@Module({
  imports: [SupportModule],
  controllers: [HelpController],
  providers: [{ provide: HelpContent, inject: [CONFIG], useFactory: (config: Config) => new HelpContent(contentVariables(config)) }],
  exports: [HelpContent],
})
export class HelpModule implements OnModuleInit {
  constructor(private readonly renderer: Renderer) {}

  /** Every page shows the "Learn more" links the table gives for its address. */
  onModuleInit() {
    this.renderer.addGlobal('learnMoreFor', (path: string) => LEARN_MORE.filter((link) => link.page === path));
  }
}
