import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { of, type Observable } from 'rxjs';
import type { WebRequest } from '../web/request';
import { redirect, view } from '../web/view';
import { SCHEDULED_PAGE } from './account-deletion.controller';

/** What a person waiting for their deletion may still use: the privacy pages (download, cancel), signing out, help and policies. */
const STILL_OPEN = /^\/(account\/(privacy|confirm)(\/|$)|sign-out$|session\/|help(\/|$)|policies(\/|$)|language(\/|$)|dev\/outbox)/;
/** An organization's OpenID sign-in coming back from Referee's sign-in. */
const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/;

/**
 * While an account waits for its deletion, signing in leads to "Your account will be deleted
 * on …" (keep it, or sign out), whatever page was asked for; an organization's sign-in shows
 * that the account is being deleted, with a button that cancels and goes on with it.
 */
@Injectable()
export class AccountDeletionInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<WebRequest>();
    if (!req.viewer?.deletionPending || STILL_OPEN.test(req.path)) return next.handle();
    const interaction = INTERACTION.exec(req.path);
    if (interaction && req.method === 'GET') return of(view('privacy/delete-openid', { next: `/interaction/${interaction[1]}` }));
    return of(redirect(SCHEDULED_PAGE));
  }
}
