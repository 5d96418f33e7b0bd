import pino, { type Logger } from 'pino';

/**
 * JSON logs. Personal data and secrets never reach them: cookies, authorization,
 * passwords, tokens, SSN/ITIN and document numbers are redacted wherever they appear,
 * and request URLs are logged without their query strings (which may carry link tokens).
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
export function pathOnly(url: string | undefined): string {
  return (url ?? '').split('?')[0];
}
