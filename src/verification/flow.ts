/**
 * The case's whole lifecycle as one table of steps, from choosing how to verify to verified,
 * not verified or "send more documents": the intake, sending documents, their review and
 * approval, the queue or an appointment, and the call. Each row says where the step lives,
 * when it is part of a case's path, when it is done, the statuses the case has while it is
 * there, where it can lead, what going back to it clears, and the audit event it writes.
 *
 * The engine is small: a case's path is the steps whose `when` holds, in table order. In the
 * intake the current step is the first one on the path that is not done, and a step may be
 * shown when it is not past the current one; after it, the case's status names its step.
 * Every page asks `mayShow`, and one that may not show redirects (`landing`), so step URLs
 * cannot skip a step, and a form posted from a stale page (back button, a second tab) lands
 * where the case is instead of moving on. Every change of status follows the table's `next`
 * (`mayMove`, checked by CaseSteps.move at run time and by the lint).
 */
import { Messages } from '../i18n/messages';
import { addressProof, evaluateDocuments, findDocument, supportingDocuments, type DocumentChoice, type RuleContext } from './catalog';
import { CASE_STATUSES, type CaseStatus, type ChosenDocument, type InternationalReason, type VerificationCase } from './verification-case.entity';

export type StepKey =
  | 'choose_method'
  | 'us_phone'
  | 'us_address'
  | 'us_ssn'
  | 'video_overview'
  | 'details'
  | 'ssn'
  | 'itin'
  | 'no_number'
  | 'choose_primary'
  | 'check_primary'
  | 'choose_second'
  | 'check_second'
  | 'supporting'
  | 'review_documents'
  | 'send_documents'
  | 'document_review'
  | 'video_queue'
  | 'video_call'
  | 'verified'
  | 'failed';

/** What going back to a step and submitting it again clears. */
export type ClearKey = 'track' | 'documentChecks' | 'firstCheck' | 'secondCheck' | 'supportingConfirmation';

export type Owner = 'verification' | 'documents' | 'scheduling' | 'video';

/** The four stages of the video-call tracker ("Verify identity on a video call"). */
export const TRACKER = [
  'verification.tracker.confirmDetails',
  'verification.tracker.sendDocuments',
  'verification.tracker.holdForReview',
  'verification.tracker.joinVideoCall',
] as const;

export interface Step {
  key: StepKey;
  /** GET shows it, POST submits it. */
  route: string;
  /** The step's name (a catalog key: verification.steps.<key>). */
  title: string;
  owner: Owner;
  /** Steps of one group are alternatives at the same place (SSN, ITIN or neither). */
  group?: string;
  /** The case's status while it waits on this step. */
  status: CaseStatus[];
  /** Statuses of later steps in which this step's page still shows, to say what happened. */
  shownWhile?: CaseStatus[];
  /** Part of this case's path. */
  when: (c: VerificationCase) => boolean;
  done: (c: VerificationCase) => boolean;
  next: StepKey[];
  clears: ClearKey[];
  /** Audit event written when the step is completed. */
  audit: string;
  /** The step's international link: moves the case to the international track, recording why. */
  escape?: { reason: InternationalReason; label: string };
  /** Alternatives of a group: this one is the applicant's choice (where "Go back" leads). */
  selected?: (c: VerificationCase) => boolean;
  /** 1–4: the stage of the video-call tracker this step belongs to. */
  tracker?: 1 | 2 | 3 | 4;
  /** A journey ends here. */
  end?: boolean;
}

// ---- Facts the predicates use ------------------------------------------------------------

/** U.S. states, D.C. and the inhabited territories count as living in the United States. */
const US_COUNTRIES = new Set(['US', 'PR', 'GU', 'VI', 'AS', 'MP', 'UM']);

export function residesOutsideUs(c: VerificationCase): boolean {
  return !!c.addressCountry && !US_COUNTRIES.has(c.addressCountry);
}

export function ruleContext(c: VerificationCase): RuleContext {
  return { track: c.track ?? 'international', residesOutsideUs: residesOutsideUs(c), identifier: c.identifierKind ?? null };
}

