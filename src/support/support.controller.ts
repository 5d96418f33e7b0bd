import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf } from '../audit/audit.service';
import { LanguageResolver } from '../i18n/language';
import { SignedInGuard } from '../identity/signed-in.guard';
import { RateLimits } from '../web/rate-limits';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { readForm } from '../web/form';
import { invalidForm, redirect, view } from '../web/view';
import { CATEGORY_LABELS, isOneOf, SUPPORT_CATEGORIES, SUPPORT_LABELS } from './categories';
import { CONTACT_FIELDS, contactForm, FollowUpForm, typedValues } from './forms';
import { SupportService } from './support.service';

/** Labels are catalog keys: the page shows them in its language. */
const CATEGORY_OPTIONS = SUPPORT_CATEGORIES.map((value) => ({ value, label: CATEGORY_LABELS[value] }));

/** Contact support: open to everyone, signed in or not. */
@Controller()
export class SupportController {
  constructor(
    private readonly support: SupportService,
    private readonly rateLimits: RateLimits,
    private readonly languages: LanguageResolver,
  ) {}

  @Get('support')
  contactPage(@Query('category') category: unknown) {
    return view('support/contact', { values: { category: isOneOf(SUPPORT_CATEGORIES, category) ? category : '' }, categories: CATEGORY_OPTIONS, ...SUPPORT_LABELS });
  }

  @Post('support')
  async contact(@Req() req: WebRequest, @Body() body: unknown) {
    const form = readForm(contactForm(req.viewer, this.languages.of(req)), body);
    if (!form.valid) return invalidForm('support/contact', form.errors, { values: typedValues(form, CONTACT_FIELDS), categories: CATEGORY_OPTIONS, ...SUPPORT_LABELS });
    const { requester, ...question } = form.valid;
    await this.rateLimits.consume('support-request:ip', req.ip ?? '');
    await this.rateLimits.consume('support-request:person', 'accountId' in requester ? requester.accountId : requester.email);
    const request = await this.support.ask(requester, question, actorOf(req));
    if ('accountId' in requester) return redirect(`/support/requests/${request.id}?sent=1`);
    return view('support/sent', { reference: request.reference, email: requester.email });
  }
}

/** A signed-in person's own requests with Referee's answers. */
@Controller('support/requests')
@UseGuards(SignedInGuard)
export class SupportRequestsController {
  constructor(
    private readonly support: SupportService,
    private readonly rateLimits: RateLimits,
  ) {}

  @Get()
  async list(@CurrentViewer() viewer: Viewer) {
    const requests = await this.support.forAccount(viewer.accountId);
    return view('support/requests', { requests, ...SUPPORT_LABELS });
  }

  @Get(':id')
  async show(@CurrentViewer() viewer: Viewer, @Param('id') id: string, @Query('sent') sent: unknown, @Query('replied') replied: unknown) {
    const shown = await this.support.findForAccount(id, viewer.accountId);
    if (!shown) throw new NotFoundException();
    const notice = sent !== undefined ? 'sent' : replied !== undefined ? 'replied' : undefined;
    return view('support/request', { ...shown, values: {}, notice, ...SUPPORT_LABELS });
  }

  @Post(':id/reply')
  async reply(@CurrentViewer() viewer: Viewer, @Param('id') id: string, @Body() body: unknown) {
    const accountId = viewer.accountId;
    const form = readForm(FollowUpForm, body);
    if (!form.valid) {
      const shown = await this.support.findForAccount(id, accountId);
      if (!shown) throw new NotFoundException();
      return invalidForm('support/request', form.errors, { ...shown, values: typedValues(form, ['message']), ...SUPPORT_LABELS });
    }
    await this.rateLimits.consume('support-reply:account', accountId);
    if (!(await this.support.reply(id, accountId, form.valid.message))) throw new NotFoundException();
    return redirect(`/support/requests/${id}?replied=1`);
  }
}
