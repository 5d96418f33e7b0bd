import { ExpressAdapter } from '@nestjs/platform-express';
import type { Response } from 'express';
import { RenderedPage, type Renderer, sendPage } from './renderer';
import type { WebRequest } from './request';
import { Redirect, View } from './view';

/**
 * Nest's Express adapter, taught to send what controllers return: a View is rendered here
 * (full page or fragment, see renderer.ts), and a page or a redirect carries its own status
 * (a form with errors is a 400, a redirect after POST a 303), which Nest's default reply
 * would overwrite with 200/201. Rendering here rather than in an interceptor spares every
 * request Nest's interceptor chain; an error while rendering still reaches the errors filter.
 */
export class RefereeHttpAdapter extends ExpressAdapter {
  private renderer?: Renderer;

  useRenderer(renderer: Renderer): void {
    this.renderer = renderer;
  }

  override reply(response: Response, body: unknown, statusCode?: number) {
    if (body instanceof View) {
      if (!this.renderer) throw new Error('RefereeHttpAdapter: no renderer (createApp sets it)');
      return sendPage(response, this.renderer.render(response.req as WebRequest, body));
    }
    if (body instanceof RenderedPage || body instanceof Redirect) return sendPage(response, body);
    return super.reply(response, body, statusCode);
  }
}
