/**
 * The documents an applicant can verify with, and the rules for choosing them. Pages,
 * questions and rules all read from here; no template lists documents of its own.
 * Written to read like the help article Referee follows ("What you'll need", step 4); the
 * words people read are in content/messages/<language>/documentTypes.json, by document key.
 */
import { phrase, type Phrase, type Text } from '../i18n/messages';

export type Track = 'international' | 'us_video';
export type IdentifierChoice = 'ssn' | 'itin' | 'none';
export type DocumentKind = 'primary' | 'secondary' | 'supporting';

export interface CatalogDocument {
  key: string;
  kind: DocumentKind;
  /**
   * As the list shows it: the catalog phrase documentTypes.<key>.label (content/messages).
   * Phrases, not strings: a template shows one with t(), and as a value of another phrase
   * (`phrase('…', { document: doc.name })`) it is translated in that phrase's language.
   */
  label: Phrase;
  /** In a sentence ("Does the name on your {document} match…"): documentTypes.<key>.name. */
  name: Phrase;
  /** The small print under the label (what is not accepted): documentTypes.notes.<note>. */
  note?: Phrase;
  /** What must be visible on it: the yellow box at the top of its page (keys of documentTypes.mustShow). */
  mustShow: Text[];
  /** It has an expiration date, and expired documents are not accepted. */
  expires: boolean;
  /** Secondary documents: how recent it must be (the questions and requirements say it in words). */
  recent?: Recency;
  /** Accepted only from someone who lives outside the United States. */
  onlyIfResidingOutsideUs?: boolean;
  /**
   * Shows the person's current address and is recent enough (last 90 days): for someone who
   * lives outside the United States it is also their proof of a non-U.S. address.
   */
  showsAddress?: boolean;
  /** Evidence strength (NIST SP 800-63A): what the agent may rely on it for. */
  strength: 'STRONG' | 'FAIR' | 'SUPPORTING';
}

/** Issued within the last 90 days, or (a W-2) for the most recent tax year. */
export type Recency = 'last90Days' | 'latestTaxYear';

type Requirement =
  | 'fullName' | 'dateOfBirth' | 'photo' | 'expirationDate' | 'machineReadableZone' | 'certificateNumber'
  | 'currentAddress' | 'issuedLast90Days' | 'latestTaxYear' | 'itin' | 'issuedByIrs' | 'addressOutsideUs'
  | 'previousName' | 'currentLegalName' | 'issuer';
type Note = 'noMilitaryId' | 'noEmployerId' | 'onlyOutsideUs' | 'nameChangeExamples';

/** The words people read live in content/messages/<language>/documentTypes.json; here only their keys. */
const must = (...lines: Requirement[]): Text[] =>
  lines.map((line) => (line === 'machineReadableZone' ? phrase(`documentTypes.mustShow.${line}`, { filler: '<<<' }) : `documentTypes.mustShow.${line}`));

interface Described {
  note?: Note;
  mustShow?: Text[];
  expires?: boolean;
  onlyIfResidingOutsideUs?: boolean;
}

const entry = (key: string, kind: DocumentKind, strength: CatalogDocument['strength'], extra: Described & { mustShow: Text[]; expires: boolean; recent?: Recency }): CatalogDocument => ({
  key,
  kind,
  label: phrase(`documentTypes.${key}.label`),
  name: phrase(`documentTypes.${key}.name`),
  strength,
  ...extra,
  note: extra.note && phrase(`documentTypes.notes.${extra.note}`),
});

const photoId = must('fullName', 'dateOfBirth', 'photo', 'expirationDate');
const primary = (key: string, extra: Described = {}) => entry(key, 'primary', 'STRONG', { mustShow: photoId, expires: true, ...extra });
const secondary = (key: string, recent: Recency = 'last90Days', extra: Pick<CatalogDocument, 'showsAddress'> = {}) =>
  entry(key, 'secondary', 'FAIR', { mustShow: must('fullName', 'currentAddress', recent === 'last90Days' ? 'issuedLast90Days' : 'latestTaxYear'), expires: false, recent, ...extra });
