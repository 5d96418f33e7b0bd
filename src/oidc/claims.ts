/**
 * What Referee shares with organizations, and in which words it asks first. One file, read
 * alongside OpenID Connect Core §5 (standard claims) and OpenID Connect for Identity
 * Assurance 1.0 (verified_claims).
 */
import type { VerifiedDocument, VerifiedIdentity } from '../verified-identity/verified-identity';

/** Scope → the claims it stands for (OpenID Connect Core §5.4, plus our verified identity). */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'middle_name', 'birthdate'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
  /** The identity checked by a Trusted Referee, as verified_claims (also requestable in the claims parameter). */
  verified_identity: ['verified_claims'],
} as const;

export const SCOPES = [...Object.keys(CLAIMS_BY_SCOPE), 'offline_access'];
export const CLAIMS = [...new Set(Object.values(CLAIMS_BY_SCOPE).flat())];

/** Authentication context class that means "identity verified to IAL2" (`acr_values` asks for it). */
export const ACR_IAL2 = 'urn:referee:ial:2';
export const ACR_IAL1 = 'urn:referee:ial:1';

/** Claims that may appear inside verified_claims.claims. */
export const CLAIMS_IN_VERIFIED_CLAIMS = ['given_name', 'family_name', 'middle_name', 'name', 'birthdate', 'address'];

/** Discovery metadata of OpenID Connect for Identity Assurance 1.0 §8. */
export const IDENTITY_ASSURANCE_DISCOVERY = {
  verified_claims_supported: true,
  trust_frameworks_supported: ['nist_800_63A'],
  evidence_supported: ['document'],
  documents_supported: ['passport', 'idcard', 'driving_permit', 'residence_permit'],
  documents_check_methods_supported: ['vri', 'pvr'],
  claims_in_verified_claims_supported: CLAIMS_IN_VERIFIED_CLAIMS,
};

/**
 * Each claim in plain words, for the consent page ("<Organization> is asking Referee for: …"):
 * catalog keys of content/messages/<lang>/oidc.json. `listed` stands alone in the list;
 * `inSentence` goes into "Your verified identity: your first name, …".
 */
export const CLAIM_WORDS: Record<string, { listed: string; inSentence?: string }> = {
  email: { listed: 'oidc.claims.email' },
  name: { listed: 'oidc.claims.name' },
  given_name: { listed: 'oidc.claims.given_name', inSentence: 'oidc.claimsInSentence.given_name' },
  family_name: { listed: 'oidc.claims.family_name', inSentence: 'oidc.claimsInSentence.family_name' },
  middle_name: { listed: 'oidc.claims.middle_name', inSentence: 'oidc.claimsInSentence.middle_name' },
  birthdate: { listed: 'oidc.claims.birthdate', inSentence: 'oidc.claimsInSentence.birthdate' },
  address: { listed: 'oidc.claims.address', inSentence: 'oidc.claimsInSentence.address' },
  phone_number: { listed: 'oidc.claims.phone_number' },
  verified_claims: { listed: 'oidc.claims.verified_claims' },
};

/** What a scope lets an organization see, in plain words (the person's "Connected organizations"). */
export const SCOPE_WORDS: Record<string, string> = {
  email: 'oidc.scopes.email',
  profile: 'oidc.scopes.profile',
  address: 'oidc.scopes.address',
  phone: 'oidc.scopes.phone',
  verified_identity: 'oidc.scopes.verified_identity',
  offline_access: 'oidc.scopes.offline_access',
};
/** Companions released with a claim, never listed on their own. */
const COMPANIONS = new Set(['sub', 'email_verified', 'phone_number_verified']);

/** Where the oidc module finds verified identities (implemented on PostgreSQL by the verified-identity module). */
export interface VerifiedIdentities {
  findVerified(accountId: string): Promise<VerifiedIdentity | null>;
}
export const VERIFIED_IDENTITIES = Symbol('VERIFIED_IDENTITIES');

type Claims = Record<string, unknown>;

/** Standard claims (Core §5.1) of an account; names, birthdate, address and phone as verified. */
export function standardClaims(account: { id: string; email: string; emailConfirmedAt?: Date | null }, identity: VerifiedIdentity | null): Claims {
  const claims: Claims = { sub: account.id, email: account.email, email_verified: !!account.emailConfirmedAt };
  if (identity) {
    Object.assign(claims, personClaims(identity));
    if (identity.claims.phoneNumber) Object.assign(claims, { phone_number: identity.claims.phoneNumber, phone_number_verified: true });
  }
  return claims;
}

function personClaims(identity: VerifiedIdentity): Claims {
  const { givenName, familyName, middleName, birthdate, address } = identity.claims;
  return prune({
    name: [givenName, middleName, familyName].filter(Boolean).join(' '),
    given_name: givenName,
    family_name: familyName,
    middle_name: middleName,
    birthdate,
    address: address && prune({
      street_address: address.streetAddress,
      locality: address.locality,
      region: address.region,
      postal_code: address.postalCode,
      country: address.country,
    }),
  });
}

/** A verified_claims request (Identity Assurance §5): which verification elements and claims are wanted. */
interface VerifiedClaimsRequest {
  verification?: Record<string, unknown> | null;
  claims?: Record<string, unknown> | null;
}

