import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { tokenHash } from '../crypto/tokens';
import { Session } from '../identity/session.entity';
import { localPath, RedirectException, signInFirst } from '../web/redirect.exception';
import type { WebRequest } from '../web/request';

/**
 * How long a confirmation (password, then second factor) stands: downloading your data or
 * deleting your account must follow it closely, and the second factor the password.
 */
export const CONFIRMATION_FRESH_MS = 5 * 60_000;

/** The page that confirms who you are, coming back to `next` (a path on this site) afterwards. */
export function confirmPage(next: string): string {
  return `/account/confirm?next=${encodeURIComponent(localPath(next, '/account'))}`;
}

/**
 * Confirming who you are again, recorded on this browser's session: the password given for it,
 * then the second factor. Other modules ask `isRecent(req)` or put `ConfirmedGuard` on a route.
 */
@Injectable()
export class ConfirmationService {
  constructor(private readonly em: EntityManager) {}

  private async session(req: WebRequest): Promise<Pick<Session, 'confirmPasswordAt' | 'confirmedAt'> | null> {
    if (!req.viewer || !req.browserKey) return null;
    return this.em.fork().findOne(Session, { id: tokenHash(req.browserKey) }, { fields: ['confirmPasswordAt', 'confirmedAt'] });
  }

  private static fresh(at: Date | undefined | null): boolean {
    return !!at && Date.now() - at.getTime() <= CONFIRMATION_FRESH_MS;
  }

  /** Whether this signed-in browser confirmed who they are, password and second factor, in the last five minutes. */
  async isRecent(req: WebRequest): Promise<boolean> {
    return ConfirmationService.fresh((await this.session(req))?.confirmedAt);
  }

  /** Whether the password was just given again, so the second factor may follow. */
  async passwordRecent(req: WebRequest): Promise<boolean> {
    return ConfirmationService.fresh((await this.session(req))?.confirmPasswordAt);
  }

  /** The password was given again; a new confirmation starts (an older one no longer counts). */
  async passwordGiven(req: WebRequest): Promise<void> {
    await this.em.nativeUpdate(Session, { id: tokenHash(req.browserKey) }, { confirmPasswordAt: new Date(), confirmedAt: null });
  }

  /** The second factor followed the password: confirmed. */
  async confirmed(req: WebRequest): Promise<void> {
    await this.em.nativeUpdate(Session, { id: tokenHash(req.browserKey) }, { confirmPasswordAt: null, confirmedAt: new Date() });
  }
}

/**
 * Where a route sends someone back to once confirmed: the page itself (a GET), or for a form,
 * the page named by its `returnTo` field (browsers send no Referer: Referrer-Policy no-referrer).
 */
function comingBackTo(req: WebRequest): string {
  if (req.method === 'GET') return req.originalUrl;
  const returnTo = (req.body as Record<string, unknown> | undefined)?.returnTo;
  return localPath(returnTo, '/account');
}

/**
 * For routes that need a fresh confirmation (download my data, delete my account): others are
 * sent to sign in, or to confirm who they are and then brought back (a form says where with
 * a hidden `returnTo` field: its own page).
 */
@Injectable()
export class ConfirmedGuard implements CanActivate {
  constructor(private readonly confirmation: ConfirmationService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WebRequest>();
    if (!req.viewer) throw signInFirst(req);
    if (await this.confirmation.isRecent(req)) return true;
    throw new RedirectException(confirmPage(comingBackTo(req)));
  }
}
