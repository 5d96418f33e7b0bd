import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { PiiCipher, PiiFingerprints } from '../crypto/pii-cipher';
import { RateLimits } from '../web/rate-limits';
import type { FieldErrors } from '../web/view';
import { parseAddress, type Address } from './addresses';
import { CaseSteps, type SubmitOutcome } from './case-steps';
import { parseDetails, parseUsPhone } from './details';
import { MOVED_TO_INTERNATIONAL, STEPS, residesOutsideUs, type StepKey } from './flow';
import type { AddressFields, DetailsFields, DetailsValues, IdentifierFields } from './forms';
import { lastFour, parseConfirmedIdentifier, type IdentifierKind } from './identifiers';
import { VerificationCase, type InternationalReason } from './verification-case.entity';

/** Field of the ciphertext context: a value encrypted for one row and column opens only there. */
type SecretField = 'dateOfBirth' | 'address' | 'identifier';
const context = (c: VerificationCase, field: SecretField) => `verification_case:${c.id}:${field}`;

/** HMAC purpose of SSN and ITIN fingerprints (one space: an ITIN is never a valid SSN). */
const TAXPAYER_NUMBER = 'us-taxpayer-number';

/**
 * The intake steps up to the documents: how to verify (and the international links),
 * the Self-Service screens, the video-call overview, personal details, and the SSN, ITIN
 * or neither. Personal data is encrypted here, before it reaches the entity.
 */
@Injectable()
export class VerificationService {
  constructor(
    private readonly steps: CaseSteps,
    private readonly cipher: PiiCipher,
    private readonly fingerprints: PiiFingerprints,
    private readonly rateLimits: RateLimits,
  ) {}

  // ---- Reading ------------------------------------------------------------------------

  decryptAddress(c: VerificationCase): Address | undefined {
    return c.address ? (JSON.parse(this.cipher.decrypt(c.address, context(c, 'address'))) as Address) : undefined;
  }

  /** The SSN or ITIN digits, for the person's own download of their data. */
  decryptIdentifier(c: VerificationCase): string | undefined {
    return c.identifier ? this.cipher.decrypt(c.identifier, context(c, 'identifier')) : undefined;
  }

  decryptDateOfBirth(c: VerificationCase): string | undefined {
    return c.dateOfBirth ? this.cipher.decrypt(c.dateOfBirth, context(c, 'dateOfBirth')) : undefined;
  }

  /** The details form as the applicant last left it (or prefilled from their account and the Self-Service screens). */
  detailsValues(c: VerificationCase, accountEmail: string): DetailsValues {
    const address = this.decryptAddress(c);
    const [year, month, day] = (this.decryptDateOfBirth(c) ?? '').split('-');
    return {
      firstName: c.firstName ?? '',
      middleName: c.middleName ?? '',
      lastName: c.lastName ?? '',
      'dateOfBirth-month': month ? String(Number(month)) : '',
      'dateOfBirth-day': day ? String(Number(day)) : '',
      'dateOfBirth-year': year ?? '',
      email: c.email ?? accountEmail,
      phone: c.phone ?? '',
      country: address?.country ?? '',
      line1: address?.line1 ?? '',
      line2: address?.line2 ?? '',
      city: address?.city ?? '',
      region: address?.region ?? '',
      postalCode: address?.postalCode ?? '',
      nameChanged: c.nameChanged === undefined || c.nameChanged === null ? '' : c.nameChanged ? 'yes' : 'no',
    };
  }

  // ---- How to verify --------------------------------------------------------------------

  chooseMethod(accountId: string, { method }: { method: string }): Promise<SubmitOutcome> {
    return this.steps.submit(accountId, 'choose_method', () => {
      if (method !== 'self_service' && method !== 'video_call') return { errors: { method: 'verification.errors.method' } };
      return {
        detail: { method },
        change: (c) => {
          c.method = method;
          if (method === 'video_call') c.track = 'us_video';
        },
      };
    });
  }

  /** "I don't live in the United States", "I don't have a US Phone Number", …: the international link of step `from`. */
  moveToInternational(accountId: string, { from }: { from: string }): Promise<SubmitOutcome> {
    const key = from as StepKey;
    const reason = STEP_ESCAPES.get(key);
    if (!reason) return Promise.resolve({ location: '/verify' }); // not a step with such a link
    return this.steps.submit(
      accountId,
      key,
      () => ({
        detail: { reason },
        change: (c) => {
          c.method ??= 'international';
          this.toInternational(c, reason);
        },
      }),
      { audit: MOVED_TO_INTERNATIONAL, clears: false },
    );
  }

  private toInternational(c: VerificationCase, reason: InternationalReason): void {
    if (c.track === 'international') return;
    c.track = 'international';
    c.internationalReason = reason;
  }

  // ---- Self-Service ---------------------------------------------------------------------

  usPhone(accountId: string, form: { phone: string }): Promise<SubmitOutcome> {
    return this.steps.submit(accountId, 'us_phone', () => {
      const phone = parseUsPhone(form.phone);
      if ('error' in phone) return { errors: { phone: phone.error } };
      return { change: (c) => void (c.phone = phone.e164) };
    });
  }