/**
 * verified_claims for this identity. Without a request (scope verified_identity), the whole
 * verification and every claim the organization may see. With one (claims parameter), the
 * requested verification elements (trust_framework always) and the requested claims; a
 * request whose trust_framework or assurance_level constraint we do not meet gets nothing.
 */
export function verifiedClaims(identity: VerifiedIdentity, allowed: Set<string>, request?: unknown): Claims | Claims[] | undefined {
  const available = prune(Object.fromEntries(Object.entries(personClaims(identity)).filter(([name]) => allowed.has(name))));
  if (request === undefined || request === null) return build(identity, available, undefined);
  const requests = (Array.isArray(request) ? request : [request]).filter(isObject) as VerifiedClaimsRequest[];
  const answers = requests.map((one) => build(identity, available, one)).filter((x): x is Claims => !!x);
  if (!answers.length) return undefined;
  return Array.isArray(request) ? answers : answers[0];
}

function build(identity: VerifiedIdentity, available: Claims, request: VerifiedClaimsRequest | undefined): Claims | undefined {
  const verification: Claims = {
    trust_framework: 'nist_800_63A',
    assurance_level: 'ial2',
    time: identity.verifiedAt.toISOString(),
    verification_process: identity.verificationProcess,
    evidence: identity.documents.map(documentEvidence),
  };
  if (!request) return Object.keys(available).length ? { verification, claims: available } : undefined;

  const wanted = isObject(request.verification) ? request.verification : {};
  for (const element of ['trust_framework', 'assurance_level'] as const) {
    if (!meets(wanted[element], verification[element] as string)) return undefined;
  }
  const chosen: Claims = { trust_framework: verification.trust_framework };
  for (const element of ['assurance_level', 'time', 'verification_process', 'evidence']) {
    if (element in wanted) chosen[element] = verification[element];
  }
  const names = isObject(request.claims) ? Object.keys(request.claims) : [];
  const claims = Object.fromEntries(names.filter((name) => name in available).map((name) => [name, available[name]]));
  // Identity Assurance §6: verified_claims only ever carries claims; none available, none sent.
  return Object.keys(claims).length ? { verification: chosen, claims } : undefined;
}

function documentEvidence(document: VerifiedDocument): Claims {
  return {
    type: 'document',
    check_details: document.checks.map((check) => prune({ check_method: check.method, check_id: check.checkId, time: check.time.toISOString() })),
    document_details: prune({
      type: document.type,
      document_number: document.number,
      date_of_issuance: document.dateOfIssuance,
      date_of_expiry: document.dateOfExpiry,
      issuer: prune({ name: document.issuer.name, country_code: document.issuer.country }),
    }),
  };
}

/** A constraint of the claims parameter ({ value } or { values }); null or absent accepts anything. */
function meets(constraint: unknown, actual: string): boolean {
  if (!isObject(constraint)) return true;
  if (typeof constraint.value === 'string') return constraint.value === actual;
  if (Array.isArray(constraint.values)) return constraint.values.includes(actual);
  return true;
}

/**
 * What the consent page lists (catalog keys): the claims of the requested scopes and the
 * claims parameter, limited to what the organization may receive. With `verifiedApart`, the
 * verified identity is left out: the page describes it on its own line.
 */
export function describeRequest(scopes: string[], requestedClaims: string[], allowed: Set<string>, verifiedApart = false): string[] {
  const names = new Set<string>();
  for (const scope of scopes) for (const claim of CLAIMS_BY_SCOPE[scope as keyof typeof CLAIMS_BY_SCOPE] ?? []) names.add(claim);
  for (const claim of requestedClaims) names.add(claim);
  if (verifiedApart) names.delete('verified_claims');
  return [...names].filter((name) => allowed.has(name) && !COMPANIONS.has(name) && CLAIM_WORDS[name]).map((name) => CLAIM_WORDS[name].listed);
}

/** The claims a verified identity would carry for this organization (catalog keys, for a sentence on the consent page). */
export function describeVerifiedClaims(allowed: Set<string>): string[] {
  return CLAIMS_IN_VERIFIED_CLAIMS.filter((name) => allowed.has(name) && CLAIM_WORDS[name]?.inSentence).map((name) => CLAIM_WORDS[name].inSentence!);
}

/** The scopes an organization was allowed, in plain words (catalog keys; scopes without words, like openid, are left out). */
export function describeScopes(scopes: string[]): string[] {
  return scopes.filter((scope) => SCOPE_WORDS[scope]).map((scope) => SCOPE_WORDS[scope]);
}

/** Does this authorization request ask for a verified identity (the scope, the claim, or acr_values IAL2)? */
export function asksForVerifiedIdentity(params: { scope?: unknown; acr_values?: unknown; claims?: unknown }): boolean {
  const scopes = typeof params.scope === 'string' ? params.scope.split(' ') : [];
  if (scopes.includes('verified_identity')) return true;
  if (typeof params.acr_values === 'string' && params.acr_values.split(' ').includes(ACR_IAL2)) return true;
  if (typeof params.claims === 'string') {
    try {
      const parsed = JSON.parse(params.claims) as Record<string, Record<string, unknown> | undefined>;
      return !!(parsed.userinfo?.verified_claims || parsed.id_token?.verified_claims);
    } catch {
      return false;
    }
  }
  return false;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function prune<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined && value !== '')) as T;
}
