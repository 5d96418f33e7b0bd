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
import { readForm } from '../web/form';
import { fileResponse, redirect, view } from '../web/view';
import { DocumentFilesService } from './document-files.service';
import { CAPTURE_MINUTES, DocumentsService } from './documents.service';
import { HeldPhotoForm, SubmitDocumentsForm, captureLinkForm } from './forms';
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

/**
 * A document as its form shows it: the required sides, and the optional pages folded away
 * (open when one of them has a photo or an error, so nothing is hidden that matters).
 */
export function formItems<T extends ItemState>(items: T[], errors: Problems, index: (item: T, i: number) => number = (_, i) => i) {
  return items.map((item, i) => {
    const optional = item.sides.filter((s) => !s.required);
    const used = (key: string) => !!item.files[key] || !!item.held[key] || !!errors[`file-${index(item, i)}-${key}`];
    // Every side held: its two choices are all there is to do (no file to pick, no Send).
    const picking = item.sides.some((s) => !item.held[s.key]);
    return { ...item, required: item.sides.filter((s) => s.required), optional, optionalOpen: optional.some((s) => used(s.key)), picking };
  });
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
    // "Text me a link" starts with the number given with the details (what was typed wins).
    const phone = 'number' in values ? values : this.documents.phoneOnFile(c);
    return view(
      'documents/upload',
      {
        ...pageOf(c, 'send_documents'),
        back: c.status === 'documents_chosen' ? '/verify/documents/review' : '/documents/review',
        items: formItems(items, errors),
        replacing: c.status !== 'documents_chosen',
        tip: TRANSLATION_TIP,
        errors: Object.keys(errors).length ? errors : undefined,
        labels,
        values: { ...values, ...phone },
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
  async submit(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() body: unknown) {
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, 'send_documents')) return redirect(landing(c, 'send_documents').route);
    const { confirm } = readForm(SubmitDocumentsForm, body).valid ?? { confirm: false };
    const outcome = await this.submission.submit(viewer.accountId, confirm);
    if ('location' in outcome) return redirect(outcome.location);
    const errors: Problems = { ...outcome.errors };
    if (outcome.missing.length) errors.documents = this.missingError(this.languages.of(req), outcome.missing);
    return this.uploadView(req, c, errors, 400, { confirm });
  }

  /** "Send": a document's form, a file for each side picked (Take Photo or Choose Image; multipart, read by its own parser). */
  @Post('upload/:item')
  @CsrfInMultipartBody()
  uploadDocument(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('item') itemKey: string) {
    return this.upload(viewer, req, itemKey);
  }

  /** One file (the field `file`) for one side of a document. */
  @Post('upload/:item/:side')
  @CsrfInMultipartBody()
  uploadSide(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('item') itemKey: string, @Param('side') side: string) {
    return this.upload(viewer, req, itemKey, side);
  }

  private async upload(viewer: Viewer, req: WebRequest, itemKey: string, onlySide?: string) {
    const parsed = await readUpload(req, (token) => this.csrf.isValidToken(req, token));
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, 'send_documents')) return redirect(landing(c, 'send_documents').route);
    const received = await this.files.receiveDocument(c, itemKey, parsed, 'upload', onlySide);
    if (received === 'unknown') throw new NotFoundException();
    if (Object.keys(received.refused).length) return this.uploadView(req, c, received.refused, received.status);
    return redirect(`/documents#${itemKey}`);
  }

  /** A held photo: "Use this photo anyway" counts it as sent, "Take another photo" deletes it. */
  @Post('held/:id')
  async held(@CurrentViewer() viewer: Viewer, @Param('id') id: string, @Body() body: unknown) {
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, 'send_documents')) return redirect(landing(c, 'send_documents').route);
    const { choice } = readForm(HeldPhotoForm, body).valid ?? { choice: 'retake' as const };
    const file = await this.files.ownFile(viewer.accountId, id);
    if (!file || !(await this.files.decideHeld(c, id, choice === 'use'))) throw new NotFoundException();
    const index = (await this.submission.state(c)).findIndex((i) => i.key === file.item);
    // Back to the photo kept, or to the side's camera to take another.
    return redirect(choice === 'use' ? `/documents#${file.item}` : `/documents#photo-${index}-${file.side}`);
  }

  /** "Take Photo" on a computer: a one-time link to this case's phone page, by SMS. */
  @Post('phone')
  async phone(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() body: unknown) {
    const c = await this.steps.open(viewer.accountId);
    if (!mayShow(c, 'send_documents')) return redirect(landing(c, 'send_documents').route);
    const form = readForm(captureLinkForm(this.languages.of(req)), body);
    const typed = { country: form.typed('country'), number: form.typed('number').slice(0, 40) };
    if (form.errors) return this.uploadView(req, c, form.errors, 400, typed);
    const outcome = await this.documents.sendCaptureLink(viewer.accountId, form.valid.e164, this.languages.of(req));
    if ('errors' in outcome) return this.uploadView(req, c, outcome.errors, 400, typed);
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
