/**
 * The documents an applicant can verify with, and the rules for choosing them. Pages,
 * questions and rules all read from here; no template lists documents of its own.
 * Written to read like the help article Referee follows ("What you'll need", step 4).
 */

export type Track = 'international' | 'us_video';
export type IdentifierChoice = 'ssn' | 'itin' | 'none';
export type DocumentKind = 'primary' | 'secondary' | 'supporting';

export interface CatalogDocument {
  key: string;
  kind: DocumentKind;
  /** As the list shows it. */
  label: string;
  /** In a sentence: "Does the name on your {name} match…". */
  name: string;
  /** The small print under the label (what is not accepted). */
  note?: string;
  /** What must be visible on it: the yellow box at the top of its page. */
  mustShow: string[];
  /** It has an expiration date, and expired documents are not accepted. */
  expires: boolean;
  /** Secondary documents: how recent it must be, in the question's words. */
  recent?: string;
  /** Accepted only from someone who lives outside the United States. */
  onlyIfResidingOutsideUs?: boolean;
  /** Evidence strength (NIST SP 800-63A): what the agent may rely on it for. */
  strength: 'STRONG' | 'FAIR' | 'SUPPORTING';
}

const photoId = ['Your full name', 'Your date of birth', 'Your photo', 'The expiration date'];
const primary = (key: string, label: string, name: string, extra: Partial<CatalogDocument> = {}): CatalogDocument => ({
  key,
  kind: 'primary',
  label,
  name,
  mustShow: photoId,
  expires: true,
  strength: 'STRONG',
  ...extra,
});
const secondary = (key: string, label: string, recent = 'issued within the last 90 days'): CatalogDocument => ({
  key,
  kind: 'secondary',
  label,
  name: label.toLowerCase().replace('w-2', 'W-2'),
  mustShow: ['Your full name', 'Your current address', recent[0].toUpperCase() + recent.slice(1)],
  expires: false,
  recent,
  strength: 'FAIR',
});

/** Primary documents: the original, physically shown on the video call. Select ONE at a time. */
export const PRIMARY_DOCUMENTS: CatalogDocument[] = [
  primary('us_drivers_license', "U.S. Driver's License", "driver's license"),
  primary('us_passport_card', 'U.S. passport card', 'passport card'),
  primary('us_permanent_resident_card', 'U.S. Permanent resident card (I-551)', 'permanent resident card'),
  primary('hspd12_piv_card', 'HSPD-12 PIV card', 'PIV card'),
  primary('government_photo_id', 'Government-issued photo ID', 'photo ID', { note: 'No U.S. military ID cards' }),
  primary('foreign_passport', 'Foreign (non-U.S.) passport', 'passport', {
    mustShow: [...photoId, 'The full machine-readable zone: the two lines of letters, numbers and <<< at the bottom of the photo page'],
  }),
  primary('employment_authorization_card', 'USCIS-issued Employment Authorization Card (I-766)', 'Employment Authorization Card', {
    note: 'No employer-issued ID cards',
  }),
  primary('tsa_id_card', 'Transportation Security Administration (TSA) ID card', 'TSA ID card'),
  primary('dhs_trusted_traveler_card', 'DHS trusted traveler card (Global Entry, NEXUS, SENTRI)', 'trusted traveler card'),
  primary('veterans_health_id_card', "Veteran's health ID card", "Veteran's health ID card"),
  primary('certificate_of_naturalization', 'Certificate of Naturalization (forms N-550 or N-570)', 'Certificate of Naturalization', {
    mustShow: ['Your full name', 'Your date of birth', 'Your photo', 'The certificate number'],
    expires: false,
  }),
  primary('national_id_card', 'National ID card', 'national ID card', {
    note: 'Only if residing outside of the U.S.',
    onlyIfResidingOutsideUs: true,
  }),
  primary('canadian_drivers_license', "Canadian driver's license", "Canadian driver's license"),
  primary('tribal_photo_id', 'Federally recognized, tribal-issued photo ID', 'tribal photo ID'),
];

