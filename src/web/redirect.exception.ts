/** Thrown where returning a Redirect is not possible (guards, middleware); the errors filter sends it. */
export class RedirectException extends Error {
  constructor(readonly location: string) {
    super(`redirect to ${location}`);
  }
}

/**
 * Where to send someone who must sign in first: back to this page afterwards (GET only,
 * and only an address short enough to carry), saying why when a session just timed out.
 */
export function signInFirst(req: { method: string; originalUrl: string; sessionEnded?: string }): RedirectException {
  const query = new URLSearchParams();
  if (req.method === 'GET' && req.originalUrl.length <= 1000) query.set('next', req.originalUrl);
  if (req.sessionEnded) query.set('timed-out', '1');
  const search = query.toString();
  return new RedirectException(`/sign-in${search ? `?${search}` : ''}`);
}

/** A `next` parameter is followed only to a path on this site (no open redirect). */
export function localPath(next: unknown, fallback: string): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) && next.length < 2000 ? next : fallback;
}
