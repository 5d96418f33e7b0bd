import { ExpressAdapter } from '@nestjs/platform-express';
import type { Response } from 'express';
import { RenderedPage, type Renderer, sendPage } from './renderer';
import type { WebRequest } from './request';
import { FileResponse, Redirect, View } from './view';

/**
 * Nest's Express adapter, taught to send what controllers return: a View is rendered here, a file sent with its own headers
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
    if (body instanceof FileResponse) return sendFile(response, body);
    return super.reply(response, body, statusCode);
  }
}

/** Sends a stored file: never cached, never sniffed, never inline script. */
export function sendFile(res: Response, file: FileResponse): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Content-Disposition', file.filename ? `attachment; filename="${file.filename}"` : file.mime === 'application/pdf' ? 'attachment; filename="document.pdf"' : 'inline');
  res.type(file.mime).send(file.data);
}