export const documentIn = (c: VerificationCase, slot: ChosenDocument['slot']) => c.documents.find((d) => d.slot === slot);

const choices = (c: VerificationCase, ...slots: ChosenDocument['slot'][]): DocumentChoice[] =>
  slots.map((s) => documentIn(c, s)).filter((d): d is ChosenDocument => !!d).map((d) => ({ type: d.type }));

/** The first document can count (a primary, allowed for this applicant). */
function firstChosen(c: VerificationCase): boolean {
  const first = documentIn(c, 'first');
  if (!first || findDocument(first.type)?.kind !== 'primary') return false;
  return evaluateDocuments({ ...ruleContext(c), identifier: null }, choices(c, 'first')).counted.length === 1;
}

/** The whole set meets the track's rules. */
export function documentsSatisfied(c: VerificationCase): boolean {
  return evaluateDocuments(ruleContext(c), choices(c, 'first', 'second')).satisfied;
}

/** A chosen document names the applicant differently (they will send name change documentation). */
export function nameDiffers(c: VerificationCase): boolean {
  return c.documents.some((d) => d.nameChangeDocumentation);
}

/** The second document chosen is also the proof of a non-U.S. address (catalog: addressProof). */
export function secondProvesAddress(c: VerificationCase): boolean {
  return addressProof(findDocument(documentIn(c, 'second')?.type), ruleContext(c));
}

export function neededSupporting(c: VerificationCase) {
  return supportingDocuments({ identifier: c.identifierKind ?? null, nameChanged: !!c.nameChanged, nameDiffers: nameDiffers(c), addressProven: secondProvesAddress(c) });
}

/** SSN or ITIN given, or neither with an address outside the U.S. (the non-U.S. passport path). */
export function identifierDone(c: VerificationCase): boolean {
  if (c.identifierKind === 'ssn') return !!c.identifier && !!c.fcraConsentAt;
  if (c.identifierKind === 'itin') return !!c.identifier;
  return c.identifierKind === 'none' && residesOutsideUs(c);
}

const selfService = (c: VerificationCase) => c.method === 'self_service' && !c.track;
const onTrack = (c: VerificationCase) => !!c.track;
const checked = (slot: ChosenDocument['slot']) => (c: VerificationCase) => !!documentIn(c, slot)?.confirmedAt;
const INTAKE: CaseStatus[] = ['started', 'details_confirmed', 'documents_chosen'];

// ---- The table ---------------------------------------------------------------------------

