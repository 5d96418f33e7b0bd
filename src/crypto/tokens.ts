import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Random bytes are drawn from the CSPRNG a page at a time and each byte is handed out once
 * (as crypto.randomUUID does): one call per 128 tokens instead of one per token, which
 * every first visit (its browser key) pays for.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** A random token for links and cookies: 32 bytes (256 bits), base64url. */
export function randomToken(bytes = 32): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString('base64url');
  if (used + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const token = pool.toString('base64url', used, used + bytes);
  pool.fill(0, used, used + bytes); // handed out: not kept in memory
  used += bytes;
  return token;
}

/** What we store for a token we hand out: its SHA-256, so a database copy cannot be replayed. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function hmac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

/** Constant-time comparison of two strings (false when lengths differ). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