/** A bill or statement sent to the home: names the person at their current address. */
const addressed = { showsAddress: true };
const supporting = (key: string, mustShow: Text[], extra: Described = {}) => entry(key, 'supporting', 'SUPPORTING', { mustShow, expires: false, ...extra });

/** Primary documents: the original, physically shown on the video call. Select ONE at a time. */
export const PRIMARY_DOCUMENTS: CatalogDocument[] = [
  primary('us_drivers_license'),
  primary('us_passport_card'),
  primary('us_permanent_resident_card'),
  primary('hspd12_piv_card'),
  primary('government_photo_id', { note: 'noMilitaryId' }),
  primary('foreign_passport', { mustShow: [...photoId, ...must('machineReadableZone')] }),
  primary('employment_authorization_card', { note: 'noEmployerId' }),
  primary('tsa_id_card'),
  primary('dhs_trusted_traveler_card'),
  primary('veterans_health_id_card'),
  primary('certificate_of_naturalization', { mustShow: must('fullName', 'dateOfBirth', 'photo', 'certificateNumber'), expires: false }),
  primary('national_id_card', { note: 'onlyOutsideUs', onlyIfResidingOutsideUs: true }),
  primary('canadian_drivers_license'),
  primary('tribal_photo_id'),
];

/**
 * Secondary documents: show your name and current address, and are recent. A bill, pay stub
 * or statement of the last 90 days is also the proof of a non-U.S. address (a W-2 is a
 * year's summary, not recent enough).
 */
export const SECONDARY_DOCUMENTS: CatalogDocument[] = [
  secondary('utility_bill', 'last90Days', addressed),
  secondary('pay_stub', 'last90Days', addressed),
  secondary('medical_bill', 'last90Days', addressed),
  secondary('bank_statement', 'last90Days', addressed),
  secondary('w2_form', 'latestTaxYear'),
];

/** You may also need to provide these. */
export const SUPPORTING_DOCUMENTS: CatalogDocument[] = [
  supporting('proof_of_itin', must('fullName', 'itin', 'issuedByIrs')),
  supporting('proof_of_non_us_address', must('fullName', 'addressOutsideUs', 'issuedLast90Days')),
  supporting('legal_name_change', must('previousName', 'currentLegalName', 'issuer'), { note: 'nameChangeExamples' }),
];

export const CATALOG: ReadonlyMap<string, CatalogDocument> = new Map(
  [...PRIMARY_DOCUMENTS, ...SECONDARY_DOCUMENTS, ...SUPPORTING_DOCUMENTS].map((d) => [d.key, d]),
);

export function findDocument(key: unknown): CatalogDocument | undefined {
  return typeof key === 'string' ? CATALOG.get(key) : undefined;
}

/** Shown on every document page: a translated document and its original side by side. */
export const TRANSLATION_TIP = 'documentTypes.translationTip';

export const PRIMARY_MUST_BE = ['documentTypes.primaryMustBe.original', 'documentTypes.primaryMustBe.shownOnCall'];

// ---- What each track needs -------------------------------------------------------------

