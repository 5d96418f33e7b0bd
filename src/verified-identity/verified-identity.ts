/** The identity as verified: what verification hands over when a case ends "verified". */
export interface VerifiedIdentity {
  verifiedAt: Date;
  /**
   * The verification's opaque reference, shared as verification_process: random, never an
   * internal id; Referee maps it back to the call, case and referee for audits.
   */
  verificationProcess?: string;
  /** Verified with a Social Security number (not an ITIN or a passport number). */
  ssnVerified: boolean;
  claims: {
    givenName: string;
    familyName: string;
    middleName?: string;
    /** YYYY-MM-DD */
    birthdate: string;
    address?: { streetAddress: string; locality: string; region?: string; postalCode?: string; country: string };
    /** E.164 */
    phoneNumber?: string;
  };
  documents: VerifiedDocument[];
}

export interface VerifiedDocument {
  /** Identity Assurance document type: passport, idcard, driving_permit, residence_permit… */
  type: string;
  number?: string;
  issuer: { country: string; name?: string };
  /** YYYY-MM-DD */
  dateOfIssuance?: string;
  dateOfExpiry?: string;
  /** vri: images inspected remotely; pvr: a person compared the face with the applicant on video. */
  checks: { method: 'vri' | 'pvr'; checkId?: string; time: Date }[];
}
