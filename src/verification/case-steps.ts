import { Injectable } from '@nestjs/common';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import type { FieldErrors } from '../web/view';
import { STATUS_TRANSITIONS, applyClears, currentStep, effectiveStatus, intakeStatus, mayShow, step, type StepKey } from './flow';
import { VerificationCase, type CaseStatus } from './verification-case.entity';
import { VerificationEvent } from './verification-event.entity';

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
 * the step's audit event, and recomputing the intake status.
 */
@Injectable()
export class CaseSteps {
  constructor(private readonly em: EntityManager) {}

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
      this.resume(em, locked, 'sign-in');
      return locked;
    });
  }

  /** A new case; of two first visits at once, the account's unique constraint lets one insert win. */
  private async create(accountId: string): Promise<VerificationCase> {
    const em = this.em.fork();
    try {
      const c = em.create(VerificationCase, { account: accountId });
      this.record(em, c, 'verification.started');
      await em.flush();
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
    return this.em.findOneOrFail(VerificationCase, { account: accountId });
  }

  /** Returns a Save & Exit case to where it was. */
  resume(em: EntityManager, c: VerificationCase, how: 'sign-in' | 'link'): void {
    if (c.status !== 'abandoned') return;
    c.status = effectiveStatus(c);
    c.statusBeforeExit = undefined;
    this.record(em, c, 'verification.resumed', undefined, { how });
  }

  record(em: EntityManager, c: VerificationCase, type: string, stepKey?: StepKey, detail?: Record<string, unknown>): void {
    em.create(VerificationEvent, { verificationCase: c, type, step: stepKey, detail });
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
      if (!mayShow(c, key)) return { location: currentStep(c).route };
      const again = step(key).done(c);
      const result = await handle(c);
      if ('errors' in result) return result;
      if (again && options.clears !== false) applyClears(c, key);
      await result.change(c, em);
      this.record(em, c, options.audit ?? step(key).audit, key, { ...result.detail, ...(again ? { again: true } : {}) });
      this.updateStatus(em, c);
      return { location: currentStep(c).route };
    });
  }

  /** Recomputes the intake status after a change, with an event when it moves. */
  updateStatus(em: EntityManager, c: VerificationCase): void {
    if (!['started', 'details_confirmed', 'documents_chosen'].includes(c.status)) return;
    const status = intakeStatus(c);
    if (status !== c.status) {
      this.record(em, c, 'verification.status_changed', undefined, { from: c.status, to: status });
      c.status = status;
    }
  }

  /**
   * Moves a case (locked by the caller) to `to` along the flow's status transitions (the
   * documents module: submitted, in review, rejected, approved). Throws on a move the table
   * does not allow; records the step's audit event and the status change.
   */
  moveStatus(em: EntityManager, c: VerificationCase, to: CaseStatus, stepKey: StepKey, detail?: Record<string, unknown>): void {
    const from = c.status;
    if (!STATUS_TRANSITIONS.some(([a, b]) => a === from && b === to)) throw new Error(`case status cannot move from ${from} to ${to}`);
    c.status = to;
    this.record(em, c, step(stepKey).audit, stepKey, detail);
    this.record(em, c, 'verification.status_changed', undefined, { from, to });
  }

  /**
   * The hand-over from document review to the video call: the reviewer approved the
   * documents (in_review → approved). The documents module calls it; so do the tests of the
   * queue and the call, after walking a case through intake and review.
   */
  async markDocumentsApproved(caseId: string, detail?: Record<string, unknown>): Promise<void> {
    await this.em.transactional(async (em) => {
      const c = await em.findOneOrFail(VerificationCase, caseId, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      this.moveStatus(em, c, 'approved', 'document_review', detail);
    });
  }
}
