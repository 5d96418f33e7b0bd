import { Inject, Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomInt } from 'node:crypto';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { hmac, randomToken, sameSecret } from '../crypto/tokens';
import { phrase } from '../i18n/messages';
import { NotificationsService } from '../notifications/notifications.service';
import { VerifiedIdentitiesService } from '../verified-identity/verified-identities.service';
import type { VerifiedIdentity } from '../verified-identity/verified-identity';
import { AppointmentsService } from '../scheduling/appointments.service';
import { QueueService } from '../scheduling/queue.service';
import { StaffService } from '../staff/staff.service';
import { findDocument } from '../verification/catalog';
import { CaseSteps } from '../verification/case-steps';
import { step } from '../verification/flow';
import { VerificationCase } from '../verification/verification-case.entity';
import { VerificationService } from '../verification/verification.service';
import { RateLimits } from '../web/rate-limits';
import { itemsFor, type OutcomeForm } from './checklist';
import { jitsiToken, type CallEventType } from './jitsi';
import { CallPreference } from './call-preference.entity';
import { callsInProgress, holdAgentStatus } from './calls.queries';
import type { CallPreferencesInput } from './forms';
import { VideoCall } from './video-call.entity';

export interface Helper {
  name: string;
  relationship: string;
  role: string;
}

export interface CallPreferences {
  language: string;
  needsInterpreter: boolean;
  helper?: Helper;
  /** The applicant saved their choices (else these are the defaults). */
  chosen: boolean;
}

/** A call's JWTs last this long after the start (the call's end at the latest). */
const CALL_HOURS = 2;

export interface JoinInfo {
  domain: string;
  room: string;
  jwt?: string;
  displayName: string;
}

/**
 * Video calls: an agent takes the next applicant, both join one unguessable Jitsi room,
 * the page reports what happened, and the agent records the outcome. A verified call hands
 * the identity and its evidence to the OIDC module (recordVerified).
 */
