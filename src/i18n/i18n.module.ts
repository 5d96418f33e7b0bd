import { Global, Module } from '@nestjs/common';
import { LanguageController } from './language.controller';
import { LanguageResolver } from './language';
import { Messages } from './messages';

/** Message catalogs and the reader's language, for pages (renderer), emails and SMS. */
@Global()
@Module({
  controllers: [LanguageController],
  providers: [{ provide: Messages, useFactory: () => new Messages() }, LanguageResolver],
  exports: [Messages, LanguageResolver],
})
export class I18nModule {}
