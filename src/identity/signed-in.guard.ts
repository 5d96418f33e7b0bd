import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { signInFirst } from '../web/redirect.exception';
import type { WebRequest } from '../web/request';

/** Pages for signed-in people: anyone else is sent to sign in, and brought back afterwards. */
@Injectable()
export class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<WebRequest>();
    if (req.viewer) return true;
    throw signInFirst(req);
  }
}
