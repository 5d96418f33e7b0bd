import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { NextFunction, Response } from 'express';
import { CONFIG, type Config } from '../config/config';
import { tokenHash } from '../crypto/tokens';
import { BrowserCookie } from '../web/browser';
import type { WebRequest } from '../web/request';
import type { Account } from './account.entity';
import { languageOrNone } from '../i18n/languages';
import { Session } from './session.entity';
import { insertSession, sessionWithAccount } from './sessions.queries';

/** lastSeenAt is written at most this often, so reading pages costs no write each time. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Server-side sessions in PostgreSQL, keyed by the hash of the browser's cookie, so
 * any instance can serve any request. Idle timeout 30 min, absolute 12 h (AAL2).
 */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly cookie: BrowserCookie,
  ) {}

  private get idleMs() {
    return this.config.sessionIdleMinutes * 60_000;
  }

  /** Finds the signed-in account of this browser, ending the session if it has timed out. */
  async resolve(req: WebRequest): Promise<void> {
    if (!req.browserKey || req.browserKeyIsNew) return;
    const id = tokenHash(req.browserKey);
    // Every signed-in request asks this: one plain statement (see sessionWithAccount).
    const session = await sessionWithAccount(this.em, id);
    if (!session) return;
    const now = Date.now();
    const expiresAt = session.expiresAt.getTime();
    let lastSeen = session.lastSeenAt.getTime();
    if (now >= expiresAt || now >= lastSeen + this.idleMs) {
      req.sessionEnded = now >= expiresAt ? 'absolute' : 'idle';
      await this.em.nativeDelete(Session, { id });
      return;
    }
    if (now - lastSeen > TOUCH_EVERY_MS) {
      lastSeen = now;
      await this.em.nativeUpdate(Session, { id }, { lastSeenAt: new Date(now) });
    }
    const who = { accountId: session.accountId, email: session.email, authenticatedAt: session.authenticatedAt, language: languageOrNone(session.language) };
    if (!session.secondFactorAt) {
      req.pendingSignIn = who;
      return;
    }
    req.viewer = { ...who, idleExpiresAt: new Date(Math.min(lastSeen + this.idleMs, expiresAt)), ...(session.deletionPending ? { deletionPending: true } : {}) };
  }

  /**
   * Starts a session on this browser with a brand-new key (no session fixation). After a
   * password it is pending until the second factor; a passkey sign-in is both factors at once.
   */
  async start(req: WebRequest, res: Response, account: Account, secondFactorDone = false): Promise<void> {
    // A session already started on this browser (a second sign-in) ends: one key, one session.
    const old = req.pendingSignIn || req.viewer ? req.browserKey : undefined;
    const key = this.cookie.issue(req, res);
    const now = new Date();
    if (old) await this.em.nativeDelete(Session, { id: tokenHash(old) });
    // One plain statement (every sign-in): the ORM's insert costs several times the round trip.
    await insertSession(this.em, {
      id: tokenHash(key),
      accountId: account.id,
      at: now,
      secondFactorAt: secondFactorDone ? now : null,
      expiresAt: new Date(now.getTime() + this.config.sessionAbsoluteHours * 3_600_000),
    });
    const who = { accountId: account.id, email: account.email, authenticatedAt: now, language: languageOrNone(account.language) };
    if (secondFactorDone) req.viewer = { ...who, idleExpiresAt: new Date(now.getTime() + this.idleMs) };
    else req.pendingSignIn = who;
  }

  /** The second factor is done (or the first one was just set up): the person is signed in. */
  async completeSecondFactor(req: WebRequest): Promise<void> {
    const who = req.pendingSignIn ?? req.viewer;
    if (!who) return;
    const now = new Date();
    await this.em.nativeUpdate(Session, { id: tokenHash(req.browserKey) }, { secondFactorAt: now, lastSeenAt: now });
    req.pendingSignIn = undefined;
    req.viewer = { ...who, idleExpiresAt: new Date(now.getTime() + this.idleMs) };
  }

  /** The person just proved who they are again (before changing their factors). */
  async reauthenticated(req: WebRequest): Promise<void> {
    if (!req.viewer) return;
    const now = new Date();
    await this.em.nativeUpdate(Session, { id: tokenHash(req.browserKey) }, { authenticatedAt: now });
    req.viewer.authenticatedAt = now;
  }

  /** Ends every session of an account except this browser's (after a change to its factors or password). */
  async endOthers(req: WebRequest, accountId: string): Promise<void> {
    await this.em.nativeDelete(Session, { account: accountId, id: { $ne: tokenHash(req.browserKey) } });
  }

  /** Ends the session and gives the browser a new key. */
  async end(req: WebRequest, res: Response): Promise<void> {
    if (req.browserKey) await this.em.nativeDelete(Session, { id: tokenHash(req.browserKey) });
    this.cookie.issue(req, res);
    req.viewer = undefined;
    req.pendingSignIn = undefined;
  }

  /** Which of these accounts are signed in now (past the second factor, neither idle nor expired). */
  async signedInAmong(accountIds: string[]): Promise<Set<string>> {
    if (!accountIds.length) return new Set();
    const now = Date.now();
    const live = await this.em.find(
      Session,
      { account: { $in: accountIds }, secondFactorAt: { $ne: null }, lastSeenAt: { $gt: new Date(now - this.idleMs) }, expiresAt: { $gt: new Date(now) } },
      { fields: ['account'] },
    );
    return new Set(live.map((s) => s.account.id));
  }

  /** "Stay signed in": restarts the idle timer (never past the absolute limit). */
  async extend(req: WebRequest): Promise<void> {
    if (!req.browserKey || !req.viewer) return;
    await this.em.nativeUpdate(Session, { id: tokenHash(req.browserKey) }, { lastSeenAt: new Date() });
  }
}

@Injectable()
export class SessionMiddleware implements NestMiddleware {
  constructor(private readonly sessions: SessionsService) {}

  async use(req: WebRequest, _res: Response, next: NextFunction) {
    await this.sessions.resolve(req);
    next();
  }
}
