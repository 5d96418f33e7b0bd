import { hash, verify } from '@node-rs/argon2';

/** Algorithm.Argon2id (a const enum in the package's types, so not importable here). */
const ARGON2ID = 2;
import type { Config } from '../config/config';
import { phrase, type Text } from '../i18n/messages';

/**
 * Password rules (NIST SP 800-63B rev 4 with MFA required): 12 to 128 characters,
 * any characters, no composition rules, refused when it is a commonly used password.
 */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

let common: Set<string> | undefined;

/** About 49,000 common passwords, bundled with @zxcvbn-ts/language-common (no network). */
function commonPasswords(): Set<string> {
  if (!common) {
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> };
    common = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  }
  return common;
}

/** The problem with a new password, as a catalog message for the form; undefined when it is fine. */
export function passwordProblem(password: string, email: string): Text | undefined {
  const length = [...password].length;
  if (length === 0) return 'identity.errors.password.empty';
  if (length < PASSWORD_MIN) return phrase('identity.errors.password.tooShort', { min: PASSWORD_MIN });
  if (length > PASSWORD_MAX) return phrase('identity.errors.password.tooLong', { max: PASSWORD_MAX });
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return 'identity.errors.password.common';
  const local = email.toLowerCase().split('@')[0];
  if (lower === email.toLowerCase() || (local.length >= 4 && lower.includes(local))) {
    return 'identity.errors.password.containsEmail';
  }
  return undefined;
}

export class PasswordHasher {
  constructor(private readonly cost: Config['argon2']) {}

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.cost.memoryKiB,
      timeCost: this.cost.passes,
      parallelism: this.cost.parallelism,
    });
  }

  /**
   * A hash to check a password against when an address has no account: the same cost, no
   * password matches it, and its salt comes from `seed`: fixed for one address, different
   * between addresses, as real accounts' salts are (argon2id's time varies a little with the
   * salt: one shared stand-in would be one recognisable time).
   */
  standIn(seed: Buffer): string {
    const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
    const { memoryKiB, passes, parallelism } = this.cost;
    return `$argon2id$v=19$m=${memoryKiB},t=${passes},p=${parallelism}$${b64(seed.subarray(0, 16))}$${b64(Buffer.alloc(32))}`;
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }
}
