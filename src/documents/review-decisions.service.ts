import { Inject, Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { languageOr } from '../i18n/languages';
import { Messages, phrase } from '../i18n/messages';
import { NotificationsService } from '../notifications/notifications.service';
import { evaluateDocuments } from '../verification/catalog';
import { CaseSteps } from '../verification/case-steps';
import { ruleContext, step } from '../verification/flow';
import { VerificationCase } from '../verification/verification-case.entity';
import { DocumentDecision } from './document-decision.entity';
import { DocumentReview, reasonText, type ItemDecision } from './document-review.entity';
import { itemsOf, type Item } from './sides';

type Actor = Pick<AuditEntry, 'actorId' | 'ip'>;

/**
 * A reviewer's decisions on a claimed case (read by forms.ts), recorded with the
 * case's move (approved, or back to the applicant for the rejected documents), and the
 * email that tells the applicant.
 */
@Injectable()
export class ReviewDecisionsService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly messages: Messages,
  ) {}

  /**
   * Records the reviewer's decisions. The case is approved only when nothing is rejected and
   * the accepted documents satisfy the catalog's rules; otherwise the applicant replaces the
   * rejected ones. Either way they are emailed.
   */
  async decide(caseId: string, actor: Actor & { actorId: string }, decisions: Record<string, ItemDecision>): Promise<'approved' | 'documents_rejected' | 'not-claimed'> {
    const outcome = await this.em.fork().transactional(async (em) => {
      const review = await em.findOne(DocumentReview, { caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const live = review && review.claimedBy === actor.actorId && !review.decidedAt && review.lastActivityAt && Date.now() - review.lastActivityAt.getTime() < this.config.reviewClaimSeconds * 1000;
      if (!review || !live) return 'not-claimed' as const;
      const c = await em.findOneOrFail(VerificationCase, { id: caseId }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['account'] });
      if (c.status !== 'in_review') return 'not-claimed' as const;
      const items = itemsOf(c);
      const rejected = items.filter((i) => decisions[i.key]?.decision !== 'accepted');
      const accepted = items.filter((i) => decisions[i.key]?.decision === 'accepted' && i.doc.kind !== 'supporting').map((i) => ({ type: i.doc.key }));
      const approved = rejected.length === 0 && evaluateDocuments(ruleContext(c), accepted).satisfied;
      const to = approved ? 'approved' : 'documents_rejected';
      review.decisions = decisions;
      review.decidedAt = new Date();
      review.decidedBy = actor.actorId;
      em.create(DocumentDecision, { verificationCase: c, reviewerId: actor.actorId, submittedAt: review.submittedAt, claimedAt: review.claimedAt ?? review.decidedAt, decidedAt: review.decidedAt, outcome: to });
      review.claimedBy = undefined;
      await this.steps.move(em, c, to, step('document_review').audit, { reviewer: actor.actorId, rejected: rejected.map((i) => i.key) }, 'document_review');
      this.notifications.queueEmail(this.decisionEmail(c, approved, rejected.map((i) => ({ item: i, decision: decisions[i.key] }))));
      // The decision, the case's move, the email and the audit event commit together: a
      // process killed at any point leaves all of them or none (the email then goes out from
      // the outbox's retry job).
      await em.flush();
      await this.audit.recordIn(em, { ...actor, action: 'documents.reviewed', caseId, details: { outcome: to, decisions: Object.fromEntries(Object.entries(decisions).map(([k, d]) => [k, { decision: d.decision, reasons: d.reasons }])) } });
      return { to } as const;
    });
    if (outcome === 'not-claimed') return outcome;
    return outcome.to;
  }

  /** The review's outcome, in the applicant's language (their account's choice, else English). */
  private decisionEmail(c: VerificationCase, approved: boolean, rejected: { item: Item; decision?: ItemDecision }[]) {
    const to = c.email ?? c.account.email;
    const base = this.config.baseUrl;
    const language = languageOr(c.account.language);
    if (approved) {
      return {
        to,
        ...this.notifications.compose(language, 'documents.email.approved.subject', [
          'documents.email.approved.reviewed',
          'documents.email.approved.next',
          phrase('documents.email.approved.links', { joinUrl: `${base}/call`, scheduleUrl: `${base}/call/schedule` }),
        ]),
      };
    }
    const separator = this.messages.text(language, 'documents.listSeparator');
    const lines = rejected.map(({ item, decision }) => {
      const why = (decision?.reasons ?? []).map((r) => this.messages.text(language, reasonText(r)));
      const values = {
        document: this.messages.text(language, item.doc.label),
        reasons: why.length ? why.join(separator) : this.messages.text(language, 'documents.email.rejected.noReason'),
        note: decision?.note,
        url: `${base}/documents#${encodeURIComponent(item.key)}`,
      };
      return this.messages.text(language, decision?.note ? 'documents.email.rejected.itemWithNote' : 'documents.email.rejected.item', values);
    });
    return {
      to,
      ...this.notifications.compose(language, 'documents.email.rejected.subject', [phrase('documents.email.rejected.intro', { items: lines.join('\n') }), 'documents.email.rejected.then']),
    };
  }
}
