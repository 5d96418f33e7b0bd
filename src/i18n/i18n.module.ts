import { Global, Module } from '@nestjs/common';
import { LanguageController } from './language.controller';
import { LanguageResolver } from './language';
import { CONFIG, type Config } from '../config/config';
import { Messages, readCatalogs } from './messages';

/** Message catalogs and the reader's language, for pages (renderer), emails and SMS. */
@Global()
@Module({
  controllers: [LanguageController],
  providers: [{ provide: Messages, inject: [CONFIG], useFactory: (config: Config) => new Messages(readCatalogs(), config.env !== 'production') }, LanguageResolver],
  exports: [Messages, LanguageResolver],
})
export class I18nModule {}
