import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Envelope encryption of personal data at rest (SSN/ITIN, dates of birth, addresses,
 * document numbers), with Node's AES-256-GCM.
 *
 * Every value gets its own random 256-bit data key. The data key encrypts the value; a key
 * from the key ring (PII_KEYS) wraps the data key. The ciphertext names the key that
 * wrapped it, so keys can rotate: a new key is put first in PII_KEYS (new values use it),
 * the old ones stay to decrypt, and `rewrap` moves a value to the current key by
 * re-encrypting only its 32-byte data key.
 *
 * The caller's context (e.g. "verification_case:<id>:ssn") is authenticated with both
 * layers: a ciphertext copied into another row or column does not decrypt.
 *
 * Format (text, fits a `text` column):
 *   pii1.<keyId>.<wrapIv>.<wrappedKey+tag>.<iv>.<ciphertext+tag>   (base64url parts)
 */
export interface PiiKeyRing {
  /** Id of the key that wraps new values (the first of PII_KEYS). */
  currentId: string;
  /** Every key that may still be needed to unwrap: id → 32 bytes. */
  keys: Record<string, Buffer>;
}

const VERSION = 'pii1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export class PiiDecryptionError extends Error {
  constructor(reason: string) {
    super(`personal data could not be decrypted: ${reason}`);
  }
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): { iv: Buffer; sealed: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, sealed: Buffer.concat([body, cipher.getAuthTag()]) };
}

function open(key: Buffer, iv: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES) throw new PiiDecryptionError('malformed');
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PiiDecryptionError('authentication failed (wrong key, context or a tampered value)');
  }
}

const b64 = (b: Buffer) => b.toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url');

export class PiiCipher {
  constructor(private readonly ring: PiiKeyRing) {
    if (!ring.keys[ring.currentId]) throw new Error(`PII key "${ring.currentId}" is not in the key ring`);
    for (const [id, key] of Object.entries(ring.keys)) {
      if (!KEY_ID_PATTERN.test(id) || key.length !== KEY_BYTES) throw new Error(`PII key "${id}" must be 32 bytes with a plain id`);
    }
  }

  get currentKeyId(): string {
    return this.ring.currentId;
  }

  /** The ids of every key in the ring, the current one first. */
  get keyIds(): string[] {
    return [this.ring.currentId, ...Object.keys(this.ring.keys).filter((id) => id !== this.ring.currentId)];
  }

  encrypt(plaintext: string, context: string): string {
    const dataKey = randomBytes(KEY_BYTES);
    try {
      const keyId = this.ring.currentId;
      const wrapped = seal(this.ring.keys[keyId], dataKey, this.wrapAad(keyId, context));
      const body = seal(dataKey, Buffer.from(plaintext, 'utf8'), Buffer.from(context, 'utf8'));
      return [VERSION, keyId, b64(wrapped.iv), b64(wrapped.sealed), b64(body.iv), b64(body.sealed)].join('.');
    } finally {
      dataKey.fill(0);
    }
  }

  decrypt(ciphertext: string, context: string): string {
    const parts = this.parse(ciphertext);
    const dataKey = this.unwrap(parts, context);
    try {
      return open(dataKey, unb64(parts.iv), unb64(parts.body), Buffer.from(context, 'utf8')).toString('utf8');
    } finally {
      dataKey.fill(0);
    }
  }

  /** The key id a ciphertext was wrapped with (to find values still under an old key). */
  keyIdOf(ciphertext: string): string {
    return this.parse(ciphertext).keyId;
  }

  /** True when the value is wrapped by an older key than the current one. */
  needsRewrap(ciphertext: string): boolean {
    return this.keyIdOf(ciphertext) !== this.ring.currentId;
  }

  /** The same value with its data key wrapped by the current key (the data itself is not re-encrypted). */
  rewrap(ciphertext: string, context: string): string {
    const parts = this.parse(ciphertext);
    if (parts.keyId === this.ring.currentId) return ciphertext;
    const dataKey = this.unwrap(parts, context);
    try {
      const keyId = this.ring.currentId;
      const wrapped = seal(this.ring.keys[keyId], dataKey, this.wrapAad(keyId, context));
      return [VERSION, keyId, b64(wrapped.iv), b64(wrapped.sealed), parts.iv, parts.body].join('.');
    } finally {
      dataKey.fill(0);
    }
  }

  private wrapAad(keyId: string, context: string): Buffer {
    return Buffer.from(`${VERSION}|${keyId}|${context}`, 'utf8');
  }

  private parse(ciphertext: string) {
    const parts = typeof ciphertext === 'string' ? ciphertext.split('.') : [];
    if (parts.length !== 6 || parts[0] !== VERSION) throw new PiiDecryptionError('not a PII ciphertext');
    const [, keyId, wrapIv, wrapped, iv, body] = parts;
    return { keyId, wrapIv, wrapped, iv, body };
  }

  private unwrap(parts: ReturnType<PiiCipher['parse']>, context: string): Buffer {
    const kek = this.ring.keys[parts.keyId];
    if (!kek) throw new PiiDecryptionError(`key "${parts.keyId}" is not in PII_KEYS`);
    const dataKey = open(kek, unb64(parts.wrapIv), unb64(parts.wrapped), this.wrapAad(parts.keyId, context));
    if (dataKey.length !== KEY_BYTES) throw new PiiDecryptionError('malformed data key');
    return dataKey;
  }
}

/**
 * Keyed fingerprints (HMAC-SHA256) for finding equal values without decrypting them,
 * e.g. the same SSN on two accounts. The key (PII_FINGERPRINT_KEY) is separate from the
 * encryption keys and does not rotate with them; the purpose separates kinds of values.
 */
export class PiiFingerprints {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the fingerprint key must be at least 32 bytes');
  }

  of(purpose: string, value: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\u0000${value}`).digest('base64url');
  }
}
