import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import { actorOf } from '../audit/audit.service';
import { LanguageResolver } from '../i18n/language';
import { FRAUD_KIND_LABELS, FRAUD_KINDS, isOneOf, SUPPORT_LABELS } from '../support/categories';
import { FRAUD_NEXT_STEPS } from '../support/fraud';
import { FRAUD_FIELDS, fraudForm, typedValues } from '../support/forms';
import { SupportService } from '../support/support.service';
import { readForm } from '../web/form';
import { RateLimits } from '../web/rate-limits';
import type { WebRequest } from '../web/request';
import { invalidForm, view } from '../web/view';
import { HelpContent } from './content';
import { MAX_QUERY_LENGTH, search } from './search';

const FRAUD_OPTIONS = FRAUD_KINDS.map((value) => ({ value, label: FRAUD_KIND_LABELS[value] }));

/**
 * The help centre (/help: articles, search, the fraud report form) and the published
 * policies (/policies). Every /help address is routed here, in this order, so an article's
 * slug can never hide the search or the fraud report page. Pages are in the reader's
 * language (the switcher, the account, Accept-Language), English where not yet translated.
 */
@Controller()
export class HelpController {
  constructor(
    private readonly content: HelpContent,
    private readonly support: SupportService,
    private readonly rateLimits: RateLimits,
    private readonly languages: LanguageResolver,
  ) {}

  @Get('help')
  index(@Req() req: WebRequest) {
    const language = this.languages.of(req);
    return view('help/index', { articles: this.content.list('article', language), policies: this.content.list('policy', language) });
  }

  @Get('help/search')
  find(@Req() req: WebRequest, @Query('q') q: unknown) {
    const language = this.languages.of(req);
    const query = typeof q === 'string' ? q.trim().slice(0, MAX_QUERY_LENGTH) : '';
    const docs = [...this.content.list('article', language), ...this.content.list('policy', language)];
    const results = query ? search(docs, query, language) : [];
    return view('help/search', { query, results });
  }

  @Get('help/report-fraud')
  fraudPage(@Query('kind') kind: unknown) {
    return view('support/report-fraud', { values: { kind: isOneOf(FRAUD_KINDS, kind) ? kind : '' }, kinds: FRAUD_OPTIONS, ...SUPPORT_LABELS });
  }

  @Post('help/report-fraud')
  async reportFraud(@Req() req: WebRequest, @Body() body: unknown) {
    const form = readForm(fraudForm(req.viewer), body);
    if (!form.valid) return invalidForm('support/report-fraud', form.errors, { values: typedValues(form, FRAUD_FIELDS), kinds: FRAUD_OPTIONS, ...SUPPORT_LABELS });
    const { requester, kind, details } = form.valid;
    await this.rateLimits.consume('fraud-report:ip', req.ip ?? '');
    await this.rateLimits.consume('fraud-report:person', 'accountId' in requester ? requester.accountId : requester.email);
    const report = await this.support.reportFraud(requester, kind, details, actorOf(req));
    return view('support/fraud-reported', { reference: report.reference, kind, kindLabel: FRAUD_KIND_LABELS[kind], steps: FRAUD_NEXT_STEPS[kind], signedIn: !!req.viewer });
  }

  @Get('help/:slug')
  article(@Req() req: WebRequest, @Param('slug') slug: string) {
    const language = this.languages.of(req);
    const article = this.content.find('article', slug, language);
    if (!article) throw new NotFoundException();
    const related = article.related.map((s) => this.content.find('article', s, language)!);
    const sections = article.headings.filter((h) => h.depth === 2);
    return view('help/article', { article, related, sections });
  }

  @Get('policies')
  policies(@Req() req: WebRequest) {
    return view('help/policies', { policies: this.content.list('policy', this.languages.of(req)) });
  }

  @Get('policies/:slug')
  policy(@Req() req: WebRequest, @Param('slug') slug: string) {
    const policy = this.content.find('policy', slug, this.languages.of(req));
    if (!policy) throw new NotFoundException();
    return view('help/policy', { policy });
  }
}
