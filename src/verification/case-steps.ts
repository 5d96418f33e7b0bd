import { Injectable } from '@nestjs/common';
import { LockMode, UniqueConstraintViolationException, type EventSubscriber, type Transaction, type TransactionEventArgs } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import type { FieldErrors } from '../web/view';
import { Drafts } from './drafts';
import { applyClears, currentStep, effectiveStatus, intakeStatus, isIntake, landing, mayMove, mayShow, step, type StepKey } from './flow';
import { VerificationCase, type CaseStatus } from './verification-case.entity';

/** A step handler's answer: field errors (nothing is saved), or the change to make. */
export type StepResult =
  | { errors: FieldErrors; notice?: Record<string, unknown> }
  | { change: (c: VerificationCase, em: EntityManager) => void | Promise<void>; detail?: Record<string, unknown> };

/**
 * Where to go next; or the same page again with field errors (400), or with a notice and
 * no errors (200: a "no" answer explained, nothing saved).
 */
export type SubmitOutcome = { location: string } | { errors: FieldErrors; notice?: Record<string, unknown> };

export interface SubmitOptions {
  /** Audit event instead of the step's own (the international links). */
  audit?: string;
  /** false: an action on the step, not a new answer to it, so the table's clears do not apply. */
  clears?: boolean;
}

/**
 * Loading a case and taking one step on it, the same way for every step: under a row lock
 * (two tabs cannot interleave), only when the flow table allows the step (a stale or
 * hand-made post lands on the current step), all-or-nothing (a form with errors saves
 * nothing), clearing what the table says when a done step is submitted again, writing
 * the step's audit event, and recomputing the intake status. Every change of a case's status,
 * in any module, goes through `move`.
 */
@Injectable()
export class CaseSteps implements EventSubscriber {
  /** The case events of each open transaction, appended to the audit log when it commits. */
  private readonly pending = new WeakMap<Transaction, AuditEntry[]>();

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly drafts: Drafts,
  ) {
    em.getEventManager().registerSubscriber(this);
  }

  /** The account's case (none until the applicant starts at /verify). */
  find(accountId: string): Promise<VerificationCase | null> {
    return this.em.findOne(VerificationCase, { account: accountId });
  }

  /** The account's case, created on the first visit; a case left with Save & Exit resumes. */
  async open(accountId: string): Promise<VerificationCase> {
    const c = (await this.find(accountId)) ?? (await this.create(accountId));
    if (c.status !== 'abandoned') return c;
    return this.em.transactional(async (em) => {
      const locked = await em.findOneOrFail(VerificationCase, { account: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      await this.resume(em, locked, 'sign-in');
      return locked;
    });
  }

  /** A new case; of two first visits at once, the account's unique constraint lets one insert win. */
  private async create(accountId: string): Promise<VerificationCase> {
    try {
      await this.em.fork().transactional(async (em) => {
        const c = em.create(VerificationCase, { account: accountId });
        await em.flush(); // the insert that loses a race throws here, before its event is written
        await this.record(em, c, 'verification.started');
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
    return this.em.findOneOrFail(VerificationCase, { account: accountId });
  }

  /** Returns a Save & Exit case to where it was. */
  async resume(em: EntityManager, c: VerificationCase, how: 'sign-in' | 'link'): Promise<void> {
    if (c.status !== 'abandoned') return;
    await this.move(em, c, effectiveStatus(c), 'verification.resumed', { how });
  }

  /**
   * Every change of a case's status (locked by the caller) goes through here: only along the
   * flow (mayMove: the status transitions and the table's `next`; anything else throws),
   * writing `event` (of step `stepKey`, if any) and then the status change to the audit log.
   * Save & Exit keeps the status to come back to; it and resuming are their own events.
   */
  async move(em: EntityManager, c: VerificationCase, to: CaseStatus, event: string, detail?: Record<string, unknown>, stepKey?: StepKey): Promise<void> {
    const from = c.status;
    if (!mayMove(from, to)) throw new Error(`case status cannot move from ${from} to ${to}`);
    c.statusBeforeExit = to === 'abandoned' ? from : undefined;
    c.status = to;
    await this.record(em, c, event, stepKey, detail);
    if (from !== 'abandoned' && to !== 'abandoned') await this.record(em, c, 'verification.status_changed', undefined, { from, to });
  }

  /**
   * Writes one event of the case to the audit log (its subject: the step it was taken on, if
   * any). In a transaction the event commits with the change it records, or not at all: it is
   * appended just before the commit, last, because the audit chain's lock is held from the
   * append to the commit (see AuditService.recordIn).
   */
  async record(em: EntityManager, c: VerificationCase, type: string, stepKey?: StepKey, detail?: Record<string, unknown>): Promise<void> {
    const entry: AuditEntry = { action: type, caseId: c.id, subject: stepKey, details: detail };
    const transaction = em.getTransactionContext();
    if (!transaction) return this.audit.recordIn(em, entry);
    const entries = this.pending.get(transaction) ?? [];
    entries.push(entry);
    this.pending.set(transaction, entries);
  }

  async beforeTransactionCommit({ em, transaction }: TransactionEventArgs): Promise<void> {
    const entries = transaction && this.pending.get(transaction);
    if (!entries) return;
    this.pending.delete(transaction);
    for (const entry of entries) await this.audit.recordIn(em as EntityManager, entry);
  }

  /** Takes step `key` on the account's case; see the class comment. */
  async submit(
    accountId: string,
    key: StepKey,
    handle: (c: VerificationCase) => StepResult | Promise<StepResult>,
    options: SubmitOptions = {},
  ): Promise<SubmitOutcome> {
    await this.open(accountId);
    return this.em.transactional(async (em) => {
      const c = await em.findOneOrFail(VerificationCase, { account: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!mayShow(c, key)) return { location: landing(c, key).route };
      const again = step(key).done(c);
      const result = await handle(c);
      if ('errors' in result) return result;
      if (again && options.clears !== false) applyClears(c, key);
      await result.change(c, em);
      this.drafts.submitted(c, key);
      const event = options.audit ?? step(key).audit;
      const details = { ...result.detail, ...(again ? { again: true } : {}) };
      // The intake status follows from what is done: recomputed after every intake step.
      const status = isIntake(c.status) ? intakeStatus(c) : c.status;
      if (status !== c.status) await this.move(em, c, status, event, details, key);
      else await this.record(em, c, event, key, details);
      return { location: currentStep(c).route };
    });
  }

  /**
   * The hand-over from document review to the video call: the reviewer approved the
   * documents (in_review → approved). The documents module calls it; so do the tests of the
   * queue and the call, after walking a case through intake and review.
   */
  async markDocumentsApproved(caseId: string, detail?: Record<string, unknown>): Promise<void> {
    await this.em.transactional(async (em) => {
      const c = await em.findOneOrFail(VerificationCase, caseId, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      await this.move(em, c, 'approved', step('document_review').audit, detail, 'document_review');
    });
  }
}