/** Secondary documents: show your name and current address, and are recent. */
export const SECONDARY_DOCUMENTS: CatalogDocument[] = [
  secondary('utility_bill', 'Utility bill'),
  secondary('pay_stub', 'Pay stub'),
  secondary('medical_bill', 'Medical bill'),
  secondary('bank_statement', 'Bank statement'),
  secondary('w2_form', 'W-2 form', 'for the most recent tax year'),
];

/** You may also need to provide these. */
export const SUPPORTING_DOCUMENTS: CatalogDocument[] = [
  {
    key: 'proof_of_itin',
    kind: 'supporting',
    label: 'Proof of Individual Taxpayer Identification Number (ITIN)',
    name: 'proof of ITIN',
    mustShow: ['Your full name', 'Your ITIN', 'That the IRS issued it (for example your ITIN assignment letter, notice CP565)'],
    expires: false,
    strength: 'SUPPORTING',
  },
  {
    key: 'proof_of_non_us_address',
    kind: 'supporting',
    label: 'Proof of a non-U.S. address',
    name: 'proof of address',
    mustShow: ['Your full name', 'Your current address outside the United States', 'Issued within the last 90 days'],
    expires: false,
    strength: 'SUPPORTING',
  },
  {
    key: 'legal_name_change',
    kind: 'supporting',
    label: 'Legal name change documentation',
    name: 'name change documentation',
    note: 'For example a marriage certificate, divorce decree or court order',
    mustShow: ['Your previous name, as it appears on your other documents', 'Your current legal name', 'Who issued it, and when'],
    expires: false,
    strength: 'SUPPORTING',
  },
];

export const CATALOG: ReadonlyMap<string, CatalogDocument> = new Map(
  [...PRIMARY_DOCUMENTS, ...SECONDARY_DOCUMENTS, ...SUPPORTING_DOCUMENTS].map((d) => [d.key, d]),
);

export function findDocument(key: unknown): CatalogDocument | undefined {
  return typeof key === 'string' ? CATALOG.get(key) : undefined;
}

/** Shown on every document page. */
export const TRANSLATION_TIP =
  'If you send a translated document, the original non-English document and its translation must be visible ' +
  'in the same photo, side by side. For instance, Canadian driver\u2019s licenses may include a French-to-English ' +
  'translation. Avoid writing anything on your official documents, as that will void them.';

export const PRIMARY_MUST_BE = ['The original', 'Physically shown on the video call'];

// ---- What each track needs -------------------------------------------------------------

export const TRACK_NEEDS: Record<Track, string> = {
  international: 'two primary documents, or one primary and at least one secondary document',
  us_video: 'one primary document',
};

export interface DocumentChoice {
  type: string;
  /** The applicant said it is expired. */
  expired?: boolean;
}

export interface RuleContext {
  track: Track;
  /** The home address is outside the United States. */
  residesOutsideUs: boolean;
  identifier: IdentifierChoice | null;
}

export interface RuleProblem {
  /** The choice the problem is about (undefined: the set as a whole). */
  index?: number;
  message: string;
}

export interface RuleResult {
  /** The set meets the track's needs. */
  satisfied: boolean;
  /** The choices that count, by index. */
  counted: number[];
  primaries: number;
  secondaries: number;
  problems: RuleProblem[];
}

/** Why one document cannot count, or undefined when it can (the others in the set aside). */
export function documentProblem(doc: CatalogDocument | undefined, choice: DocumentChoice, ctx: Pick<RuleContext, 'residesOutsideUs'>): string | undefined {
  if (!doc) return 'Choose a document from the list';
  if (doc.kind === 'supporting') return `${doc.label} supports your other documents but does not count as one of them`;
  if (doc.onlyIfResidingOutsideUs && !ctx.residesOutsideUs) return `A ${doc.name} is accepted only if you live outside the U.S.`;
  if (choice.expired) return `Expired documents are not accepted. Choose another document instead of your ${doc.name}`;
  return undefined;
}

