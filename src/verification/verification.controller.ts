import { Body, Controller, Get, NotFoundException, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { countryName, countryOptions, isCountryCode } from '../i18n/countries';
import { LanguageResolver } from '../i18n/language';
import { SessionsService } from '../identity/sessions.service';
import { SignedInGuard } from '../identity/signed-in.guard';
import { Renderer } from '../web/renderer';
import { RateLimits } from '../web/rate-limits';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { readForm } from '../web/form';
import { invalidForm, redirect, view, type Redirect, type View } from '../web/view';
import { ADDRESS_FIELDS, addressFormat, addressLines } from './addresses';
import { CaseSteps, type SubmitOutcome } from './case-steps';
import { PRIMARY_MUST_BE, TRACK_NEEDS, TRANSLATION_TIP, findDocument, type CatalogDocument } from './catalog';
import { dateFieldOrder, fullName, monthOptions, parseDetails } from './details';
import { DocumentChoiceService } from './document-choice.service';
import { DRAFT_FIELDS, Drafts } from './drafts';
import { TRACKER, currentStep, documentIn, landing, mayShow, neededSupporting, pageOf, previousStep, residesOutsideUs, step, type StepKey } from './flow';
import {
  ANSWER_FIELDS,
  AddressForm,
  ChooseMethodForm,
  DETAILS_FIELDS,
  DetailsForm,
  DocumentCheckForm,
  DocumentChoiceForm,
  IdentifierForm,
  InternationalForm,
  ResumeForm,
  SaveAndExitForm,
  SupportingForm,
  UsPhoneForm,
  typedValues,
  type DetailsValues,
} from './forms';
import { ResumeService } from './resume.service';
import type { DocumentSlot, VerificationCase } from './verification-case.entity';
import { VerificationService } from './verification.service';

/**
 * The verification pages. Each handler: may this step show (the flow table decides),
 * call one service method, render or redirect. Nothing here addresses a case by id: an
 * applicant only ever reaches their own.
 */
@Controller('verify')
@UseGuards(SignedInGuard)
export class VerificationController {
  constructor(
    private readonly steps: CaseSteps,
    private readonly verification: VerificationService,
    private readonly documents: DocumentChoiceService,
    private readonly resumes: ResumeService,
    private readonly sessions: SessionsService,
    private readonly rateLimits: RateLimits,
    private readonly renderer: Renderer,
    private readonly languages: LanguageResolver,
    private readonly drafts: Drafts,
  ) {}

  // ---- Plumbing -------------------------------------------------------------------------

  /** Shows step `key` when the flow allows it, else goes to the current step. */
  private async show(viewer: Viewer, key: StepKey, render: (c: VerificationCase) => View | Promise<View>): Promise<View | Redirect> {
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, key)) return redirect(landing(c, key).route);
    return render(c);
  }

  /** After a submission: the next step, or this step again with the errors (or notice) and the input kept. */
  private async after(
    viewer: Viewer,
    key: StepKey,
    outcome: SubmitOutcome,
    render: (c: VerificationCase, extra: Record<string, unknown>) => View | Promise<View>,
  ): Promise<View | Redirect> {
    if ('location' in outcome) return redirect(outcome.location);
    const c = (await this.steps.find(viewer.accountId))!;
    const shown = await render(c, { notice: outcome.notice });
    return Object.keys(outcome.errors).length ? invalidForm(shown.template, outcome.errors, shown.context) : shown;
  }

  /** What every step page gets: the step, the tracker stage, the way back and Save & Exit. */
  private stepContext(c: VerificationCase, key: StepKey): Record<string, unknown> {
    const s = step(key);
    return {
      ...pageOf(c, key),
      back: previousStep(c, key)?.route ?? '/account',
      escape: s.escape ? { from: key, label: s.escape.label } : undefined,
      track: c.track,
    };
  }

  // ---- Start, and how to verify -------------------------------------------------------------

  /** The entry point ("Continue verifying your identity"): the latest step the case may be on. */
  @Get()
  async start(@CurrentViewer() viewer: Viewer) {
    const c = await this.steps.open(viewer.accountId);
    return redirect(currentStep(c).route);
  }

  @Get('how')
  howPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'choose_method', (c) => this.howView(c, this.drafts.of(c, 'choose_method') ?? { method: c.method === 'international' ? '' : (c.method ?? '') }));
  }

  private howView(c: VerificationCase, values: Record<string, string>) {
    return view('verification/how', { ...this.stepContext(c, 'choose_method'), back: '/account', values });
  }

  @Post('how')
  async how(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(ChooseMethodForm, body);
    const outcome = await this.verification.chooseMethod(viewer.accountId, form.valid!);
    return this.after(viewer, 'choose_method', outcome, (c) => this.howView(c, typedValues(form, ['method'])));
  }

  /** The international links: a button in its own form on each screen that has one. */
  @Post('international')
  async international(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const outcome = await this.verification.moveToInternational(viewer.accountId, readForm(InternationalForm, body).valid!);
    return redirect('location' in outcome ? outcome.location : '/verify');
  }

  // ---- Self-Service -------------------------------------------------------------------------

  @Get('self-service/phone')
  usPhonePage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'us_phone', (c) => this.usPhoneView(c, this.drafts.of(c, 'us_phone') ?? { phone: c.phone ? c.phone.replace(/^\+1/, '') : '' }));
  }

  private usPhoneView(c: VerificationCase, values: Record<string, string>) {
    return view('verification/us-phone', { ...this.stepContext(c, 'us_phone'), values, selfService: selfServiceProgress(1) });
  }

  @Post('self-service/phone')
  async usPhone(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(UsPhoneForm, body);
    const outcome = await this.verification.usPhone(viewer.accountId, form.valid!);
    return this.after(viewer, 'us_phone', outcome, (c) => this.usPhoneView(c, typedValues(form, ['phone'])));
  }

  @Get('self-service/address')
  usAddressPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'us_address', (c) => {
      const address = this.verification.decryptAddress(c);
      return this.usAddressView(c, this.drafts.of(c, 'us_address') ?? (address?.country === 'US' ? { ...address } : {}));
    });
  }

  private usAddressView(c: VerificationCase, values: Record<string, string>) {
    return view('verification/us-address', {
      ...this.stepContext(c, 'us_address'),
      values,
      format: addressFormat('US'),
      selfService: selfServiceProgress(2),
    });
  }

  @Post('self-service/address')
  async usAddress(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(AddressForm, body);
    const outcome = await this.verification.usAddress(viewer.accountId, form.valid!);
    return this.after(viewer, 'us_address', outcome, (c) => this.usAddressView(c, typedValues(form, ADDRESS_FIELDS)));
  }

  @Get('self-service/ssn')
  usSsnPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'us_ssn', (c) => this.identifierView(c, 'us_ssn', this.drafts.of(c, 'us_ssn')?.fcraConsent === 'yes'));
  }

  @Post('self-service/ssn')
  async usSsn(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(IdentifierForm, body).valid!;
    const outcome = await this.verification.saveIdentifier(viewer.accountId, 'us_ssn', form);
    return this.after(viewer, 'us_ssn', outcome, (c) => this.identifierView(c, 'us_ssn', form.fcraConsent));
  }

  // ---- Video call overview and personal details --------------------------------------------

  @Get('video-call')
  videoPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'video_overview', (c) =>
      view('verification/video-call', { ...this.stepContext(c, 'video_overview'), stages: TRACKER, extended: c.track === 'international' }),
    );
  }

  @Post('video-call')
  async startVideo(@CurrentViewer() viewer: Viewer) {
    const outcome = await this.verification.startVideo(viewer.accountId);
    return redirect('location' in outcome ? outcome.location : '/verify');
  }

  @Get('details')
  detailsPage(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest) {
    return this.show(viewer, 'details', (c) => {
      // Back after Save & Exit: what was typed, checked as if it had been submitted.
      const draft = this.drafts.of(c, 'details');
      if (!draft) return this.detailsView(req, c, this.verification.detailsValues(c, viewer.email));
      return this.detailsView(req, c, draft, { errors: parseDetails(readForm(DetailsForm, draft).valid!).errors });
    });
  }

  /** Months and countries are named by Intl in the reader's language. */
  private detailsView(req: WebRequest, c: VerificationCase, values: DetailsValues, extra: Record<string, unknown> = {}) {
    const language = this.languages.of(req);
    return view('verification/details', {
      ...this.stepContext(c, 'details'),
      values,
      months: monthOptions(language),
      dateOrder: dateFieldOrder(language),
      countries: countryOptions(language),
      format: addressFormat(values.country && isCountryCode(values.country) ? values.country : ''),
      ...extra,
    });
  }

  @Post('details')
  async details(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() body: unknown) {
    const form = readForm(DetailsForm, body);
    const values = typedValues(form, DETAILS_FIELDS);
    if (form.valid!.refresh === 'country') {
      // Without JavaScript: the address fields of the chosen country, nothing saved yet.
      const refreshed = isCountryCode(values.country) ? countryName(values.country, this.languages.of(req)) : undefined;
      return this.show(viewer, 'details', (c) => this.detailsView(req, c, values, { refreshed }));
    }
    const outcome = await this.verification.saveDetails(viewer.accountId, form.valid!);
    return this.after(viewer, 'details', outcome, (c) => this.detailsView(req, c, values));
  }

  /** htmx: the address fields for another country, keeping what was typed. */
  @Get('details/address-fields')
  addressFields(@Req() req: WebRequest, @Query() query: unknown) {
    if (!this.renderer.isFragmentRequest(req)) return redirect('/verify/details');
    const values = typedValues(readForm(AddressForm, query), ADDRESS_FIELDS);
    return view('verification/address-fields', {
      values,
      format: addressFormat(isCountryCode(values.country) ? values.country : ''),
    });
  }

  // ---- SSN, ITIN or neither -----------------------------------------------------------------

  /** The number is never shown again, typed or saved: only whether the consent box was ticked, and a saved number's last four digits. */
  private identifierView(c: VerificationCase, key: 'us_ssn' | 'ssn' | 'itin', consent = false) {
    return view(key === 'itin' ? 'verification/itin' : 'verification/ssn', {
      ...this.stepContext(c, key),
      selfService: key === 'us_ssn' ? selfServiceProgress(3) : undefined,
      consent,
      saved: c.identifierKind === (key === 'itin' ? 'itin' : 'ssn') ? c.identifierLast4 : undefined,
    });
  }

  @Get('ssn')
  ssnPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'ssn', (c) => this.identifierView(c, 'ssn', this.drafts.of(c, 'ssn')?.fcraConsent === 'yes'));
  }

  @Post('ssn')
  async ssn(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(IdentifierForm, body).valid!;
    const outcome = await this.verification.saveIdentifier(viewer.accountId, 'ssn', form);
    return this.after(viewer, 'ssn', outcome, (c) => this.identifierView(c, 'ssn', form.fcraConsent));
  }

  @Get('itin')
  itinPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'itin', (c) => this.identifierView(c, 'itin'));
  }

  @Post('itin')
  async itin(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(IdentifierForm, body).valid!;
    const outcome = await this.verification.saveIdentifier(viewer.accountId, 'itin', form);
    return this.after(viewer, 'itin', outcome, (c) => this.identifierView(c, 'itin', form.fcraConsent));
  }

  private noNumberView(req: WebRequest, c: VerificationCase) {
    const address = this.verification.decryptAddress(c);
    return view('verification/no-number', {
      ...this.stepContext(c, 'no_number'),
      outsideUs: residesOutsideUs(c),
      address: address ? addressLines(address, this.languages.of(req)) : [],
    });
  }

  @Get('no-ssn-or-itin')
  noNumberPage(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest) {
    return this.show(viewer, 'no_number', (c) => this.noNumberView(req, c));
  }

  @Post('no-ssn-or-itin')
  async noNumber(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest) {
    const outcome = await this.verification.noNumber(viewer.accountId);
    return this.after(viewer, 'no_number', outcome, (c) => this.noNumberView(req, c));
  }

  // ---- Documents ------------------------------------------------------------------------------

  private chooseView(c: VerificationCase, slot: DocumentSlot, value: string) {
    const key = slot === 'first' ? 'choose_primary' : 'choose_second';
    const options = this.documents.options(c, slot);
    const describe = (d: CatalogDocument) => ({ value: d.key, label: d.label, description: d.note });
    return view('verification/choose-document', {
      ...this.stepContext(c, key),
      slot,
      value,
      problem: this.documents.problemWithChoice(c, slot),
      primary: options.primary.map(describe),
      secondary: options.secondary.map(describe),
      primaryMustBe: PRIMARY_MUST_BE,
      needs: TRACK_NEEDS[c.track ?? 'international'],
      first: findDocument(documentIn(c, 'first')?.type),
      withoutNumber: c.identifierKind === 'none',
      tip: TRANSLATION_TIP,
    });
  }

  private checkView(c: VerificationCase, slot: DocumentSlot, values: Record<string, string>, notice?: Record<string, unknown>) {
    const key = slot === 'first' ? 'check_primary' : 'check_second';
    const { doc, questions } = this.documents.questions(c, slot)!;
    return view('verification/check-document', {
      ...this.stepContext(c, key),
      slot,
      doc,
      questions,
      values,
      notice,
      name: fullName(c),
      primaryMustBe: PRIMARY_MUST_BE,
      tip: TRANSLATION_TIP,
    });
  }

  private answersOf(c: VerificationCase, slot: DocumentSlot): Record<string, string> {
    const chosen = documentIn(c, slot);
    const answers = Object.entries(chosen?.answers ?? {}).map(([k, v]) => [k, v ? 'yes' : 'no']);
    return { ...Object.fromEntries(answers), nameChangeDocumentation: chosen?.nameChangeDocumentation ? 'yes' : '' };
  }

  @Get('documents/primary')
  primaryPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'choose_primary', (c) => this.chooseView(c, 'first', this.drafts.of(c, 'choose_primary')?.document ?? documentIn(c, 'first')?.type ?? ''));
  }

  @Post('documents/primary')
  async primary(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(DocumentChoiceForm, body);
    const outcome = await this.documents.choose(viewer.accountId, 'first', form.valid!);
    return this.after(viewer, 'choose_primary', outcome, (c) => this.chooseView(c, 'first', typedValues(form, ['document']).document));
  }

  @Get('documents/primary/check')
  checkPrimaryPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'check_primary', (c) => this.checkView(c, 'first', this.drafts.of(c, 'check_primary') ?? this.answersOf(c, 'first')));
  }

  @Post('documents/primary/check')
  async checkPrimary(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(DocumentCheckForm, body);
    const outcome = await this.documents.check(viewer.accountId, 'first', form.valid!);
    return this.after(viewer, 'check_primary', outcome, (c, { notice }) => this.checkView(c, 'first', typedValues(form, ANSWER_FIELDS), notice as Record<string, unknown>));
  }

  @Get('documents/second')
  secondPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'choose_second', (c) => this.chooseView(c, 'second', this.drafts.of(c, 'choose_second')?.document ?? documentIn(c, 'second')?.type ?? ''));
  }

  @Post('documents/second')
  async second(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(DocumentChoiceForm, body);
    const outcome = await this.documents.choose(viewer.accountId, 'second', form.valid!);
    return this.after(viewer, 'choose_second', outcome, (c) => this.chooseView(c, 'second', typedValues(form, ['document']).document));
  }

  @Get('documents/second/check')
  checkSecondPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'check_second', (c) => this.checkView(c, 'second', this.drafts.of(c, 'check_second') ?? this.answersOf(c, 'second')));
  }

  @Post('documents/second/check')
  async checkSecond(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const form = readForm(DocumentCheckForm, body);
    const outcome = await this.documents.check(viewer.accountId, 'second', form.valid!);
    return this.after(viewer, 'check_second', outcome, (c, { notice }) => this.checkView(c, 'second', typedValues(form, ANSWER_FIELDS), notice as Record<string, unknown>));
  }

  private supportingView(c: VerificationCase) {
    return view('verification/supporting', { ...this.stepContext(c, 'supporting'), documents: neededSupporting(c), tip: TRANSLATION_TIP });
  }

  @Get('documents/supporting')
  supportingPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'supporting', (c) => this.supportingView(c));
  }

  @Post('documents/supporting')
  async supporting(@CurrentViewer() viewer: Viewer, @Body() body: unknown) {
    const outcome = await this.documents.confirmSupporting(viewer.accountId, readForm(SupportingForm, body).valid!);
    return this.after(viewer, 'supporting', outcome, (c) => this.supportingView(c));
  }

  @Get('documents/review')
  reviewPage(@CurrentViewer() viewer: Viewer) {
    return this.show(viewer, 'review_documents', (c) =>
      view('verification/review', {
        ...this.stepContext(c, 'review_documents'),
        chosen: c.documents.map((d) => ({ ...d, doc: findDocument(d.type) })),
        supporting: neededSupporting(c),
        name: fullName(c),
        identifier: c.identifierKind,
        last4: c.identifierLast4,
        tip: TRANSLATION_TIP,
      }),
    );
  }

  // ---- Save & Exit and the resume link --------------------------------------------------------

  @Post('save-and-exit')
  async saveAndExit(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Body() body: unknown) {
    await this.rateLimits.consume('verify-save-exit:account', viewer.accountId);
    // A step's Save & Exit button submits the step's own form here: what was typed becomes a draft.
    const form = readForm(SaveAndExitForm, body);
    const key = form.valid!.draftStep as StepKey;
    const fields = Object.hasOwn(DRAFT_FIELDS, key) ? DRAFT_FIELDS[key] : undefined;
    const draft = fields && { step: key, fields: typedValues(form, fields) };
    await this.resumes.saveAndExit(viewer.accountId, viewer.email, this.languages.of(req), draft);
    await this.sessions.end(req, res);
    return redirect('/verify/saved');
  }

  @Get('resume')
  async resumePage(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Query() query: unknown) {
    await this.throttleResume(req, viewer);
    const { code } = readForm(ResumeForm, query).valid!;
    const found = await this.resumes.find(viewer.accountId, code);
    if (found.state === 'unknown') throw new NotFoundException();
    if (found.state === 'gone') return view('verification/resume-gone', {}, 410);
    return view('verification/resume', { code });
  }

  @Post('resume')
  async resume(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() body: unknown) {
    await this.throttleResume(req, viewer);
    const result = await this.resumes.use(viewer.accountId, readForm(ResumeForm, body).valid!.code);
    if (result === 'unknown') throw new NotFoundException();
    if (result === 'gone') return view('verification/resume-gone', {}, 410);
    return redirect(result.location);
  }

  private async throttleResume(req: WebRequest, viewer: Viewer) {
    await this.rateLimits.consume('verify-resume:ip', req.ip ?? '');
    await this.rateLimits.consume('verify-resume:account', viewer.accountId);
  }
}

/** After Save & Exit the session has ended: this page is for someone signed out, so it sits outside the guard. */
@Controller('verify')
export class SavedController {
  @Get('saved')
  savedPage() {
    return view('verification/saved');
  }
}

/** The Self-Service screens' own progress (phone, address, SSN). */
function selfServiceProgress(current: number) {
  return { stages: ['verification.selfService.phone', 'verification.selfService.address', 'verification.selfService.ssn'], current };
}