@Injectable()
export class CallsService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly verification: VerificationService,
    private readonly queue: QueueService,
    private readonly appointments: AppointmentsService,
    private readonly staff: StaffService,
    private readonly audit: AuditService,
    private readonly identities: VerifiedIdentitiesService,
    private readonly notifications: NotificationsService,
    private readonly cipher: PiiCipher,
    private readonly rateLimits: RateLimits,
  ) {}

  // ---- Agents ---------------------------------------------------------------------------------

  /** "Next applicant": the agent's call in progress, or the next applicant (a due appointment, else the queue) claimed atomically. */
  async next(agentId: string): Promise<VideoCall | 'not-certified' | null> {
    if (!(await this.staff.canTakeCalls(agentId))) return 'not-certified';
    return this.em.transactional(async (em) => {
      // One claim at a time per agent (a double click): the agent's status row is the lock.
      await holdAgentStatus(em, agentId);
      const active = await em.findOne(VideoCall, { agent: agentId, status: 'active' });
      if (active) return active;
      // Appointments due within 5 minutes first, then the queue in order.
      const claimed = (await this.appointments.claimDue(em, agentId)) ?? (await this.queue.claimNext(em, agentId));
      if (!claimed) return null;
      const c = await em.findOneOrFail(VerificationCase, claimed.caseId, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      const call = em.create(VideoCall, { verificationCase: c, applicant: claimed.accountId, agent: agentId, room: `referee-${randomToken(24).toLowerCase()}` });
      await this.steps.move(em, c, 'in_call', 'verification.call_started', { callId: call.id });
      await this.queue.setAgentStatus(agentId, 'on_call', em);
      return call;
    });
  }

  /** A call of this agent (agents see only the cases they claimed). */
  ofAgent(agentId: string, callId: string): Promise<VideoCall | null> {
    if (!/^[0-9a-f-]{36}$/.test(callId)) return Promise.resolve(null);
    return this.em.findOne(VideoCall, { id: callId, agent: agentId }, { populate: ['verificationCase', 'applicant'], refresh: true });
  }

  /** A call with its case and applicant, for a page the caller has already authorized (StaffAccess). */
  byId(callId: string): Promise<VideoCall | null> {
    if (!/^[0-9a-f-]{36}$/.test(callId)) return Promise.resolve(null);
    return this.em.findOne(VideoCall, { id: callId }, { populate: ['verificationCase', 'applicant'], refresh: true });
  }

  /** The applicant's details for the console: decrypted here, and each view audit-logged (with the viewer's standing: holder or supervisor). */
  async detailsFor(call: VideoCall, actor: Pick<AuditEntry, 'actorId' | 'ip'>, as: 'holder' | 'supervisor') {
    const c = call.verificationCase;
    const address = this.verification.decryptAddress(c);
    const dateOfBirth = this.verification.decryptDateOfBirth(c);
    const preferences = await this.preferencesOf(c.id);
    await this.audit.record({ action: 'video.details_viewed', caseId: c.id, subject: call.applicant.id, details: { callId: call.id, as, role: as === 'holder' ? 'referee' : 'supervisor' }, ...actor });
    return {
      name: [c.firstName, c.middleName, c.lastName].filter(Boolean).join(' '),
      dateOfBirth,
      address,
      email: c.email ?? call.applicant.email,
      phone: c.phone,
      identifierKind: c.identifierKind,
      identifierLast4: c.identifierLast4,
      duplicateIdentifier: !!c.duplicateIdentifierAt,
      documents: c.documents.map((d) => ({ slot: d.slot, type: d.type, label: findDocument(d.type)?.label ?? d.type, kind: findDocument(d.type)?.kind, expires: findDocument(d.type)?.expires !== false })),
      items: itemsFor(c, !!preferences.helper),
      preferences,
    };
  }

  /** A one-time code to the applicant's email, read back on the call. */
  async sendCode(agentId: string, callId: string, actor: Pick<AuditEntry, 'actorId' | 'ip'>): Promise<boolean> {
    await this.rateLimits.consume('call-code:call', callId);
    const mail = await this.em.transactional(async (em) => {
      const call = await em.findOne(VideoCall, { id: callId, agent: agentId, status: 'active' }, { populate: ['verificationCase', 'applicant'], lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!call) return null;
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      call.codeHash = this.codeHash(call.id, code);
      call.codeSentAt = new Date();
      return this.notifications.queueEmail({
        to: call.verificationCase.email ?? call.applicant.email,
        ...this.notifications.compose(call.applicant.language, 'call.email.code.subject', [phrase('call.email.code.body', { code }), 'call.email.code.warning']),
      });
    });
    if (!mail) return false;
    await this.audit.record({ action: 'video.code_sent', subject: callId, ...actor });
    return true;
  }

  private codeHash(callId: string, code: string): string {
    return hmac(this.config.sessionSecret, `call-code:${callId}:${code}`);
  }

  /**
   * The outcome. verified: the evidence goes to recordVerified and the case ends verified;
   * failed ends it; needs_more_documents goes back to Send Documents; incomplete to the queue page.
   */
  async complete(agentId: string, callId: string, form: OutcomeForm, actor: Pick<AuditEntry, 'actorId' | 'ip'>): Promise<'done' | 'bad-code' | 'not-found'> {
    const result = await this.em.transactional(async (em) => {
      const call = await em.findOne(VideoCall, { id: callId, agent: agentId, status: 'active' }, { populate: ['applicant'], lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!call) return 'not-found' as const;
      if (form.outcome === 'verified' && (!call.codeHash || !form.code || !sameSecret(call.codeHash, this.codeHash(call.id, form.code)))) return 'bad-code' as const;
      const c = await em.findOneOrFail(VerificationCase, call.verificationCase.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      const now = new Date();
      call.status = 'ended';
      call.endedAt = now;
      call.outcome = form.outcome;
      call.outcomeReason = form.reason;
      call.checklist = form.checked;
      call.fraudSuspected = form.fraud;
      call.notesCipher = form.notes ? this.cipher.encrypt(form.notes, `video_call:${call.id}:notes`) : undefined;
      const detail = { callId: call.id, referee: agentId, fraudSuspected: form.fraud || undefined };
      if (form.outcome === 'verified') await this.steps.move(em, c, 'verified', step('verified').audit, { ...detail, level: 'IAL2' });
      else if (form.outcome === 'failed') await this.steps.move(em, c, 'failed', step('failed').audit, { ...detail, reason: form.reason });
      else if (form.outcome === 'needs_more_documents') await this.steps.move(em, c, 'needs_more_documents', step('video_call').audit, { ...detail, reason: form.reason });
      else await this.steps.move(em, c, 'approved', step('video_call').audit, { ...detail, incomplete: true, reason: form.reason });
      await this.queue.finish(em, c.id);
      await this.queue.setAgentStatus(agentId, 'available', em);
      return { call, c, now };
    });
    if (typeof result === 'string') return result;
    const { call, c, now } = result;
    if (form.outcome === 'verified') await this.identities.recordVerified(call.applicant.id, this.identityOf(c, call, form, now));
    await this.audit.record({
      action: `video.outcome_${form.outcome}`,
      caseId: c.id,
      subject: call.applicant.id,
      details: { callId: call.id, room: call.room, reference: call.evidenceReference, recordingStartedAt: call.recordingStartedAt?.toISOString(), fraudSuspected: form.fraud, reason: form.reason, checked: form.checked },
      ...actor,
    });
    return 'done';
  }

  /** What the OIDC module shares: the claims as confirmed on the call and each document's evidence (vri, then pvr). */
  private identityOf(c: VerificationCase, call: VideoCall, form: OutcomeForm, at: Date): VerifiedIdentity {
    const address = this.verification.decryptAddress(c);
    const reviewedAt = c.updatedAt < at ? c.updatedAt : at;
    // Organizations get the call's opaque reference, never an internal id (case, call, room, referee).
    const reference = call.evidenceReference;
    return {
      verifiedAt: at,
      verificationProcess: reference,
      ssnVerified: c.identifierKind === 'ssn',
      claims: {
        givenName: c.firstName ?? '',
        familyName: c.lastName ?? '',
        middleName: c.middleName || undefined,
        birthdate: this.verification.decryptDateOfBirth(c) ?? '',
        address: address && {
          streetAddress: [address.line1, address.line2].filter(Boolean).join('\n'),
          locality: address.city,
          region: address.region || undefined,
          postalCode: address.postalCode || undefined,
          country: address.country,
        },
        phoneNumber: c.phone,
      },
      documents: form.documents
        .filter((d) => findDocument(d.key)?.kind === 'primary')
        .map((d) => ({
          type: d.type,
          number: d.number,
          issuer: { country: d.country },
          dateOfExpiry: d.expiry,
          checks: [
            { method: 'vri' as const, checkId: `${reference}:vri`, time: reviewedAt },
            { method: 'pvr' as const, checkId: `${reference}:pvr`, time: at },
          ],
        })),
    };
  }

  siteUrl(): string {
    return this.config.baseUrl;
  }

  jitsiDomain(): string {
    return this.config.jitsi.domain;
  }

  // ---- Supervisors ----------------------------------------------------------------------------------

  /** Calls in progress (or only `onlyCall`), oldest first. */
  async inProgress(onlyCall?: string): Promise<{ callId: string; caseId: string; agentId: string; startedAt: Date }[]> {
    return callsInProgress(this.em, onlyCall);
  }

  /**
   * A supervisor releases the call `agentId` has in progress: it ends without an outcome, the
   * applicant is back in the queue at the head of it (see QueueService.requeue), and the agent's
   * status becomes Away (they may have gone: the estimate must not count them). 'changed' when
   * the call is no longer in progress with that agent. The caller checks the supervisor's role.
   */
  async release(callId: string, agentId: string, actor: Pick<AuditEntry, 'actorId' | 'ip'>): Promise<'released' | 'changed'> {
    if (!/^[0-9a-f-]{36}$/.test(callId) || !/^[0-9a-f-]{36}$/.test(agentId)) return 'changed';
    const released = await this.em.transactional(async (em) => {
      const locked = await lockActiveCall(em, { id: callId, agent: agentId });
      if (!locked) return null;
      const { call, c } = locked;
      const now = new Date();
      call.status = 'ended';
      call.endedAt = now;
      call.releasedAt = now;
      if (c.status === 'in_call') {
        await this.steps.move(em, c, 'approved', 'verification.call_released', { callId: call.id });
        await this.steps.move(em, c, 'queued', 'verification.queue_joined', { callId: call.id, released: true });
        await this.queue.requeue(em, c.id, call.applicant.id, call.startedAt);
      }
      await this.queue.setAgentStatus(agentId, 'away', em);
      return { caseId: c.id, applicantId: call.applicant.id };
    });
    if (!released) return 'changed';
    await this.audit.record({ ...actor, action: 'video.call_released', caseId: released.caseId, subject: callId, details: { agent: agentId } });
    return 'released';
  }

  // ---- Language, interpreter, helper ----------------------------------------------------------------

  async preferencesOf(caseId: string): Promise<CallPreferences> {
    const p = await this.em.findOne(CallPreference, { verificationCase: caseId }, { refresh: true });
    const language = p?.language ?? 'en';
    const helper = p?.helperCipher ? (JSON.parse(this.cipher.decrypt(p.helperCipher, `call_preference:${caseId}:helper`)) as Helper) : undefined;
    return { language, needsInterpreter: language !== 'en', helper, chosen: !!p };
  }

  /** The language of the call (any but English: an interpreter) and an optional helper, as CallPreferencesForm read them. */
  async savePreferences(accountId: string, preferences: CallPreferencesInput): Promise<void> {
    const c = await this.steps.find(accountId);
    if (!c) return;
    const { language, helper } = preferences;
    const p = (await this.em.findOne(CallPreference, { verificationCase: c.id })) ?? this.em.create(CallPreference, { verificationCase: c });
    p.language = language;
    p.helperCipher = helper ? this.cipher.encrypt(JSON.stringify(helper), `call_preference:${c.id}:helper`) : undefined;
    p.updatedAt = new Date();
    await this.em.flush();
    await this.steps.record(this.em, c, 'verification.call_preferences_saved', undefined, { language, helper: !!helper });
  }

  /** A link for a third-party interpreter: a guest JWT (never moderator, no recording) that expires when the call's tokens do. */
  async interpreterLink(agentId: string, callId: string, actor: Pick<AuditEntry, 'actorId' | 'ip'>): Promise<string | null> {
    const call = await this.em.findOne(VideoCall, { id: callId, agent: agentId, status: 'active' });
    if (!call) return null;
    const info = await this.joinInfo(call, { id: `interpreter:${call.id}`, name: 'Interpreter', agent: false });
    await this.audit.record({ action: 'video.interpreter_invited', subject: callId, ...actor });
    return `https://${info.domain}/${info.room}${info.jwt ? `?jwt=${info.jwt}` : ''}`;
  }

  // ---- Applicants -------------------------------------------------------------------------------

  activeForApplicant(accountId: string): Promise<VideoCall | null> {
    return this.em.findOne(VideoCall, { applicant: accountId, status: 'active' }, { refresh: true });
  }

  /**
   * The video did not work for the applicant, who chose to book an appointment instead: their
   * call ends without an outcome (neither completed nor failed), the case goes back to approved
   * (documents stay approved), and the Trusted Referee's console says the applicant left to book.
   * False when the applicant has no call in progress.
   */
  async leaveToBook(accountId: string): Promise<boolean> {
    const left = await this.em.transactional(async (em) => {
      const locked = await lockActiveCall(em, { applicant: accountId });
      if (!locked) return null;
      const { call, c } = locked;
      const now = new Date();
      call.status = 'ended';
      call.endedAt = now;
      call.leftToBookAt = now;
      if (c.status === 'in_call') await this.steps.move(em, c, 'approved', 'verification.call_left_to_book', { callId: call.id });
      await this.queue.leftToBook(em, c.id);
      await this.queue.setAgentStatus(call.agent.id, 'available', em);
      return { caseId: c.id, callId: call.id };
    });
    if (!left) return false;
    await this.audit.record({ action: 'video.applicant_left_to_book', caseId: left.caseId, subject: left.callId, actorId: accountId });
    return true;
  }

  /** The applicant agreed to the recording (required before joining). */
  async consent(accountId: string): Promise<boolean> {
    const updated = await this.em.nativeUpdate(VideoCall, { applicant: accountId, status: 'active', recordingConsentAt: null }, { recordingConsentAt: new Date() });
    return updated > 0;
  }

  /** What the call page passes to JitsiMeetExternalAPI. */
  async joinInfo(call: VideoCall, who: { id: string; name: string; email?: string; agent: boolean }): Promise<JoinInfo> {
    const expires = new Date(call.startedAt.getTime() + CALL_HOURS * 3600_000);
    return { domain: this.config.jitsi.domain, room: call.room, jwt: await jitsiToken(this.config.jitsi, call.room, who, expires), displayName: who.name };
  }

  /** An event the call page reported (by the applicant or the agent of this call). */
  async recordEvent(accountId: string, callId: string, type: CallEventType): Promise<boolean> {
    return this.em.transactional(async (em) => {
      const call = await em.findOne(VideoCall, { id: callId, status: 'active', $or: [{ applicant: accountId }, { agent: accountId }] }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!call || call.events.length >= 200) return false;
      const by = call.agent.id === accountId ? 'agent' : 'applicant';
      call.events = [...call.events, { type, by, at: new Date().toISOString() }];
      if (type === 'recording_on' && by === 'agent') call.recordingStartedAt ??= new Date();
      return true;
    });
  }
}

/**
 * An active call and its case, each locked, in the order every change of a call takes them
 * (the call, then the case, then the queue place), so two changes never deadlock; null when
 * no active call matches.
 */
async function lockActiveCall(em: EntityManager, where: { id?: string; agent?: string; applicant?: string }): Promise<{ call: VideoCall; c: VerificationCase } | null> {
  const call = await em.findOne(VideoCall, { ...where, status: 'active' }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!call) return null;
  const c = await em.findOneOrFail(VerificationCase, call.verificationCase.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  return { call, c };
}