/**
 * The rules, over any set of choices:
 * - international track: two primary, or one primary and at least one secondary;
 * - short video track (us_video): one primary;
 * - expired documents are not accepted; the same type is not counted twice; a national ID
 *   card only for someone residing outside the U.S.;
 * - with neither an SSN nor an ITIN (the non-U.S. passport path) a foreign passport is one
 *   of the primary documents.
 */
export function evaluateDocuments(ctx: RuleContext, choices: DocumentChoice[]): RuleResult {
  const problems: RuleProblem[] = [];
  const counted: number[] = [];
  const seen = new Set<string>();
  let primaries = 0;
  let secondaries = 0;
  let foreignPassport = false;
  choices.forEach((choice, index) => {
    const doc = findDocument(choice.type);
    const problem = documentProblem(doc, choice, ctx);
    if (problem) return problems.push({ index, message: problem });
    if (seen.has(doc!.key)) return problems.push({ index, message: `You already chose your ${doc!.name}. Choose a different document` });
    seen.add(doc!.key);
    counted.push(index);
    if (doc!.kind === 'primary') primaries++;
    else secondaries++;
    if (doc!.key === 'foreign_passport') foreignPassport = true;
  });
  let satisfied = ctx.track === 'international' ? primaries >= 2 || (primaries >= 1 && secondaries >= 1) : primaries >= 1;
  if (!satisfied) problems.push({ message: `Choose ${TRACK_NEEDS[ctx.track]}` });
  if (ctx.identifier === 'none' && !foreignPassport) {
    satisfied = false;
    problems.push({ message: 'Without a Social Security number or ITIN, one of your primary documents must be your foreign (non-U.S.) passport' });
  }
  return { satisfied, counted, primaries, secondaries, problems };
}

export interface SupportingContext {
  identifier: IdentifierChoice | null;
  /** "Has your legal name changed?" was answered yes. */
  nameChanged: boolean;
  /** A document's name does not match the name entered. */
  nameDiffers: boolean;
}

/** The supporting documents that apply, in catalog order. */
export function supportingDocuments(ctx: SupportingContext): CatalogDocument[] {
  const needed = new Set<string>();
  if (ctx.identifier === 'itin') needed.add('proof_of_itin');
  if (ctx.identifier === 'none') needed.add('proof_of_non_us_address');
  if (ctx.nameChanged || ctx.nameDiffers) needed.add('legal_name_change');
  return SUPPORTING_DOCUMENTS.filter((d) => needed.has(d.key));
}

// ---- Confirmation questions ------------------------------------------------------------

export type QuestionKey = 'original' | 'nameMatches' | 'unexpired' | 'recent';

export interface Question {
  key: QuestionKey;
  text: string;
  hint?: string;
  /** What a "no" means, and what to do instead. */
  ifNo: string;
}

/** The questions for one chosen document, with the applicant's name in them. */
export function questionsFor(doc: CatalogDocument, fullName: string): Question[] {
  const questions: Question[] = [];
  if (doc.kind === 'primary') {
    questions.push({
      key: 'original',
      text: `Will you have the original ${doc.name} with you on the video call?`,
      hint: 'Copies and photos of documents are not accepted on the call.',
      ifNo: `You must physically show the original on the video call. Choose a document you will have with you.`,
    });
  }
  questions.push({
    key: 'nameMatches',
    text: `Does the name on your ${doc.name} match the name you entered (${fullName})?`,
    ifNo:
      'If your legal name changed (for example when you married), you will also need legal name change documentation, ' +
      'such as a marriage certificate, divorce decree or court order. If you entered your name differently from your ' +
      'documents, go back and enter it exactly as your documents show it.',
  });
  if (doc.expires) {
    questions.push({
      key: 'unexpired',
      text: `Is your ${doc.name} unexpired?`,
      hint: 'Check the expiration date: it must be after today.',
      ifNo: 'Expired documents are not accepted. Choose another document.',
    });
  }
  if (doc.recent) {
    questions.push({
      key: 'recent',
      text: `Was your ${doc.name} ${doc.recent}, and does it show your current address?`,
      ifNo: `Your ${doc.name} must be ${doc.recent} and show your current address. Choose another document.`,
    });
  }
  return questions;
}
