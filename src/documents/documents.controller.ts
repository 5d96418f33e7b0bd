import { Body, Controller, Get, NotFoundException, Param, Post, Req, UseGuards } from '@nestjs/common';
import { SignedInGuard } from '../identity/signed-in.guard';
import { LanguageResolver } from '../i18n/language';
import type { Language } from '../i18n/languages';
import { Messages, phrase, type Text } from '../i18n/messages';
import { countrySelectOptions } from '../mfa/phone';
import { TRANSLATION_TIP } from '../verification/catalog';
import { CaseSteps } from '../verification/case-steps';
import { currentStep, landing, mayShow, pageOf } from '../verification/flow';
import type { VerificationCase } from '../verification/verification-case.entity';
import { Csrf, CsrfInMultipartBody } from '../web/csrf';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { fileResponse, redirect, view } from '../web/view';
import { DocumentFilesService } from './document-files.service';
import { CAPTURE_MINUTES, DocumentsService } from './documents.service';
import { readUpload } from './multipart';
import { ReviewTimeEstimate } from './review-time';
import type { Item } from './sides';
import { SubmissionService, type ItemState } from './submission.service';

type Problems = Record<string, Text>;

/**
 * What the error summary calls each field of a documents page, in the reader's language
 * (the summary's macro prints its labels as given).
 */
export function fieldLabels(messages: Messages, language: Language, items: ItemState[]): Record<string, string> {
  const text = (key: Text) => messages.text(language, key);
  const labels: Record<string, string> = {
    documents: text('documents.upload.fields.documents'),
    confirm: text('documents.upload.fields.confirm'),
    country: text('documents.upload.phone.country'),
    number: text('documents.upload.phone.number'),
  };
  items.forEach((item, i) =>
    item.sides.forEach((s) => (labels[`file-${i}-${s.key}`] = messages.text(language, 'documents.upload.fields.file', { document: text(item.doc.label), side: text(s.text) }))),
  );
  return labels;
}

/** The applicant's side: send documents (Choose Image), confirm and continue, then hold for review. */
@Controller('documents')
@UseGuards(SignedInGuard)
export class DocumentsController {
  constructor(
    private readonly steps: CaseSteps,
    private readonly submission: SubmissionService,
    private readonly files: DocumentFilesService,
    private readonly documents: DocumentsService,
    private readonly csrf: Csrf,
    private readonly languages: LanguageResolver,
    private readonly messages: Messages,
    private readonly reviewTime: ReviewTimeEstimate,
  ) {}

  /** "Send your passport and utility bill before you continue": the names in the reader's language and grammar. */
  private missingError(language: Language, missing: Item[]): Text {
    const names = missing.map((i) => this.messages.text(language, i.doc.name));
    return phrase('documents.errors.missing', { documents: new Intl.ListFormat(language, { type: 'conjunction' }).format(names) });
  }

  private async uploadView(req: WebRequest, c: VerificationCase, errors: Problems = {}, status = 200, values: Record<string, unknown> = {}) {
    const [items, capture] = await Promise.all([this.submission.state(c), this.documents.activeCapture(c.id)]);
    const labels = fieldLabels(this.messages, this.languages.of(req), items);
    return view(
      'documents/upload',
      {
        ...pageOf(c, 'send_documents'),
        back: c.status === 'documents_chosen' ? '/verify/documents/review' : '/documents/review',
        items,
        replacing: c.status !== 'documents_chosen',
        tip: TRANSLATION_TIP,
        errors: Object.keys(errors).length ? errors : undefined,
        labels,
        values,
        capture,
        captureMinutes: CAPTURE_MINUTES,
        countries: countrySelectOptions(this.languages.of(req)),
      },
      status,
    );
  }

  @Get()
  async page(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest) {
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, 'send_documents')) return redirect(landing(c, 'send_documents').route);
    return this.uploadView(req, c);
  }

  /** "Continue": submit for review. */
  @Post()
  async submit(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() form: Record<string, unknown>) {
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, 'send_documents')) return redirect(landing(c, 'send_documents').route);
    const outcome = await this.submission.submit(viewer.accountId, form.confirm === 'yes');
    if ('location' in outcome) return redirect(outcome.location);
    const errors: Problems = { ...outcome.errors };
    if (outcome.missing.length) errors.documents = this.missingError(this.languages.of(req), outcome.missing);
    return this.uploadView(req, c, errors, 400, { confirm: form.confirm === 'yes' });
  }

  /** "Choose Image": one file for one side of one document (multipart, read by its own parser). */
  @Post('upload/:item/:side')
  @CsrfInMultipartBody()
  async upload(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('item') itemKey: string, @Param('side') side: string) {
    const parsed = await readUpload(req, (token) => this.csrf.isValidToken(req, token));
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, 'send_documents')) return redirect(landing(c, 'send_documents').route);
    const items = await this.submission.state(c);
    const index = items.findIndex((i) => i.key === itemKey);
    if (index < 0 || !items[index].sides.some((s) => s.key === side)) throw new NotFoundException();
    const field = `file-${index}-${side}`;
    if (!parsed.ok) return this.uploadView(req, c, { [field]: parsed.message }, parsed.status);
    const stored = await this.files.upload(viewer.accountId, itemKey, side, parsed.file, 'upload');
    if (!stored.ok) return this.uploadView(req, c, { [field]: stored.message }, stored.status);
    return redirect(`/documents#${itemKey}`);
  }

  /** "Take Photo": a one-time link to this case's phone page, by SMS. */
  @Post('phone')
  async phone(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() form: Record<string, unknown>) {
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, 'send_documents')) return redirect(landing(c, 'send_documents').route);
    const outcome = await this.documents.sendCaptureLink(viewer.accountId, form.country, form.number, this.languages.of(req));
    if ('errors' in outcome) return this.uploadView(req, c, outcome.errors, 400, { country: form.country, number: typeof form.number === 'string' ? form.number.slice(0, 40) : '' });
    return redirect('/documents#take-photo');
  }

  /** The applicant's own image (anyone else's: 404). */
  @Get('file/:id')
  async file(@CurrentViewer() viewer: Viewer, @Param('id') id: string) {
    const file = await this.files.ownFile(viewer.accountId, id);
    if (!file) throw new NotFoundException();
    return fileResponse(file.mime, await this.files.contents(file));
  }

  /** Hold for document review: live status (the status fragment polls itself every 3 s). */
  @Get('review')
  async hold(@CurrentViewer() viewer: Viewer) {
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, 'document_review')) return redirect(landing(c, 'document_review').route);
    return view('documents/hold', await this.holdContext(c));
  }

  @Get('review/status')
  async status(@CurrentViewer() viewer: Viewer) {
    const c = await this.steps.open(viewer.accountId);
    return view('documents/status', await this.holdContext(c));
  }

  /** The hold page's form: "Check again" without JavaScript. */
  @Post('review')
  async holdPost(@CurrentViewer() viewer: Viewer) {
    const c = await this.steps.open(viewer.accountId);
    return redirect(mayShow(c, 'document_review') ? '/documents/review' : currentStep(c).route);
  }

  private async holdContext(c: VerificationCase) {
    const { items, review } = await this.submission.stateAndReview(c);
    return {
      ...pageOf(c, 'document_review'),
      status: c.status,
      waiting: c.status === 'documents_submitted' || c.status === 'in_review',
      rejected: c.status === 'documents_rejected' ? items.filter((i) => i.decision?.decision === 'rejected') : [],
      submittedAt: review?.submittedAt,
      reviewTime: c.status === 'documents_submitted' || c.status === 'in_review' ? await this.reviewTime.phrase() : undefined,
    };
  }
}
