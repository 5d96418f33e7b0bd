import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { Renderer } from './renderer';
import type { WebRequest } from './request';
import { View } from './view';

/** Turns a controller's View into a RenderedPage (see http-adapter.ts for the sending). */
@Injectable()
export class ViewInterceptor implements NestInterceptor {
  constructor(private readonly renderer: Renderer) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<WebRequest>();
    return next.handle().pipe(map((result) => (result instanceof View ? this.renderer.render(req, result) : result)));
  }
}
