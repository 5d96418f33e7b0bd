import { ExpressAdapter } from '@nestjs/platform-express';
import type { Response } from 'express';
import { RenderedPage, sendPage } from './renderer';
import { Redirect } from './view';

/**
 * Nest's Express adapter, taught that a page or a redirect carries its own status
 * (a form with errors is a 400, a redirect after POST a 303), which Nest's default
 * reply would overwrite with 200/201.
 */
export class RefereeHttpAdapter extends ExpressAdapter {
  override reply(response: Response, body: unknown, statusCode?: number) {
    if (body instanceof RenderedPage || body instanceof Redirect) return sendPage(response, body);
    return super.reply(response, body, statusCode);
  }
}
