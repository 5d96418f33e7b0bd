import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { holdAdvisoryLock } from '../jobs/advisory-locks.queries';
import type { JWK } from 'oidc-provider';
import { PiiCipher } from '../crypto/pii-cipher';
import { randomToken } from '../crypto/tokens';
import { LOCKS } from '../jobs/jobs';
import { KEY_RETENTION_SECONDS } from './lifetimes';
import { SigningKey } from './signing-key.entity';

const generate = promisify(generateKeyPair);
const ALG = 'RS256';

export interface KeySet {
  /** Private JWKs for oidc-provider: the signing key first; the others verify only. */
  keys: JWK[];
  /** Changes whenever the published keys or the signing key change. */
  fingerprint: string;
}

/**
 * ID-token signing keys in PostgreSQL, private parts sealed. Generated at first start,
 * rotated by `npm run keys:rotate`; a retired key stays published until everything it
 * signed has expired. Every instance re-reads the set (OidcProviderService).
 */
@Injectable()
export class SigningKeysService {
  constructor(
    private readonly em: EntityManager,
    /** The key ring of personal data also seals the private keys: one cipher, one rotation. */
    private readonly box: PiiCipher,
  ) {}

  /** Creates the first key unless one exists. */
  async ensureKey(): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      await holdAdvisoryLock(em, LOCKS.signingKeys);
      if ((await em.count(SigningKey, {})) === 0) await this.add(em, new Date());
    });
  }

  /**
   * Adds a new key, published at once and signing after `activateAfterSeconds`, when the
   * current one retires (it stays published for KEY_RETENTION_SECONDS more).
   */
  async rotate(activateAfterSeconds: number): Promise<{ kid: string; activatesAt: Date; retired: { kid: string; unpublishedAt: Date }[] }> {
    return this.em.fork().transactional(async (em) => {
      await holdAdvisoryLock(em, LOCKS.signingKeys);
      const activatesAt = new Date(Date.now() + activateAfterSeconds * 1000);
      const current = await em.find(SigningKey, { retiredAt: null });
      for (const key of current) key.retiredAt = activatesAt;
      const added = await this.add(em, activatesAt);
      return {
        kid: added.kid,
        activatesAt,
        retired: current.map((key) => ({ kid: key.kid, unpublishedAt: new Date(activatesAt.getTime() + KEY_RETENTION_SECONDS * 1000) })),
      };
    });
  }

  /** The keys to publish now, the signing one first. */
  async keySet(now = new Date()): Promise<KeySet> {
    const rows = await this.em.fork().find(SigningKey, {}, { orderBy: { activatesAt: 'desc', createdAt: 'desc' } });
    const published = rows.filter((key) => !key.retiredAt || key.retiredAt.getTime() + KEY_RETENTION_SECONDS * 1000 > now.getTime());
    const signer =
      published.find((key) => key.activatesAt <= now && (!key.retiredAt || key.retiredAt > now)) ??
      published.find((key) => key.activatesAt <= now) ??
      published[0];
    if (!signer) throw new Error('no signing key: ensureKey() first');
    const ordered = [signer, ...published.filter((key) => key !== signer)];
    const keys = ordered.map((key) => {
      const jwk = JSON.parse(this.box.decrypt(key.privateJwkSealed, context(key.kid))) as JWK;
      return key === signer ? jwk : { ...jwk, key_ops: ['verify'] };
    });
    return { keys, fingerprint: ordered.map((key) => key.kid).join(',') };
  }

  /** Deletes keys no longer published (their private parts are no use to anyone). */
  async deleteUnpublished(now = new Date()): Promise<number> {
    return this.em.fork().nativeDelete(SigningKey, { retiredAt: { $lt: new Date(now.getTime() - KEY_RETENTION_SECONDS * 1000) } });
  }

  private async add(em: EntityManager, activatesAt: Date): Promise<SigningKey> {
    const { privateKey } = await generate('rsa', { modulusLength: 2048 });
    const kid = randomToken(16);
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: ALG, use: 'sig' };
    const key = em.create(SigningKey, { kid, alg: ALG, privateJwkSealed: this.box.encrypt(JSON.stringify(jwk), context(kid)), activatesAt });
    await em.flush();
    return key;
  }
}

const context = (kid: string) => `oidc_signing_key:${kid}:private_jwk`;
