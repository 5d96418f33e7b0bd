import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import { actorOf } from '../audit/audit.service';
import { FRAUD_KIND_LABELS, FRAUD_KINDS, isOneOf, SUPPORT_LABELS } from '../support/categories';
import { FRAUD_NEXT_STEPS } from '../support/fraud';
import { parseFraudForm } from '../support/forms';
import { SupportService } from '../support/support.service';
import { RateLimits } from '../web/rate-limits';
import type { WebRequest } from '../web/request';
import { invalidForm, view } from '../web/view';
import { HelpContent, REFERENCE_LANGUAGE } from './content';
import { MAX_QUERY_LENGTH, search } from './search';

type Form = Record<string, unknown>;
const FRAUD_OPTIONS = FRAUD_KINDS.map((value) => ({ value, label: FRAUD_KIND_LABELS[value] }));

/**
 * The help centre (/help: articles, search, the fraud report form) and the published
 * policies (/policies). Every /help address is routed here, in this order, so an article's
 * slug can never hide the search or the fraud report page.
 */
@Controller()
export class HelpController {
  constructor(
    private readonly content: HelpContent,
    private readonly support: SupportService,
    private readonly rateLimits: RateLimits,
  ) {}

  /** `?lang=` picks a language we have content in; anything else is English. */
  private language(lang: unknown): string {
    return this.content.hasLanguage(lang) ? lang : REFERENCE_LANGUAGE;
  }

  private languageContext(lang: string) {
    const names = new Intl.DisplayNames([lang], { type: 'language' });
    return {
      lang,
      langQuery: lang === REFERENCE_LANGUAGE ? '' : `?lang=${lang}`,
      languages: this.content.languages.map((code) => ({ code, name: new Intl.DisplayNames([code], { type: 'language' }).of(code) ?? code, current: code === lang })),
      languageName: names.of(lang) ?? lang,
    };
  }

  @Get('help')
  index(@Query('lang') lang: unknown) {
    const language = this.language(lang);
    return view('help/index', { articles: this.content.list('article', language), policies: this.content.list('policy', language), ...this.languageContext(language) });
  }

  @Get('help/search')
  find(@Query('q') q: unknown, @Query('lang') lang: unknown) {
    const language = this.language(lang);
    const query = typeof q === 'string' ? q.trim().slice(0, MAX_QUERY_LENGTH) : '';
    const docs = [...this.content.list('article', language), ...this.content.list('policy', language)];
    const results = query ? search(docs, query, language) : [];
    return view('help/search', { query, results, ...this.languageContext(language) });
  }

  @Get('help/report-fraud')
  fraudPage(@Query('kind') kind: unknown) {
    return view('support/report-fraud', { values: { kind: isOneOf(FRAUD_KINDS, kind) ? kind : '' }, kinds: FRAUD_OPTIONS, ...SUPPORT_LABELS });
  }

  @Post('help/report-fraud')
  async reportFraud(@Req() req: WebRequest, @Body() form: Form) {
    const parsed = parseFraudForm(form, req.viewer);
    if (!parsed.valid) return invalidForm('support/report-fraud', parsed.errors, { values: parsed.values, kinds: FRAUD_OPTIONS, ...SUPPORT_LABELS });
    const { requester, kind, details } = parsed.valid;
    await this.rateLimits.consume('fraud-report:ip', req.ip ?? '');
    await this.rateLimits.consume('fraud-report:person', 'accountId' in requester ? requester.accountId : requester.email);
    const report = await this.support.reportFraud(requester, kind, details, actorOf(req));
    return view('support/fraud-reported', { reference: report.reference, kind, kindLabel: FRAUD_KIND_LABELS[kind], steps: FRAUD_NEXT_STEPS[kind], signedIn: !!req.viewer });
  }

  @Get('help/:slug')
  article(@Param('slug') slug: string, @Query('lang') lang: unknown) {
    const language = this.language(lang);
    const article = this.content.find('article', slug, language);
    if (!article) throw new NotFoundException();
    const related = article.related.map((s) => this.content.find('article', s, language)!);
    const sections = article.headings.filter((h) => h.depth === 2);
    return view('help/article', { article, related, sections, ...this.languageContext(language) });
  }

  @Get('policies')
  policies(@Query('lang') lang: unknown) {
    const language = this.language(lang);
    return view('help/policies', { policies: this.content.list('policy', language), ...this.languageContext(language) });
  }

  @Get('policies/:slug')
  policy(@Param('slug') slug: string, @Query('lang') lang: unknown) {
    const language = this.language(lang);
    const policy = this.content.find('policy', slug, language);
    if (!policy) throw new NotFoundException();
    return view('help/policy', { policy, ...this.languageContext(language) });
  }
}
