import type { Request } from 'express';

/** The signed-in person as pages need them; set by the identity module's session middleware. */
export interface Viewer {
  accountId: string;
  email: string;
  /** When the idle timeout will sign them out, unless they act or extend. */
  idleExpiresAt: Date;
}

/** Express's request with what Referee's middleware adds. */
export interface WebRequest extends Request {
  /** The random value in this browser's cookie; identifies the browser session. */
  browserKey: string;
  /** The key was issued on this request: no session can exist for it yet. */
  browserKeyIsNew?: boolean;
  viewer?: Viewer;
  /** Set when the session just ended by timeout, so the sign-in page can say why. */
  sessionEnded?: 'idle' | 'absolute';
}
