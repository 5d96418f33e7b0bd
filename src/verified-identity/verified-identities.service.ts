import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { PiiCipher } from '../crypto/pii-cipher';
import type { VerifiedIdentity } from './verified-identity';
import { VerifiedIdentityRecord } from './verified-identity.entity';

type Sealed = Pick<VerifiedIdentity, 'verificationProcess' | 'claims' | 'documents'>;

/**
 * Verified identities on PostgreSQL (table verified_identity), their personal data sealed.
 * The video module records one when a Trusted Referee's call ends "verified"; the oidc
 * module shares it, and account recovery holds it back until a new verification.
 */
@Injectable()
export class VerifiedIdentitiesService {
  constructor(
    private readonly em: EntityManager,
    private readonly box: PiiCipher,
  ) {}

  /** Records (or replaces, after a new verification) the verified identity of an account. */
  async recordVerified(accountId: string, identity: VerifiedIdentity): Promise<void> {
    const details: Sealed = { verificationProcess: identity.verificationProcess, claims: identity.claims, documents: identity.documents };
    await this.em.upsert(VerifiedIdentityRecord, {
      account: accountId,
      verifiedAt: identity.verifiedAt,
      ssnVerified: identity.ssnVerified,
      verificationReference: identity.verificationProcess ?? null,
      detailsSealed: this.box.encrypt(JSON.stringify(details), context(accountId)),
      updatedAt: new Date(),
      reconfirmRequiredAt: null,
    });
  }

  /** After an account recovery: keep the record, share nothing until a new verification. */
  async requireReconfirmation(accountId: string): Promise<void> {
    await this.em.nativeUpdate(VerifiedIdentityRecord, { account: accountId }, { reconfirmRequiredAt: new Date() });
  }

  async findVerified(accountId: string): Promise<VerifiedIdentity | null> {
    const record = await this.em.findOne(VerifiedIdentityRecord, { account: accountId }, { disableIdentityMap: true });
    if (!record || record.reconfirmRequiredAt) return null;
    const details = JSON.parse(this.box.decrypt(record.detailsSealed, context(accountId))) as Sealed;
    // Sealed before references existed, its evidence named the case, the call, the room and the
    // referee: share the reference its call was given instead (or none), never those.
    const legacy = details.verificationProcess !== (record.verificationReference ?? undefined);
    const reference = record.verificationReference ?? undefined;
    return {
      verifiedAt: record.verifiedAt,
      ssnVerified: record.ssnVerified,
      verificationProcess: legacy ? reference : details.verificationProcess,
      claims: details.claims,
      documents: details.documents.map((document) => ({
        ...document,
        checks: document.checks.map((check) => ({
          ...check,
          checkId: legacy ? reference && `${reference}:${check.method}` : check.checkId,
          time: new Date(check.time),
        })),
      })),
    };
  }
}

const context = (accountId: string) => `verified_identity:${accountId}:details`;
