import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { StaffService } from '../../src/staff/staff.service';
import { CaseSteps } from '../../src/verification/case-steps';
import { step as flowStep } from '../../src/verification/flow';
import { VerificationCase } from '../../src/verification/verification-case.entity';
import type { TestApp } from './app';
import { createAccount, grantRoles, signIn, type TestPerson } from './accounts';
import { csrfOf } from './forms';
import { newApplicant, throughIntake, type Applicant } from './verification';

type Browser = ReturnType<TestApp['browser']>;
let n = 0;

/** The video settings of a test app: a Jitsi test double at jitsi.test (nothing reaches meet.jit.si). */
export const JITSI = { JITSI_DOMAIN: 'jitsi.test', JITSI_APP_ID: 'referee-test', JITSI_APP_SECRET: 'a-test-secret-of-at-least-32-characters!' };

/** Runs `work` in a request context of the app's ORM, as a request would. */
export function inContext<T>(t: TestApp, work: () => Promise<T>): Promise<T> {
  return RequestContext.create(t.app.get(MikroORM).em, work);
}

/** Sent documents taken into review, as a reviewer's claim moves the case (the documents module's move). */
export async function takeIntoReview(t: TestApp, caseId: string): Promise<void> {
  await inContext(t, () =>
    t.app.get(MikroORM).em.transactional(async (em) => {
      const c = await em.findOneOrFail(VerificationCase, caseId, { refresh: true });
      await t.app.get(CaseSteps).move(em, c, 'in_review', flowStep('document_review').audit, undefined, 'document_review');
    }),
  );
}

/** Sent documents taken into review and approved (then markDocumentsApproved: the documents module's hand-over). */
export async function approveSentDocuments(t: TestApp, caseId: string): Promise<void> {
  await takeIntoReview(t, caseId);
  await inContext(t, () => t.app.get(CaseSteps).markDocumentsApproved(caseId, { test: true }));
}

/**
 * Documents sent, in review and approved through the verification module's own methods
 * (CaseSteps.move along the flow), so the case is where the /call pages start.
 */
export async function approveDocuments(t: TestApp, a: Applicant): Promise<string> {
  const caseId: string = (await a.row()).id;
  await inContext(t, () =>
    t.app.get(MikroORM).em.transactional(async (em) => {
      const c = await em.findOneOrFail(VerificationCase, caseId, { refresh: true });
      await t.app.get(CaseSteps).move(em, c, 'documents_submitted', flowStep('send_documents').audit, undefined, 'send_documents');
    }),
  );
  await approveSentDocuments(t, caseId);
  return caseId;
}

/** A new applicant whose documents are approved. */
export async function approvedApplicant(t: TestApp, label = 'caller'): Promise<Applicant & { caseId: string }> {
  const a = await newApplicant(t, label);
  await throughIntake(a);
  const caseId = await approveDocuments(t, a);
  return Object.assign(a, { caseId });
}

/** A certified Trusted Referee: account, role, training this year; and (optionally) signed in. */
export async function newReferee(t: TestApp, label = 'referee', signedIn = true): Promise<{ person: TestPerson; accountId: string; browser?: Browser }> {
  const email = `${label}${++n}.${Date.now()}@referee.example`;
  const person = signedIn ? await createAccount(t, email) : { email, password: '', backupCodes: [] };
  await grantRoles(t, email, ['referee']);
  const { rows } = await t.db.sql.query('select id from account where email = $1', [email]);
  const accountId: string = rows[0].id;
  await inContext(t, () => t.app.get(StaffService).certify(accountId, new Date()));
  return { person, accountId, browser: signedIn ? await signIn(t, person) : undefined };
}

/**
 * A call in progress between a new approved applicant and a new referee, as their pages make
 * it (queue, "Next applicant"); with `consent`, the applicant agreed to the recording and joined.
 */
export async function callInProgress(t: TestApp, consent = true) {
  const a = await approvedApplicant(t);
  await a.post('/call');
  const referee = await newReferee(t);
  const b = referee.browser!;
  const post = async (path: string, fields: Record<string, string> = {}) => {
    const page = await b.get('/agent/calls');
    return b.post(path).type('form').send({ _csrf: csrfOf(page.text), ...fields });
  };
  await post('/agent/calls/status', { status: 'available' });
  const next = await post('/agent/calls/next');
  const callId = String(next.headers.location).split('/').pop()!;
  if (consent) await a.post('/call/join', { recordingConsent: 'yes' });
  const { rows } = await t.db.sql.query('select room from video_call where id = $1', [callId]);
  return { applicant: a, referee, callId, room: rows[0].room as string, caseId: a.caseId };
}