export const STEPS: Step[] = [
  {
    key: 'choose_method',
    route: '/verify/how',
    title: 'verification.steps.choose_method',
    owner: 'verification',
    status: ['started'],
    when: (c) => !c.detailsConfirmedAt,
    done: (c) => !!c.method,
    next: ['us_phone', 'video_overview'],
    clears: ['track'],
    audit: 'verification.method_chosen',
    escape: { reason: 'no_us_residence', label: 'verification.escape.noUsResidence' },
  },
  {
    key: 'us_phone',
    route: '/verify/self-service/phone',
    title: 'verification.steps.us_phone',
    owner: 'verification',
    status: ['started'],
    when: selfService,
    done: (c) => !!c.phone,
    next: ['us_address', 'video_overview'],
    clears: [],
    audit: 'verification.us_phone_entered',
    escape: { reason: 'no_us_phone', label: 'verification.escape.noUsPhone' },
  },
  {
    key: 'us_address',
    route: '/verify/self-service/address',
    title: 'verification.steps.us_address',
    owner: 'verification',
    status: ['started'],
    when: selfService,
    done: (c) => !!c.addressCountry,
    next: ['us_ssn', 'video_overview'],
    clears: [],
    audit: 'verification.us_address_entered',
    escape: { reason: 'no_us_address', label: 'verification.escape.noUsAddress' },
  },
  {
    key: 'us_ssn',
    route: '/verify/self-service/ssn',
    title: 'verification.steps.us_ssn',
    owner: 'verification',
    status: ['started'],
    when: selfService,
    done: identifierDone,
    next: ['video_overview'],
    clears: [],
    audit: 'verification.self_service_completed',
    escape: { reason: 'no_ssn', label: 'verification.escape.noSsn' },
  },
  {
    key: 'video_overview',
    route: '/verify/video-call',
    title: 'verification.steps.video_overview',
    owner: 'verification',
    status: ['started'],
    when: onTrack,
    done: (c) => !!c.videoStartedAt,
    next: ['details'],
    clears: [],
    audit: 'verification.video_started',
  },
  {
    key: 'details',
    route: '/verify/details',
    title: 'verification.steps.details',
    owner: 'verification',
    status: ['started'],
    when: onTrack,
    done: (c) => !!c.detailsConfirmedAt,
    next: ['ssn', 'choose_primary'],
    clears: ['documentChecks'],
    audit: 'verification.details_confirmed',
    tracker: 1,
  },
  {
    key: 'ssn',
    route: '/verify/ssn',
    title: 'verification.steps.ssn',
    owner: 'verification',
    group: 'identifier',
    selected: (c) => c.identifierKind === 'ssn',
    status: ['started'],
    when: onTrack,
    done: identifierDone,
    next: ['itin', 'no_number', 'choose_primary'],
    clears: ['supportingConfirmation'],
    audit: 'verification.ssn_entered',
    tracker: 1,
  },
  {
    key: 'itin',
    route: '/verify/itin',
    title: 'verification.steps.itin',
    owner: 'verification',
    group: 'identifier',
    selected: (c) => c.identifierKind === 'itin',
    status: ['started'],
    when: onTrack,
    done: identifierDone,
    next: ['ssn', 'no_number', 'choose_primary'],
    clears: ['supportingConfirmation'],
    audit: 'verification.itin_entered',
    tracker: 1,
  },
  {
    key: 'no_number',
    route: '/verify/no-ssn-or-itin',
    title: 'verification.steps.no_number',
    owner: 'verification',
    group: 'identifier',
    selected: (c) => c.identifierKind === 'none',
    status: ['started'],
    when: onTrack,
    done: identifierDone,
    next: ['ssn', 'itin', 'details', 'choose_primary'],
    clears: ['supportingConfirmation'],
    audit: 'verification.no_ssn_or_itin',
    tracker: 1,
  },
  {
    key: 'choose_primary',
    route: '/verify/documents/primary',
    title: 'verification.steps.choose_primary',
    owner: 'verification',
    status: ['details_confirmed'],
    when: onTrack,
    done: firstChosen,
    next: ['check_primary'],
    clears: ['firstCheck'],
    audit: 'verification.primary_chosen',
    tracker: 2,
  },
  {
    key: 'check_primary',
    route: '/verify/documents/primary/check',
    title: 'verification.steps.check_primary',
    owner: 'verification',
    status: ['details_confirmed'],
    when: onTrack,
    done: checked('first'),
    next: ['choose_primary', 'choose_second', 'supporting', 'review_documents'],
    clears: [],
    audit: 'verification.primary_confirmed',
    tracker: 2,
  },
  {
    key: 'choose_second',
    route: '/verify/documents/second',
    title: 'verification.steps.choose_second',
    owner: 'verification',
    status: ['details_confirmed'],
    when: (c) => c.track === 'international',
    done: (c) => !!documentIn(c, 'second') && documentsSatisfied(c),
    next: ['check_second'],
    clears: ['secondCheck'],
    audit: 'verification.second_chosen',
    tracker: 2,
  },
  {
    key: 'check_second',
    route: '/verify/documents/second/check',
    title: 'verification.steps.check_second',
    owner: 'verification',
    status: ['details_confirmed'],
    when: (c) => c.track === 'international',
    done: checked('second'),
    next: ['choose_second', 'supporting', 'review_documents'],
    clears: [],
    audit: 'verification.second_confirmed',
    tracker: 2,
  },
  {
    key: 'supporting',
    route: '/verify/documents/supporting',
    title: 'verification.steps.supporting',
    owner: 'verification',
    status: ['details_confirmed'],
    when: (c) => onTrack(c) && neededSupporting(c).length > 0,
    done: (c) => neededSupporting(c).every((d) => c.supportingConfirmed.includes(d.key)),
    next: ['review_documents'],
    clears: [],
    audit: 'verification.supporting_confirmed',
    tracker: 2,
  },
  {
    key: 'review_documents',
    route: '/verify/documents/review',
    title: 'verification.steps.review_documents',
    owner: 'verification',
    status: ['documents_chosen'],
    when: onTrack,
    // The hand-over to the documents module: once the documents are sent, the status names the step.
    done: () => false,
    next: ['send_documents'],
    clears: [],
    audit: 'verification.documents_chosen',
    tracker: 2,
  },
  {
    key: 'send_documents',
    route: '/documents',
    title: 'verification.steps.send_documents',
    owner: 'documents',
    status: ['documents_chosen', 'documents_rejected', 'needs_more_documents'],
    when: onTrack,
    done: () => false,
    next: ['document_review'],
    clears: [],
    audit: 'verification.documents_submitted',
    tracker: 2,
  },
  {
    key: 'document_review',
    route: '/documents/review',
    title: 'verification.steps.document_review',
    owner: 'documents',
    status: ['documents_submitted', 'in_review'],
    // The hold page stays up with the decision: the documents to replace, or "continue to the call".
    shownWhile: ['documents_rejected', 'approved'],
    when: onTrack,
    done: () => false,
    next: ['send_documents', 'video_queue'],
    clears: [],
    audit: 'verification.documents_reviewed',
    tracker: 3,
  },
  {
    key: 'video_queue',
    route: '/call',
    title: 'verification.steps.video_queue',
    owner: 'scheduling',
    status: ['approved', 'queued', 'scheduled'],
    when: onTrack,
    done: () => false,
    next: ['video_call'],
    clears: [],
    audit: 'verification.call_joined',
    tracker: 4,
  },
  {
    key: 'video_call',
    route: '/call/join',
    title: 'verification.steps.video_call',
    owner: 'video',
    status: ['in_call'],
    when: onTrack,
    done: () => false,
    next: ['verified', 'failed', 'send_documents', 'video_queue'],
    clears: [],
    audit: 'verification.call_ended',
    tracker: 4,
  },
  {
    key: 'verified',
    route: '/call/verified',
    title: 'verification.steps.verified',
    owner: 'video',
    status: ['verified'],
    when: onTrack,
    done: () => false,
    next: [],
    clears: [],
    audit: 'verification.verified',
    end: true,
  },
  {
    key: 'failed',
    route: '/call/failed',
    title: 'verification.steps.failed',
    owner: 'video',
    status: ['failed'],
    when: onTrack,
    done: () => false,
    next: [],
    clears: [],
    audit: 'verification.failed',
    end: true,
  },
];

