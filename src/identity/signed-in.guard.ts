import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { RedirectException } from '../web/redirect.exception';
import type { WebRequest } from '../web/request';

/** Pages for signed-in people: anyone else is sent to sign in, and brought back afterwards. */
@Injectable()
export class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<WebRequest>();
    if (req.viewer) return true;
    const query = new URLSearchParams();
    if (req.method === 'GET') query.set('next', req.originalUrl);
    if (req.sessionEnded) query.set('timed-out', '1'); // so the sign-in page can say why
    const search = query.toString();
    throw new RedirectException(`/sign-in${search ? `?${search}` : ''}`);
  }
}
