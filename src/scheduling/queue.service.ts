import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { LockMode } from '@mikro-orm/core';
import { EntityManager, RequestContext } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import { phrase } from '../i18n/messages';
import { JobRunner } from '../jobs/job-runner';
import { JOBS } from '../jobs/jobs';
import { NotificationsService } from '../notifications/notifications.service';
import { CaseSteps } from '../verification/case-steps';
import { VerificationCase } from '../verification/verification-case.entity';
import { AgentStatus, type AgentStatusValue } from './agent-status.entity';
import { estimateWait, readyWindowOpen, type WaitEstimate } from './estimate';
import { QueueEntry } from './queue-entry.entity';
import { claimNextApplicant, recentHandleTimes } from './queue.queries';

/** A queue page not seen for this long gives up its place. */
export const QUEUE_TIMEOUT_MINUTES = 60;
/** Handle times of calls finished within this window feed the estimate (at most RECENT_CALLS of them). */
const RECENT_HOURS = 8;
const RECENT_CALLS = 50;

export interface QueuePlace {
  entry: QueueEntry;
  /** 1 for the head of the queue. */
  position: number;
  estimate: WaitEstimate;
  readyWindow: boolean;
}

export interface Claimed {
  entryId: string;
  caseId: string;
  accountId: string;
}

/**
 * The video-call queue: joining, Save & Exit, the page's heartbeat, the estimated wait, and
 * agents claiming the next applicant with SELECT … FOR UPDATE SKIP LOCKED, so twenty agents
 * pressing "Next applicant" at once each get a different applicant.
 */