/**
 * Status transitions. Going back within the intake moves the status
 * back; Save & Exit moves any status to abandoned, and resuming returns to the one before.
 */
export const STATUS_TRANSITIONS: [CaseStatus, CaseStatus][] = [
  ['started', 'details_confirmed'],
  ['details_confirmed', 'started'],
  ['details_confirmed', 'documents_chosen'],
  ['documents_chosen', 'details_confirmed'],
  ['documents_chosen', 'started'],
  ['documents_chosen', 'documents_submitted'],
  ['documents_submitted', 'in_review'],
  ['in_review', 'documents_rejected'],
  ['documents_rejected', 'documents_submitted'],
  ['in_review', 'approved'],
  ['approved', 'queued'],
  ['approved', 'scheduled'],
  ['queued', 'scheduled'],
  ['scheduled', 'queued'],
  ['scheduled', 'approved'],
  ['queued', 'approved'],
  ['queued', 'in_call'],
  ['scheduled', 'in_call'],
  ['in_call', 'verified'],
  ['in_call', 'failed'],
  ['in_call', 'needs_more_documents'],
  ['in_call', 'approved'],
  ['needs_more_documents', 'documents_submitted'],
  ...CASE_STATUSES.filter((s) => s !== 'abandoned' && s !== 'verified' && s !== 'failed').flatMap(
    (s): [CaseStatus, CaseStatus][] => [
      [s, 'abandoned'],
      ['abandoned', s],
    ],
  ),
];

export const TERMINAL_STATUSES: CaseStatus[] = ['verified', 'failed'];

