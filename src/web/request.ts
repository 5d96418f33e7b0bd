import type { Request } from 'express';
import type { Language } from '../i18n/languages';

/** The signed-in person as pages need them; set by the identity module's session middleware. */
export interface Viewer {
  accountId: string;
  email: string;
  /** Last time they proved who they are (changing factors asks again when this is old). */
  authenticatedAt: Date;
  /** The language they chose on their account, if any. */
  language?: Language;
  /** When the idle timeout will sign them out, unless they act or extend. */
  idleExpiresAt: Date;
  /** They asked for their account's deletion, not yet done: most pages lead to "will be deleted on …" (read with the session, no query of its own). */
  deletionPending?: boolean;
}

/** Express's request with what Referee's middleware adds. */
export interface WebRequest extends Request {
  /** The random value in this browser's cookie; identifies the browser session. */
  browserKey: string;
  /** The key was issued on this request: no session can exist for it yet. */
  browserKeyIsNew?: boolean;
  viewer?: Viewer;
  /** Password accepted, second factor not yet: only the second-factor pages serve this person. */
  pendingSignIn?: Omit<Viewer, 'idleExpiresAt'>;
  /** Set when the session just ended by timeout, so the sign-in page can say why. */
  sessionEnded?: 'idle' | 'absolute';
  /** The staff role that let this request through RolesGuard (the first required one held): audit events of views record it. */
  staffRole?: string;
  /** The language this request is answered in, once decided (i18n/language.ts). */
  language?: Language;
}
