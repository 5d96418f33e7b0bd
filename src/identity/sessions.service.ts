import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { NextFunction, Response } from 'express';
import { CONFIG, type Config } from '../config/config';
import { tokenHash } from '../crypto/tokens';
import { BrowserCookie } from '../web/browser';
import type { WebRequest } from '../web/request';
import type { Account } from './account.entity';
import { Session } from './session.entity';

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
    const session = await this.em.findOne(Session, { id: tokenHash(req.browserKey) }, { populate: ['account'] });
    if (!session) return;
    const now = Date.now();
    const idleEnd = session.lastSeenAt.getTime() + this.idleMs;
    if (now >= session.expiresAt.getTime() || now >= idleEnd) {
      req.sessionEnded = now >= session.expiresAt.getTime() ? 'absolute' : 'idle';
      await this.em.nativeDelete(Session, { id: session.id });
      return;
    }
    let lastSeen = session.lastSeenAt.getTime();
    if (now - lastSeen > TOUCH_EVERY_MS) {
      lastSeen = now;
      await this.em.nativeUpdate(Session, { id: session.id }, { lastSeenAt: new Date(now) });
    }
    req.viewer = {
      accountId: session.account.id,
      email: session.account.email,
      idleExpiresAt: new Date(Math.min(lastSeen + this.idleMs, session.expiresAt.getTime())),
    };
  }

  /** Signs the account in on this browser with a brand-new key (no session fixation). */
  async start(req: WebRequest, res: Response, account: Account): Promise<void> {
    const old = req.browserKey;
    const key = this.cookie.issue(req, res);
    const now = new Date();
    if (old) await this.em.nativeDelete(Session, { id: tokenHash(old) });
    await this.em.insert(Session, {
      id: tokenHash(key),
      account: account.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.config.sessionAbsoluteHours * 3_600_000),
    });
    req.viewer = { accountId: account.id, email: account.email, idleExpiresAt: new Date(now.getTime() + this.idleMs) };
  }

  /** Ends the session and gives the browser a new key. */
  async end(req: WebRequest, res: Response): Promise<void> {
    if (req.browserKey) await this.em.nativeDelete(Session, { id: tokenHash(req.browserKey) });
    this.cookie.issue(req, res);
    req.viewer = undefined;
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
