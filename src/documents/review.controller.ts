import { Body, Controller, Get, NotFoundException, Param, Post, Req, UseGuards } from '@nestjs/common';
import { actorOf } from '../audit/audit.service';
import { LanguageResolver } from '../i18n/language';
import { Messages } from '../i18n/messages';
import { RequireRole, RolesGuard } from '../staff/roles.guard';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { readForm } from '../web/form';
import { fileResponse, redirect, view, type FieldErrors } from '../web/view';
import { REJECT_REASONS, reasonText } from './document-review.entity';
import { DocumentFilesService } from './document-files.service';
import { reviewDecisionForm } from './forms';
import { ReviewDecisionsService } from './review-decisions.service';
import { ReviewQueueService } from './review-queue.service';
import { SubmissionService } from './submission.service';
import { StaffAccess } from './work-access';

/** The document review console: the queue, "Next case", and the review of a claimed case. */
@Controller('agent/review')
@UseGuards(RolesGuard)
@RequireRole('reviewer', 'supervisor')
export class ReviewController {
  constructor(
    private readonly reviews: ReviewQueueService,
    private readonly decisions: ReviewDecisionsService,
    private readonly submission: SubmissionService,
    private readonly files: DocumentFilesService,
    private readonly messages: Messages,
    private readonly languages: LanguageResolver,
    private readonly access: StaffAccess,
  ) {}

  @Get()
  async queue(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest) {
    const [queue, mine] = await Promise.all([this.reviews.queue(), this.reviews.claimsOf(viewer.accountId)]);
    return view('documents/agent-queue', { queue, mine, claimMinutes: this.reviews.claimMinutes, empty: req.query.empty === '1', decided: typeof req.query.decided === 'string' });
  }

  @Post('next')
  async next(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest) {
    const caseId = await this.reviews.claimNext({ ...actorOf(req), actorId: viewer.accountId });
    return redirect(caseId ? `/agent/review/${caseId}` : '/agent/review?empty=1');
  }

  /**
   * The reviewer does not hold this case (any more): when a supervisor moved it or the claim
   * lapsed, a page that says so (409, with the way back to the queue); otherwise 404.
   */
  private async notYours(viewer: Viewer, caseId: string) {
    const reason = await this.reviews.lostClaim(caseId, viewer.accountId);
    if (!reason) throw new NotFoundException();
    return view('documents/claim-lost', { reason, claimMinutes: this.reviews.claimMinutes }, 409);
  }

  private async page(req: WebRequest, viewer: Viewer, caseId: string, errors: FieldErrors = {}, form: Record<string, unknown> = {}) {
    const access = await this.access.of(viewer.accountId, { review: caseId });
    const found = access && (await this.reviews.caseAndReview(access.caseId));
    if (!access || !found) return this.notYours(viewer, caseId);
    const { c, review } = found;
    const details = this.reviews.details(c);
    await this.files.auditView(actorOf(req), c.id, 'documents.details_viewed', undefined, { fields: ['name', 'dateOfBirth', 'address'], as: access.as, role: access.as === 'holder' ? 'reviewer' : 'supervisor' });
    const items = await this.submission.state(c);
    // The error summary names each document as its fieldset does, in the reader's language.
    const language = this.languages.of(req);
    const errorLabels = Object.fromEntries(
      items.flatMap((item, i) => [`decision-${i}`, `reasons-${i}`].map((field) => [field, this.messages.text(language, item.doc.label)])),
    );
    return view(
      'documents/agent-review',
      {
        caseId: c.id,
        details,
        identifier: { kind: c.identifierKind, last4: c.identifierLast4 },
        items,
        previous: review.decisions,
        submissions: review.submissions,
        // The reasons' names are the ones the applicant reads (documents.reasons.*).
        reasons: REJECT_REASONS.map((code) => ({ code, text: reasonText(code) })),
        form,
        // A supervisor's look: no decision form.
        readOnly: access.as !== 'holder',
        errorLabels,
        errors: Object.keys(errors).length ? errors : undefined,
      },
      Object.keys(errors).length ? 400 : 200,
    );
  }

  @Get(':caseId')
  show(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('caseId') caseId: string) {
    return this.page(req, viewer, caseId);
  }

  /** One image of a claimed case; every view is written to the audit log. */
  @Get(':caseId/file/:fileId')
  async file(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('caseId') caseId: string, @Param('fileId') fileId: string) {
    const access = await this.access.of(viewer.accountId, { review: caseId });
    const file = access && (await this.files.fileOfCase(access.caseId, fileId));
    if (!access || !file) throw new NotFoundException();
    await this.files.auditView(actorOf(req), access.caseId, 'documents.image_viewed', file.id, { item: file.item, side: file.side, as: access.as, role: access.as === 'holder' ? 'reviewer' : 'supervisor' });
    return fileResponse(file.mime, await this.files.contents(file));
  }

  @Post(':caseId')
  async decide(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('caseId') caseId: string, @Body() form: Record<string, unknown>) {
    const held = await this.access.heldCase(viewer.accountId, { review: caseId });
    const found = held && (await this.reviews.caseAndReview(held));
    if (!found) return this.notYours(viewer, caseId);
    const items = await this.submission.state(found.c);
    const read = readForm(reviewDecisionForm(items), form);
    if (read.errors) return this.page(req, viewer, caseId, read.errors, form);
    const outcome = await this.decisions.decide(caseId, { ...actorOf(req), actorId: viewer.accountId }, read.valid);
    if (outcome === 'not-claimed') return this.notYours(viewer, caseId);
    return redirect(`/agent/review?decided=${outcome}`);
  }
}
