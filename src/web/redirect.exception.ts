/** Thrown where returning a Redirect is not possible (guards, middleware); the errors filter sends it. */
export class RedirectException extends Error {
  constructor(readonly location: string) {
    super(`redirect to ${location}`);
  }
}

/** A `next` parameter is followed only to a path on this site (no open redirect). */
export function localPath(next: unknown, fallback: string): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) && next.length < 2000 ? next : fallback;
}