  usAddress(accountId: string, form: AddressFields): Promise<SubmitOutcome> {
    return this.steps.submit(accountId, 'us_address', () => {
      const { address, errors } = parseAddress(form, 'US');
      if (Object.keys(errors).length) return { errors };
      return { change: (c) => this.setAddress(c, address) };
    });
  }

  private setAddress(c: VerificationCase, address: Address): void {
    c.address = this.cipher.encrypt(JSON.stringify(address), context(c, 'address'));
    c.addressCountry = address.country;
  }

  // ---- Video call ------------------------------------------------------------------------

  startVideo(accountId: string): Promise<SubmitOutcome> {
    return this.steps.submit(accountId, 'video_overview', () => ({ change: (c) => void (c.videoStartedAt ??= new Date()) }));
  }

  saveDetails(accountId: string, form: DetailsFields): Promise<SubmitOutcome> {
    return this.steps.submit(accountId, 'details', () => {
      const { details, errors } = parseDetails(form);
      if (!details) return { errors };
      return {
        detail: { country: details.address.country, nameChanged: details.nameChanged },
        change: (c) => {
          c.firstName = details.firstName;
          c.middleName = details.middleName || undefined;
          c.lastName = details.lastName;
          c.email = details.email;
          c.phone = details.phone;
          c.dateOfBirth = this.cipher.encrypt(details.dateOfBirth, context(c, 'dateOfBirth'));
          this.setAddress(c, details.address);
          c.nameChanged = details.nameChanged;
          c.detailsConfirmedAt = new Date();
          // A home outside the U.S. is the extended call, whatever was chosen first.
          if (c.track === 'us_video' && residesOutsideUs(c)) this.toInternational(c, 'no_us_address');
        },
      };
    });
  }

  // ---- SSN, ITIN or neither ---------------------------------------------------------------

  /** The SSN (Self-Service screen or the confirm step) or the ITIN, typed twice. */
  async saveIdentifier(accountId: string, key: 'us_ssn' | 'ssn' | 'itin', form: IdentifierFields): Promise<SubmitOutcome> {
    const kind: IdentifierKind = key === 'itin' ? 'itin' : 'ssn';
    return this.steps.submit(accountId, key, async () => {
      await this.rateLimits.consume('verify-ssn:account', accountId);
      const parsed = parseConfirmedIdentifier(kind, form.number, form.confirmNumber);
      const errors: FieldErrors = 'errors' in parsed ? { ...parsed.errors } : {};
      if (kind === 'ssn' && !form.fcraConsent) {
        errors.fcraConsent = 'verification.errors.fcraConsent';
      }
      if ('errors' in parsed || Object.keys(errors).length) return { errors };
      return {
        detail: { kind },
        change: async (c, em) => {
          c.identifierKind = kind;
          c.identifier = this.cipher.encrypt(parsed.digits, context(c, 'identifier'));
          c.identifierLast4 = lastFour(parsed.digits);
          c.fcraConsentAt = kind === 'ssn' ? new Date() : undefined;
          await this.flagSameNumber(c, em, this.fingerprints.of(TAXPAYER_NUMBER, parsed.digits));
          if (key === 'us_ssn') c.track = 'us_video'; // Self-Service done: the short video call
          if (kind === 'itin') this.toInternational(c, 'no_ssn');
        },
      };
    });
  }

  /**
   * The same number on another account: both cases are flagged for the agent. Never a
   * rejection, and never shown to the applicant (that would tell who holds a number).
   */
  private async flagSameNumber(c: VerificationCase, em: EntityManager, fingerprint: string): Promise<void> {
    c.identifierFingerprint = fingerprint;
    const others = await em.find(VerificationCase, { identifierFingerprint: fingerprint, id: { $ne: c.id } }, { fields: ['id', 'duplicateIdentifierAt'] });
    if (!others.length) {
      c.duplicateIdentifierAt = undefined;
      return;
    }
    const now = new Date();
    c.duplicateIdentifierAt ??= now;
    await em.nativeUpdate(VerificationCase, { id: { $in: others.map((o) => o.id) }, duplicateIdentifierAt: null }, { duplicateIdentifierAt: now });
    await this.steps.record(em, c, 'verification.same_number_flagged', undefined, { otherCases: others.map((o) => o.id) });
    for (const other of others) await this.steps.record(em, em.getReference(VerificationCase, other.id), 'verification.same_number_flagged', undefined, { otherCases: [c.id] });
  }

  /** Neither an SSN nor an ITIN: the non-U.S. passport path, which needs an address outside the U.S. */
  noNumber(accountId: string): Promise<SubmitOutcome> {
    return this.steps.submit(accountId, 'no_number', (c) => {
      if (!residesOutsideUs(c)) {
        return { errors: { address: 'verification.errors.noNumberAddress' } };
      }
      return {
        change: (c) => {
          c.identifierKind = 'none';
          c.identifier = undefined;
          c.identifierLast4 = undefined;
          c.identifierFingerprint = undefined;
          c.duplicateIdentifierAt = undefined;
          c.fcraConsentAt = undefined;
          this.toInternational(c, 'no_ssn');
        },
      };
    });
  }
}

/** The steps with an international link, and the reason each records. */
const STEP_ESCAPES = new Map<StepKey, InternationalReason>(STEPS.filter((s) => s.escape).map((s) => [s.key, s.escape!.reason]));
