import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { StaffService } from '../staff/staff.service';
import { ReviewQueueService } from './review-queue.service';
import { caseOfCall, caseOfHeldCall, caseOfReview } from './work-access.queries';

/** A piece of staff work on a verification case: a document review, or a video call. */
export type Work = { review: string } | { call: string };

/** Why the viewer may see the work's personal data and images. */
export interface WorkAccess {
  /** holder: the staff member doing the work now; supervisor: a read-only look, audited as such. */
  as: 'holder' | 'supervisor';
  caseId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The one rule for every staff route that shows an applicant's personal data or document
 * images (the review console, the call console, their image routes): the staff member holds
 * the piece of work now (a live, undecided review claim; a call in progress, not released),
 * or is a supervisor (read only). Once the work is decided, ended, released, reassigned or
 * lapsed, the one who held it gets what any other colleague gets. Actions need `holder`.
 */
@Injectable()
export class StaffAccess {
  constructor(
    private readonly em: EntityManager,
    private readonly reviews: ReviewQueueService,
    private readonly staff: StaffService,
  ) {}

  async of(staffId: string, work: Work): Promise<WorkAccess | undefined> {
    const held = await this.heldCase(staffId, work);
    if (held) return { as: 'holder', caseId: held };
    if (!(await this.staff.rolesOf(staffId)).includes('supervisor')) return undefined;
    const caseId = await this.caseOf(work);
    return caseId ? { as: 'supervisor', caseId } : undefined;
  }

  /** The case of the work when `staffId` holds it now (a review claim is touched: reading is activity). */
  async heldCase(staffId: string, work: Work): Promise<string | undefined> {
    if ('review' in work) return (await this.reviews.holdsClaim(work.review, staffId)) ? work.review : undefined;
    if (!UUID.test(work.call)) return undefined;
    return caseOfHeldCall(this.em, work.call, staffId);
  }

  private async caseOf(work: Work): Promise<string | undefined> {
    const id = 'review' in work ? work.review : work.call;
    if (!UUID.test(id)) return undefined;
    return 'review' in work ? caseOfReview(this.em, id) : caseOfCall(this.em, id);
  }
}
