import { Controller, Get, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import { Csrf } from '../web/csrf';
import type { WebRequest } from '../web/request';
import { redirect, view } from '../web/view';
import { DocumentsService } from './documents.service';
import { HINTS } from './images';
import { readUpload } from './multipart';

/**
 * "Take Photo": the phone page a one-time SMS link opens (no sign-in on the phone: the
 * link is the credential, bound to one case, for 15 minutes). The desktop page polls and
 * shows the photos as they arrive.
 */
@Controller('capture')
export class CaptureController {
  constructor(private readonly documents: DocumentsService, private readonly csrf: Csrf) {}

  private async page(token: string, errors: Record<string, string> = {}, status = 200, sent?: string) {
    const c = await this.documents.captureCase(token);
    if (!c) return view('documents/capture-expired', {}, 404);
    const items = (await this.documents.state(c)).filter((i) => i.editable);
    return view('documents/capture', { token, items, hints: HINTS, sent, errors: Object.keys(errors).length ? errors : undefined }, status);
  }

  @Get(':token')
  show(@Param('token') token: string, @Query('sent') sent?: string) {
    return this.page(token, {}, 200, typeof sent === 'string' ? sent.slice(0, 100) : undefined);
  }

  @Post(':token/upload/:item/:side')
  async upload(@Req() req: WebRequest, @Param('token') token: string, @Param('item') itemKey: string, @Param('side') side: string) {
    const parsed = await readUpload(req, (sent) => this.csrf.isValidToken(req, sent));
    const c = await this.documents.captureCase(token);
    if (!c) return view('documents/capture-expired', {}, 404);
    const items = await this.documents.state(c);
    const index = items.findIndex((i) => i.key === itemKey);
    if (index < 0 || !items[index].sides.some((s) => s.key === side)) throw new NotFoundException();
    const field = `file-${index}-${side}`;
    if (!parsed.ok) return this.page(token, { [field]: parsed.message }, parsed.status);
    const stored = await this.documents.uploadToCase(c, itemKey, side, parsed.file, 'phone');
    if (!stored.ok) return this.page(token, { [field]: stored.message }, stored.status);
    return redirect(`/capture/${token}?sent=${encodeURIComponent(`${itemKey}/${side}`)}`);
  }
}