@Injectable()
export class QueueService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly notifications: NotificationsService,
    private readonly jobs: JobRunner,
  ) {}

  // ---- Applicants --------------------------------------------------------------------------

  /** The applicant's waiting entry, if any. */
  waiting(accountId: string): Promise<QueueEntry | null> {
    return this.em.findOne(QueueEntry, { account: accountId, status: 'waiting' }, { refresh: true });
  }

  /** Joins the queue from an approved case (a second click, or a second tab, changes nothing). */
  async join(accountId: string): Promise<boolean> {
    return this.em.transactional(async (em) => {
      const c = await em.findOne(VerificationCase, { account: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!c || c.status !== 'approved') return false;
      em.create(QueueEntry, { verificationCase: c, account: accountId });
      await this.steps.move(em, c, 'queued', 'verification.queue_joined');
      return true;
    });
  }

  /** Save & Exit: the place is given up; the documents and their approval stay. */
  leave(accountId: string): Promise<boolean> {
    return this.giveUp(accountId, 'left');
  }

  private async giveUp(accountId: string, why: 'left' | 'expired'): Promise<boolean> {
    return this.em.transactional(async (em) => {
      // The entry first, then the case: the order a claim locks them in (no deadlock between the two).
      const entry = await em.findOne(QueueEntry, { account: accountId, status: 'waiting' }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!entry || (why === 'expired' && entry.lastSeenAt > staleBefore())) return false; // claimed, or seen again meanwhile
      const c = await em.findOne(VerificationCase, { account: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true, populate: ['account'] });
      if (!c || c.status !== 'queued') return false;
      entry.status = why;
      await this.steps.move(em, c, 'approved', why === 'left' ? 'verification.queue_left' : 'verification.queue_expired');
      if (why === 'left') return true;
      this.notifications.queueEmail({
        to: c.account.email,
        ...this.notifications.compose(c.account.language, 'call.email.queueExpired.subject', [
          phrase('call.email.queueExpired.body', { minutes: QUEUE_TIMEOUT_MINUTES }),
          phrase('call.email.queueExpired.rejoin', { url: `${this.config.baseUrl}/call` }),
        ]),
      });
      return true;
    });
  }

  /** The queue page polls: the applicant is still there. */
  async seen(accountId: string): Promise<void> {
    await this.em.nativeUpdate(QueueEntry, { account: accountId, status: 'waiting' }, { lastSeenAt: new Date() });
  }

  /** "I have my documents ready". */
  async ready(accountId: string): Promise<void> {
    await this.em.nativeUpdate(QueueEntry, { account: accountId, status: 'waiting', readyAt: null }, { readyAt: new Date() });
  }

  /** Where the applicant stands, with the estimate. */
  async place(accountId: string): Promise<QueuePlace | null> {
    const entry = await this.waiting(accountId);
    if (!entry) return null;
    const ahead = await this.em.count(QueueEntry, {
      status: 'waiting',
      lastSeenAt: { $gt: staleBefore() },
      $or: [{ joinedAt: { $lt: entry.joinedAt } }, { joinedAt: entry.joinedAt, id: { $lt: entry.id } }],
    });
    const estimate = await this.estimate(ahead);
    return { entry, position: ahead + 1, estimate, readyWindow: readyWindowOpen(estimate) };
  }

  /** The queue-length estimate for someone with `ahead` applicants before them. */
  async estimate(ahead: number): Promise<WaitEstimate> {
    const [agentsOnDuty, agentsAvailable, handleTimes] = await Promise.all([
      this.agentsOnDuty(),
      this.em.count(AgentStatus, { status: 'available' }),
      this.recentHandleTimes(),
    ]);
    return estimateWait({ ahead, agentsOnDuty, agentsAvailable, handleTimes, fallbackHandleSeconds: this.config.slotMinutes * 60 });
  }

  async recentHandleTimes(): Promise<number[]> {
    return recentHandleTimes(this.em, RECENT_HOURS, RECENT_CALLS);
  }

  // ---- Agents --------------------------------------------------------------------------------

  waitingCount(): Promise<number> {
    return this.em.count(QueueEntry, { status: 'waiting', lastSeenAt: { $gt: staleBefore() } });
  }

  agentsOnDuty(): Promise<number> {
    return this.em.count(AgentStatus, { status: { $in: ['available', 'on_call'] } });
  }

  async agentStatus(agentId: string): Promise<AgentStatusValue> {
    return (await this.em.findOne(AgentStatus, { account: agentId }, { refresh: true }))?.status ?? 'away';
  }

  async setAgentStatus(agentId: string, status: AgentStatusValue, em: EntityManager = this.em): Promise<void> {
    await em.upsert(AgentStatus, { account: agentId, status, updatedAt: new Date() });
  }

  /**
   * Claims the applicant who waited longest (and whose page is still open), in the caller's
   * transaction. Rows other agents are claiming are skipped, not waited for.
   */
  async claimNext(em: EntityManager, agentId: string): Promise<Claimed | null> {
    return (await claimNextApplicant(em, agentId, staleBefore())) ?? null;
  }

  /**
   * A supervisor released the applicant's call: their claimed place is theirs again, with the
   * time they joined (so they are first in line, the queue being oldest first); an applicant
   * who came by appointment gets a place dated from the call's start. In the caller's transaction.
   */
  async requeue(em: EntityManager, caseId: string, accountId: string, callStartedAt: Date): Promise<void> {
    const now = new Date();
    const reopened = await em.nativeUpdate(QueueEntry, { verificationCase: caseId, status: 'claimed' }, { status: 'waiting', claimedBy: null, claimedAt: null, lastSeenAt: now });
    if (!reopened) em.create(QueueEntry, { verificationCase: caseId, account: accountId, joinedAt: callStartedAt, lastSeenAt: now });
  }

  /** The call ended: the entry's handle time (claimed → finished) becomes data for the estimate. */
  async finish(em: EntityManager, caseId: string): Promise<void> {
    await em.nativeUpdate(QueueEntry, { verificationCase: caseId, status: 'claimed' }, { status: 'done', finishedAt: new Date() });
  }

  /** The applicant left a call that did not work, to book an appointment: the place is given up, and its time is no handle time for the estimate. */
  async leftToBook(em: EntityManager, caseId: string): Promise<void> {
    await em.nativeUpdate(QueueEntry, { verificationCase: caseId, status: 'claimed' }, { status: 'left', finishedAt: new Date() });
  }

  // ---- The stale-queue job ---------------------------------------------------------------------

  /** Every minute, on one instance: places whose page was not seen for 60 minutes are given up, and the applicant told by email. */
  @Cron(JOBS['queue-expiry'].schedule, { name: 'queue-expiry' })
  async expireStale(): Promise<number> {
    const expired = await this.jobs.runExclusive('queue-expiry', () =>
      RequestContext.create(this.em, async () => {
        const stale = await this.em.find(QueueEntry, { status: 'waiting', lastSeenAt: { $lte: staleBefore() } }, { limit: 100, fields: ['account'] });
        let count = 0;
        for (const entry of stale) if (await this.giveUp(entry.account.id, 'expired')) count++;
        return count;
      }),
    );
    return expired ?? 0;
  }
}

/** A waiting place last seen before this is given up (the live counts leave it out too). */
export const staleBefore = () => new Date(Date.now() - QUEUE_TIMEOUT_MINUTES * 60_000);