/** Audit event of the international links. */
export const MOVED_TO_INTERNATIONAL = 'verification.moved_to_international';

// ---- The engine ----------------------------------------------------------------------------

const BY_KEY = new Map(STEPS.map((s) => [s.key, s]));

export function step(key: StepKey): Step {
  const found = BY_KEY.get(key);
  if (!found) throw new Error(`unknown step ${key}`);
  return found;
}

/** Steps a case goes through, in order. */
export function pathOf(c: VerificationCase): Step[] {
  return STEPS.filter((s) => s.when(c));
}

/** The latest step the case may be on: the first one on its path that is not done. */
export function currentStep(c: VerificationCase): Step {
  const status = effectiveStatus(c);
  const path = pathOf(c);
  if (!INTAKE.includes(status)) {
    // Past the intake: the step of the later module that owns this status.
    return path.find((s) => s.status.includes(status) && !INTAKE_KEYS.has(s.key)) ?? step('review_documents');
  }
  return path.find((s) => !s.done(c)) ?? step('review_documents');
}

const INTAKE_KEYS = new Set(STEPS.filter((s) => s.owner === 'verification').map((s) => s.key));

/** Where a step sits: steps of one group share the place of the group's first step. */
function place(path: Step[], s: Step): number {
  return path.findIndex((p) => p === s || (!!s.group && p.group === s.group));
}

/** The step before `key` on the case's path, for "Go back" (of a group of alternatives: the one chosen). */
export function previousStep(c: VerificationCase, key: StepKey): Step | undefined {
  const path = pathOf(c);
  const target = step(key);
  const before = path.slice(0, Math.max(place(path, target), 0)).filter((s) => !target.group || s.group !== target.group);
  const previous = before[before.length - 1];
  if (!previous?.group) return previous;
  const group = path.filter((s) => s.group === previous.group);
  return group.find((s) => s.selected?.(c)) ?? group[0];
}

/**
 * May this step's page be shown (or its form accepted) now? The one gate of every page of the
 * case: an intake step when it is not past the current one, a later step while the case has
 * one of its statuses (or of those it is still shown in).
 */
export function mayShow(c: VerificationCase, key: StepKey): boolean {
  const target = step(key);
  const status = effectiveStatus(c);
  const path = pathOf(c);
  if (!path.includes(target)) return false;
  if (!INTAKE_KEYS.has(key)) return [...target.status, ...(target.shownWhile ?? [])].includes(status);
  return INTAKE.includes(status) && place(path, target) <= place(path, currentStep(c));
}

/**
 * Where a page that may not show sends the reader: past the intake, to a page of the same
 * module that may show (the documents pages to the hold page while it shows the decision);
 * else to the current step.
 */
export function landing(c: VerificationCase, key: StepKey): Step {
  const owner = step(key).owner;
  const sibling = owner === 'verification' ? undefined : pathOf(c).find((s) => s.owner === owner && mayShow(c, s.key));
  return sibling ?? currentStep(c);
}

/**
 * What a step's page shows of the flow: its heading, and the tracker's stage. A later page
 * that stays up while the case moves on (the hold page showing the approval) shows the stage
 * the case is at, never an earlier one: along the journey the tracker never goes back.
 */
export function pageOf(c: VerificationCase, key: StepKey): { step: Pick<Step, 'key' | 'title' | 'route'>; tracker?: { stages: typeof TRACKER; current: number } } {
  const s = step(key);
  const reached = INTAKE.includes(effectiveStatus(c)) ? 0 : (currentStep(c).tracker ?? 0);
  const current = s.tracker && Math.max(s.tracker, reached);
  return { step: { key, title: s.title, route: s.route }, tracker: current ? { stages: TRACKER, current } : undefined };
}

/** The intake's statuses: moved by what the applicant has done (intakeStatus), and back when they go back. */
export function isIntake(status: CaseStatus): boolean {
  return INTAKE.includes(status);
}

/**
 * Does a status change follow the table? To a status of the same step or of one its `next`
 * leads to; back to an earlier intake status (going back to a step); or Save & Exit and back.
 */
