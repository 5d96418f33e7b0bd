import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { RedirectException } from '../web/redirect.exception';
import type { WebRequest } from '../web/request';

/** The second-factor pages: for someone whose password was accepted (or who is signed in). */
@Injectable()
export class SecondFactorGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<WebRequest>();
    if (req.pendingSignIn || req.viewer) return true;
    throw new RedirectException(req.sessionEnded ? '/sign-in?timed-out=1' : '/sign-in');
  }
}

/** Who is at the second-factor step: the pending sign-in, or the signed-in person (and when they last gave their password). */
export function personAt(req: WebRequest): { accountId: string; email: string; signedIn: boolean; authenticatedAt: Date } {
  const who = req.viewer ?? req.pendingSignIn!;
  return { accountId: who.accountId, email: who.email, signedIn: !!req.viewer, authenticatedAt: who.authenticatedAt };
}
