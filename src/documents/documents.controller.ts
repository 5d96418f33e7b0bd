import { Body, Controller, Get, NotFoundException, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { SignedInGuard } from '../identity/signed-in.guard';
import { countrySelectOptions } from '../mfa/phone';
import { TRANSLATION_TIP } from '../verification/catalog';
import { CaseSteps } from '../verification/case-steps';
import { TRACKER, currentStep, step } from '../verification/flow';
import type { VerificationCase } from '../verification/verification-case.entity';
import { Csrf } from '../web/csrf';
import type { WebRequest } from '../web/request';
import { redirect, view, type FieldErrors } from '../web/view';
import { REJECT_REASONS } from './document-review.entity';
import { DocumentsService, HOLDING, SENDING } from './documents.service';
import { HINTS } from './images';
import { readUpload } from './multipart';

/** Sends a stored file to its owner or reviewer: never cached, never sniffed, never inline script. */
export function sendFile(res: Response, mime: string, data: Buffer): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Content-Disposition', mime === 'application/pdf' ? 'attachment; filename="document.pdf"' : 'inline');
  res.type(mime).send(data);
}

/** The applicant's side: send documents (Choose Image), confirm and continue, then hold for review. */
@Controller('documents')
@UseGuards(SignedInGuard)
export class DocumentsController {
  constructor(
    private readonly steps: CaseSteps,
    private readonly documents: DocumentsService,
    private readonly csrf: Csrf,
  ) {}

  private async uploadView(c: VerificationCase, errors: FieldErrors = {}, status = 200, values: Record<string, unknown> = {}) {
    const [items, capture] = await Promise.all([this.documents.state(c), this.documents.activeCapture(c.id)]);
    const labels: Record<string, string> = { documents: 'Your documents', confirm: 'Confirmation', country: 'Country', number: 'Phone number' };
    items.forEach((item, i) => item.sides.forEach((s) => (labels[`file-${i}-${s.key}`] = `${item.doc.label}, ${s.label.toLowerCase()}`)));
    return view(
      'documents/upload',
      {
        step: { key: 'send_documents', title: step('send_documents').title, route: '/documents' },
        tracker: { stages: TRACKER, current: 2 },
        back: c.status === 'documents_chosen' ? '/verify/documents/review' : '/documents/review',
        items,
        hints: HINTS,
        reasons: REJECT_REASONS,
        replacing: c.status !== 'documents_chosen',
        tip: TRANSLATION_TIP,
        errors: Object.keys(errors).length ? errors : undefined,
        labels,
        values,
        capture,
        countries: countrySelectOptions(),
      },
      status,
    );
  }

  @Get()
  async page(@Req() req: WebRequest) {
    const c = await this.steps.open(req.viewer!.accountId);
    if (HOLDING.includes(c.status) && !SENDING.includes(c.status)) return redirect('/documents/review');
    if (!c.track || !SENDING.includes(c.status)) return redirect(currentStep(c).route);
    return this.uploadView(c);
  }

  /** "Continue": submit for review. */
  @Post()
  async submit(@Req() req: WebRequest, @Body() form: Record<string, unknown>) {
    const c = await this.steps.open(req.viewer!.accountId);
    if (!c.track || !SENDING.includes(c.status)) return redirect(HOLDING.includes(c.status) ? '/documents/review' : currentStep(c).route);
    const outcome = await this.documents.submit(req.viewer!.accountId, form.confirm === 'yes');
    if ('location' in outcome) return redirect(outcome.location);
    return this.uploadView(c, outcome.errors, 400, { confirm: form.confirm === 'yes' });
  }

  /** "Choose Image": one file for one side of one document (multipart, read by its own parser). */
  @Post('upload/:item/:side')
  async upload(@Req() req: WebRequest, @Param('item') itemKey: string, @Param('side') side: string) {
    const parsed = await readUpload(req, (token) => this.csrf.isValidToken(req, token));
    const c = await this.steps.open(req.viewer!.accountId);
    if (!c.track || !SENDING.includes(c.status)) return redirect(HOLDING.includes(c.status) ? '/documents/review' : currentStep(c).route);
    const items = await this.documents.state(c);
    const index = items.findIndex((i) => i.key === itemKey);
    if (index < 0 || !items[index].sides.some((s) => s.key === side)) throw new NotFoundException();
    const field = `file-${index}-${side}`;
    if (!parsed.ok) return this.uploadView(c, { [field]: parsed.message }, parsed.status);
    const stored = await this.documents.upload(req.viewer!.accountId, itemKey, side, parsed.file, 'upload');
    if (!stored.ok) return this.uploadView(c, { [field]: stored.message }, stored.status);
    return redirect(`/documents#${itemKey}`);
  }

  /** "Take Photo": a one-time link to this case's phone page, by SMS. */
  @Post('phone')
  async phone(@Req() req: WebRequest, @Body() form: Record<string, unknown>) {
    const c = await this.steps.open(req.viewer!.accountId);
    if (!c.track || !SENDING.includes(c.status)) return redirect(HOLDING.includes(c.status) ? '/documents/review' : currentStep(c).route);
    const outcome = await this.documents.sendCaptureLink(req.viewer!.accountId, form.country, form.number);
    if ('errors' in outcome) return this.uploadView(c, outcome.errors, 400, { country: form.country, number: typeof form.number === 'string' ? form.number.slice(0, 40) : '' });
    return redirect('/documents#take-photo');
  }

  /** The applicant's own image (anyone else's: 404). */
  @Get('file/:id')
  async file(@Req() req: WebRequest, @Param('id') id: string, @Res() res: Response) {
    const file = await this.documents.ownFile(req.viewer!.accountId, id);
    if (!file) throw new NotFoundException();
    sendFile(res, file.mime, await this.documents.contents(file));
  }

  /** Hold for document review: live status (the status fragment polls itself every 3 s). */
  @Get('review')
  async hold(@Req() req: WebRequest) {
    const c = await this.steps.open(req.viewer!.accountId);
    if (!HOLDING.includes(c.status)) return redirect(SENDING.includes(c.status) && c.track ? '/documents' : currentStep(c).route);
    return view('documents/hold', await this.holdContext(c));
  }

  @Get('review/status')
  async status(@Req() req: WebRequest) {
    const c = await this.steps.open(req.viewer!.accountId);
    return view('documents/status', await this.holdContext(c));
  }

  /** The hold page's form: "Check again" without JavaScript. */
  @Post('review')
  async holdPost(@Req() req: WebRequest) {
    const c = await this.steps.open(req.viewer!.accountId);
    return redirect(HOLDING.includes(c.status) ? '/documents/review' : currentStep(c).route);
  }

  private async holdContext(c: VerificationCase) {
    const { items, review } = await this.documents.stateAndReview(c);
    return {
      step: { key: 'document_review', title: step('document_review').title, route: '/documents/review' },
      tracker: { stages: TRACKER, current: c.status === 'approved' ? 4 : 3 },
      status: c.status,
      waiting: c.status === 'documents_submitted' || c.status === 'in_review',
      rejected: c.status === 'documents_rejected' ? items.filter((i) => i.decision?.decision === 'rejected') : [],
      reasons: REJECT_REASONS,
      submittedAt: review?.submittedAt,
    };
  }
}