export function followsTable(from: CaseStatus, to: CaseStatus): boolean {
  if (from === 'abandoned' || to === 'abandoned') return true;
  if (isIntake(from) && isIntake(to) && INTAKE.indexOf(to) < INTAKE.indexOf(from)) return true;
  return STEPS.some((s) => s.status.includes(from) && (s.status.includes(to) || s.next.some((n) => step(n).status.includes(to))));
}

/** May a case's status move from `from` to `to`: one of the status transitions, along the table. */
export function mayMove(from: CaseStatus, to: CaseStatus): boolean {
  return STATUS_TRANSITIONS.some(([a, b]) => a === from && b === to) && followsTable(from, to);
}

/** The status a Save & Exit case returns to. */
export function effectiveStatus(c: VerificationCase): CaseStatus {
  return c.status === 'abandoned' ? (c.statusBeforeExit ?? 'started') : c.status;
}

/** The intake status that follows from what is done (recomputed after every intake step). */
export function intakeStatus(c: VerificationCase): CaseStatus {
  const path = pathOf(c).filter((s) => INTAKE_KEYS.has(s.key) && s.key !== 'review_documents');
  const allDone = (status: CaseStatus) => path.filter((s) => s.status.includes(status)).every((s) => s.done(c));
  if (!c.track || !allDone('started')) return 'started';
  return allDone('details_confirmed') ? 'documents_chosen' : 'details_confirmed';
}

/** What going back to `key` and submitting it again clears (the table's `clears`). */
export function applyClears(c: VerificationCase, key: StepKey): void {
  for (const clear of step(key).clears) {
    switch (clear) {
      case 'track':
        c.track = undefined;
        c.internationalReason = undefined;
        c.videoStartedAt = undefined;
        break;
      case 'documentChecks':
        c.documents = c.documents.map(({ slot, type }) => ({ slot, type }));
        break;
      case 'firstCheck':
      case 'secondCheck': {
        const slot = clear === 'firstCheck' ? 'first' : 'second';
        c.documents = c.documents.map((d) => (d.slot === slot ? { slot: d.slot, type: d.type } : d));
        break;
      }
      case 'supportingConfirmation':
        c.supportingConfirmed = [];
        break;
    }
  }
}

// ---- The diagram -------------------------------------------------------------------------

/** The table as Mermaid (docs/verification-flow.md is written from this by scripts/flow-diagram.js), titled in English. */
export function flowMermaid(): string {
  const english = new Messages();
  const lines = ['flowchart TD'];
  const owners = [...new Set(STEPS.map((s) => s.owner))];
  for (const owner of owners) {
    lines.push(`  subgraph ${owner}`);
    for (const s of STEPS.filter((x) => x.owner === owner)) {
      const label = `${english.text('en', s.title)}<br/><code>${s.route}</code><br/><small>${s.status.join(', ')}${s.shownWhile ? `; shown while ${s.shownWhile.join(', ')}` : ''}</small>`;
      lines.push(s.end ? `    ${s.key}(["${label}"])` : `    ${s.key}["${label}"]`);
    }
    lines.push('  end');
  }
  for (const s of STEPS) for (const n of s.next) lines.push(`  ${s.key} --> ${n}`);
  return lines.join('\n');
}

export function statusMermaid(): string {
  const lines = ['stateDiagram-v2', '  [*] --> started'];
  for (const [from, to] of STATUS_TRANSITIONS) {
    if (from === 'abandoned' || to === 'abandoned') continue;
    lines.push(`  ${from} --> ${to}`);
  }
  lines.push('  note right of abandoned: Save & Exit from any status; the resume link returns to it');
  for (const s of TERMINAL_STATUSES) lines.push(`  ${s} --> [*]`);
  return lines.join('\n');
}

export function flowMarkdown(): string {
  return [
    '# The verification flow',
    '',
    'Generated from `src/verification/flow.ts` by `npm run flow-diagram`; a test fails when this file is out of date.',
    '',
    '## Steps',
    '',
    '```mermaid',
    flowMermaid(),
    '```',
    '',
    '## Case status',
    '',
    '```mermaid',
    statusMermaid(),
    '```',
    '',
  ].join('\n');
}
