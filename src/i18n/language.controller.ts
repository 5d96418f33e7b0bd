import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Response } from 'express';
import { Account } from '../identity/account.entity';
import { localPath } from '../web/redirect.exception';
import type { WebRequest } from '../web/request';
import { redirect } from '../web/view';
import { isLanguage } from './languages';
import { LanguageResolver } from './language';

/** The language switcher on every page: kept in this browser and, when signed in, on the account (for emails too). */
@Controller()
export class LanguageController {
  constructor(private readonly languages: LanguageResolver, private readonly em: EntityManager) {}

  @Post('language')
  async choose(@Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Body() form: Record<string, unknown>) {
    const back = localPath(form.returnTo, '/');
    if (!isLanguage(form.language)) return redirect(back);
    this.languages.remember(req, res, form.language);
    // Signed in, or halfway (password accepted): the account keeps the choice for its emails and codes.
    const person = req.viewer ?? req.pendingSignIn;
    if (person) {
      await this.em.nativeUpdate(Account, { id: person.accountId }, { language: form.language });
      person.language = form.language;
    }
    return redirect(back);
  }
}
