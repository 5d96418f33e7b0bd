import { ForbiddenException, Injectable } from '@nestjs/common';
import type { AuditEntry } from '../audit/audit.service';
import { ReviewQueueService } from '../documents/review-queue.service';
import { IdentityService } from '../identity/identity.service';
import { SessionsService } from '../identity/sessions.service';
import { emailOf } from '../reporting/figures';
import { ReportingService } from '../reporting/reporting.service';
import { CallsService } from '../video/calls.service';
import { StaffService } from './staff.service';

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The supervisor's view and actions: the page's figures (ReportingService computes them), and
 * releasing or reassigning claimed work. Every method checks the supervisor role itself,
 * whatever the route in front of it does.
 */
@Injectable()
export class SupervisorService {
  constructor(
    private readonly staff: StaffService,
    private readonly reporting: ReportingService,
    private readonly reviews: ReviewQueueService,
    private readonly calls: CallsService,
    private readonly identity: IdentityService,
    private readonly sessions: SessionsService,
  ) {}

  /** How long a review claim lasts without activity (shown on the release page). */
  get claimMinutes(): number {
    return this.reviews.claimMinutes;
  }

  private async authorize(actorId: string | undefined): Promise<void> {
    if (!actorId || !(await this.staff.rolesOf(actorId)).includes('supervisor')) throw new ForbiddenException('errors.staffRole');
  }

  /** The page's figures (see ReportingService.supervisorPage), for a supervisor only. */
  async dashboard(actorId: string | undefined, options: { live: boolean }, now = new Date()) {
    await this.authorize(actorId);
    return this.reporting.supervisorPage(options, now);
  }

  // ---- Claimed work ------------------------------------------------------------------------

  /** A claimed document review, with the reviewers signed in now it could go to; undefined when it is not claimed. */
  async reviewClaim(actorId: string | undefined, caseId: string) {
    await this.authorize(actorId);
    if (!UUID.test(caseId)) return undefined;
    const [claim] = await this.reviews.claimsInProgress(caseId); // this one, however many others there are
    if (!claim) return undefined;
    const reviewers = await this.reviewersOnDuty(claim.reviewerId);
    const emails = await this.identity.emailsOf([claim.reviewerId]);
    return { ...claim, email: emailOf(emails, claim.reviewerId), reviewers: reviewers.map((r) => ({ value: r.accountId, label: r.email })) };
  }

  /** Reviewers (by role) signed in now, but `except`. */
  private async reviewersOnDuty(except: string): Promise<{ accountId: string; email: string }[]> {
    const reviewers = (await this.staff.list()).filter((m) => m.roles.includes('reviewer') && m.accountId !== except);
    const signedIn = await this.sessions.signedInAmong(reviewers.map((r) => r.accountId));
    return reviewers.filter((r) => signedIn.has(r.accountId)).map((r) => ({ accountId: r.accountId, email: r.email }));
  }

  /** Back to the queue, in its place. 'changed': `from` no longer holds it. */
  async releaseReview(actor: Actor, caseId: string, from: unknown): Promise<'released' | 'changed'> {
    await this.authorize(actor.actorId);
    if (typeof from !== 'string' || !UUID.test(from)) return 'changed';
    return (await this.reviews.moveClaim(caseId, from, undefined, actor)) === 'released' ? 'released' : 'changed';
  }

  /** To another reviewer signed in now. 'not-on-duty': `to` is not one of them. */
  async reassignReview(actor: Actor, caseId: string, from: unknown, to: unknown): Promise<'reassigned' | 'changed' | 'not-on-duty'> {
    await this.authorize(actor.actorId);
    if (typeof from !== 'string' || !UUID.test(from)) return 'changed';
    if (typeof to !== 'string' || !(await this.reviewersOnDuty(from)).some((r) => r.accountId === to)) return 'not-on-duty';
    return (await this.reviews.moveClaim(caseId, from, to, actor)) === 'reassigned' ? 'reassigned' : 'changed';
  }

  /** A call in progress; undefined when it is not (any more). */
  async callInProgress(actorId: string | undefined, callId: string) {
    await this.authorize(actorId);
    if (!UUID.test(callId)) return undefined;
    const [call] = await this.calls.inProgress(callId);
    if (!call) return undefined;
    const emails = await this.identity.emailsOf([call.agentId]);
    return { ...call, email: emailOf(emails, call.agentId) };
  }

  async releaseCall(actor: Actor, callId: string, agentId: unknown): Promise<'released' | 'changed'> {
    await this.authorize(actor.actorId);
    if (typeof agentId !== 'string') return 'changed';
    return this.calls.release(callId, agentId, actor);
  }
}
