import pino, { type Logger } from 'pino';

/**
 * JSON logs. Personal data and secrets never reach them: cookies, authorization,
 * passwords, tokens, SSN/ITIN and document numbers are redacted wherever they appear,
 * and requests are logged by their route's pattern (`/capture/:token`), never by their
 * address, whose path and query may carry a link's token, a code or an id (see routeOf).
 */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.token',
  '*._csrf',
  '*.ssn',
  '*.itin',
  '*.documentNumber',
  '*.dateOfBirth',
  '*.email',
];

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'referee' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** The path of a URL without its query string. */
function pathOnly(url: string | undefined): string {
  return (url ?? '').split('?')[0];
}

/** A path segment kept as it is when no route names it: a plain lowercase word, as route paths are. */
const WORD = /^\.?[a-z][a-z-]{0,39}$/;

export interface RoutedRequest {
  route?: { path?: unknown };
  baseUrl?: string;
  originalUrl?: string;
  url?: string;
}

/**
 * How a request is named in the log: the pattern of the route that answered it
 * (`/capture/:token`, `/interaction/:uid`). For requests no route answered (a 404, the
 * OpenID provider mounted at /oidc) or a catch-all answered, the path with every segment that is not a plain
 * lowercase word replaced by `:param` (`/oidc/auth/:param`): a token, a code or an id never
 * looks like one.
 */
export function routeOf(req: RoutedRequest | undefined): string {
  if (!req) return '';
  const pattern = req.route?.path;
  // A catch-all (`/{*path}`, the 404 page) says nothing: its masked path says more.
  if (typeof pattern === 'string' && !pattern.includes('*')) return `${req.baseUrl ?? ''}${pattern}` || '/';
  const path = pathOnly(req.originalUrl ?? req.url);
  return path
    .split('/')
    .map((segment) => (segment === '' || WORD.test(segment) ? segment : ':param'))
    .join('/');
}
