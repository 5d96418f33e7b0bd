import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import { LanguageResolver } from '../i18n/language';
import { Messages, type Text } from '../i18n/messages';
import { Csrf, CsrfInMultipartBody } from '../web/csrf';
import type { WebRequest } from '../web/request';
import { fileResponse, redirect, view } from '../web/view';
import { fieldLabels, formItems } from './documents.controller';
import { HeldPhotoForm } from './forms';
import { readForm } from '../web/form';
import { DocumentFilesService } from './document-files.service';
import { DocumentsService } from './documents.service';
import { readUpload } from './multipart';
import { SubmissionService } from './submission.service';

/**
 * "Take Photo": the phone page a one-time SMS link opens (no sign-in on the phone: the
 * link is the credential, bound to one case, for 15 minutes). The desktop page polls and
 * shows the photos as they arrive.
 */
@Controller('capture')
export class CaptureController {
  constructor(
    private readonly documents: DocumentsService,
    private readonly submission: SubmissionService,
    private readonly files: DocumentFilesService,
    private readonly csrf: Csrf,
    private readonly languages: LanguageResolver,
    private readonly messages: Messages,
  ) {}

  private async page(req: WebRequest, token: string, errors: Record<string, Text> = {}, status = 200, sent?: string) {
    const c = await this.documents.captureCase(token);
    if (!c) return view('documents/capture-expired', {}, 404);
    const all = await this.submission.state(c);
    // Field names keep the item's place among all items (as the upload route numbers them).
    const labels = fieldLabels(this.messages, this.languages.of(req), all);
    const items = formItems(
      all.map((item, index) => ({ ...item, index })).filter((i) => i.editable),
      errors,
      (item) => item.index,
    );
    // "Photo sent" only when nothing waits for "Use this photo anyway" (a held photo is not sent yet).
    const held = items.some((i) => Object.values(i.held).some(Boolean));
    return view('documents/capture', { token, items, sent: held ? undefined : sent, labels, errors: Object.keys(errors).length ? errors : undefined }, status);
  }

  @Get(':token')
  show(@Req() req: WebRequest, @Param('token') token: string, @Query('sent') sent?: string) {
    return this.page(req, token, {}, 200, typeof sent === 'string' ? sent.slice(0, 100) : undefined);
  }

  /** A document's form on the phone: a photo for each side taken. */
  @Post(':token/upload/:item')
  @CsrfInMultipartBody()
  uploadDocument(@Req() req: WebRequest, @Param('token') token: string, @Param('item') itemKey: string) {
    return this.upload(req, token, itemKey);
  }

  /** One photo (the field `file`) for one side. */
  @Post(':token/upload/:item/:side')
  @CsrfInMultipartBody()
  uploadSide(@Req() req: WebRequest, @Param('token') token: string, @Param('item') itemKey: string, @Param('side') side: string) {
    return this.upload(req, token, itemKey, side);
  }

  private async upload(req: WebRequest, token: string, itemKey: string, onlySide?: string) {
    const parsed = await readUpload(req, (sent) => this.csrf.isValidToken(req, sent));
    const c = await this.documents.captureCase(token);
    if (!c) return view('documents/capture-expired', {}, 404);
    const received = await this.files.receiveDocument(c, itemKey, parsed, 'phone', onlySide);
    if (received === 'unknown') throw new NotFoundException();
    if (Object.keys(received.refused).length) return this.page(req, token, received.refused, received.status);
    return redirect(`/capture/${token}?sent=${encodeURIComponent(itemKey)}#${encodeURIComponent(itemKey)}`);
  }

  /** A held photo, shown on the phone beside its problem (only held ones: the link shows nothing else already sent). */
  @Get(':token/file/:id')
  async heldFile(@Param('token') token: string, @Param('id') id: string) {
    const c = await this.documents.captureCase(token);
    const file = c && (await this.files.fileOfCase(c.id, id));
    if (!file || !file.held) throw new NotFoundException();
    return fileResponse(file.mime, await this.files.contents(file));
  }

  /** A held photo, from the phone: "Use this photo anyway" or "Take another photo". */
  @Post(':token/held/:id')
  async held(@Param('token') token: string, @Param('id') id: string, @Body() body: unknown) {
    const c = await this.documents.captureCase(token);
    if (!c) return view('documents/capture-expired', {}, 404);
    const { choice } = readForm(HeldPhotoForm, body).valid ?? { choice: 'retake' as const };
    if (!(await this.files.decideHeld(c, id, choice === 'use'))) throw new NotFoundException();
    return redirect(`/capture/${token}`);
  }
}