/** What each track needs, in words: two primary, or one primary and at least one secondary; or one primary. */
export const TRACK_NEEDS: Record<Track, string> = {
  international: 'documentTypes.needs.international',
  us_video: 'documentTypes.needs.us_video',
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
  message: Text;
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
export function documentProblem(doc: CatalogDocument | undefined, choice: DocumentChoice, ctx: Pick<RuleContext, 'residesOutsideUs'>): Text | undefined {
  if (!doc) return 'documentTypes.rules.notInList';
  if (doc.kind === 'supporting') return phrase('documentTypes.rules.supportingOnly', { document: doc.label });
  if (doc.onlyIfResidingOutsideUs && !ctx.residesOutsideUs) return phrase('documentTypes.rules.onlyOutsideUs', { document: doc.name });
  if (choice.expired) return phrase('documentTypes.rules.expired', { document: doc.name });
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
    if (seen.has(doc!.key)) return problems.push({ index, message: phrase('documentTypes.rules.alreadyChosen', { document: doc!.name }) });
    seen.add(doc!.key);
    counted.push(index);
    if (doc!.kind === 'primary') primaries++;
    else secondaries++;
    if (doc!.key === 'foreign_passport') foreignPassport = true;
  });
  let satisfied = ctx.track === 'international' ? primaries >= 2 || (primaries >= 1 && secondaries >= 1) : primaries >= 1;
  if (!satisfied) problems.push({ message: phrase('documentTypes.rules.needs', { needs: phrase(TRACK_NEEDS[ctx.track]) }) });
  if (ctx.identifier === 'none' && !foreignPassport) {
    satisfied = false;
    problems.push({ message: 'documentTypes.rules.passportRequired' });
  }
  return { satisfied, counted, primaries, secondaries, problems };
}

export interface SupportingContext {
  identifier: IdentifierChoice | null;
  /** "Has your legal name changed?" was answered yes. */
  nameChanged: boolean;
  /** A document's name does not match the name entered. */
  nameDiffers: boolean;
  /** The chosen secondary document proves the home address (addressProof). */
  addressProven?: boolean;
}

/**
 * The chosen secondary document is also the proof of a non-U.S. address: it shows the
 * current address and the person lives outside the United States (the reviewer compares
 * the address on it).
 */
export function addressProof(secondary: CatalogDocument | undefined, ctx: Pick<RuleContext, 'residesOutsideUs'>): boolean {
  return !!secondary?.showsAddress && secondary.kind === 'secondary' && ctx.residesOutsideUs;
}

/** The supporting documents that apply, in catalog order. */
export function supportingDocuments(ctx: SupportingContext): CatalogDocument[] {
  const needed = new Set<string>();
  if (ctx.identifier === 'itin') needed.add('proof_of_itin');
  if (ctx.identifier === 'none' && !ctx.addressProven) needed.add('proof_of_non_us_address');
  if (ctx.nameChanged || ctx.nameDiffers) needed.add('legal_name_change');
  return SUPPORTING_DOCUMENTS.filter((d) => needed.has(d.key));
}

// ---- Confirmation questions ------------------------------------------------------------

export type QuestionKey = 'original' | 'nameMatches' | 'unexpired' | 'recent';

export interface Question {
  key: QuestionKey;
  /** The question, a hint under it, and what a "no" means and what to do instead: catalog phrases. */
  text: Text;
  hint?: Text;
  ifNo: Text;
}

/** The questions for one chosen document, with the applicant's name in them. */
export function questionsFor(doc: CatalogDocument, fullName: string): Question[] {
  const document = doc.name;
  const questions: Question[] = [];
  if (doc.kind === 'primary') {
    questions.push({
      key: 'original',
      text: phrase('documentTypes.questions.original.text', { document }),
      hint: 'documentTypes.questions.original.hint',
      ifNo: 'documentTypes.questions.original.ifNo',
    });
  }
  questions.push({
    key: 'nameMatches',
    text: phrase('documentTypes.questions.nameMatches.text', { document, name: fullName }),
    ifNo: 'documentTypes.questions.nameMatches.ifNo',
  });
  if (doc.expires) {
    questions.push({
      key: 'unexpired',
      text: phrase('documentTypes.questions.unexpired.text', { document }),
      hint: 'documentTypes.questions.unexpired.hint',
      ifNo: 'documentTypes.questions.unexpired.ifNo',
    });
  }
  if (doc.recent) {
    questions.push({
      key: 'recent',
      text: phrase('documentTypes.questions.recent.text', { document, recent: doc.recent }),
      ifNo: phrase('documentTypes.questions.recent.ifNo', { document, recent: doc.recent }),
    });
  }
  return questions;
}
