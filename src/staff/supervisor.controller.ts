import { Controller, Get, UseGuards } from '@nestjs/common';
import { DocumentsService } from '../documents/documents.service';
import { QueueService } from '../scheduling/queue.service';
import { CallsService } from '../video/calls.service';
import { view } from '../web/view';
import { RequireRole, RolesGuard } from './roles.guard';

const median = (values: number[]) => {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
};
const minutes = (seconds: number | undefined) => (seconds === undefined ? '—' : `${Math.round(seconds / 60)} min`);

/**
 * The supervisor's live view: the work waiting (document review and calls), how long it
 * waits, the estimate applicants see, agents by status, today's outcomes. The page polls
 * its own fragment (htmx), so it updates without a reload; without JavaScript, reload it.
 */
@Controller('supervisor')
@UseGuards(RolesGuard)
@RequireRole('supervisor')
export class SupervisorController {
  constructor(
    private readonly documents: DocumentsService,
    private readonly queue: QueueService,
    private readonly calls: CallsService,
  ) {}

  @Get()
  async dashboard() {
    const startOfDay = new Date();
    startOfDay.setUTCHours(0, 0, 0, 0);
    const [review, calls, outcomes] = await Promise.all([this.documents.queue(), this.queue.snapshot(), this.calls.outcomesSince(startOfDay)]);
    const now = Date.now();
    const reviewWaits = review.map((r) => Math.round((now - r.submittedAt.getTime()) / 1000));
    return view('staff/supervisor', {
      review: { waiting: review.length, longest: minutes(reviewWaits.length ? Math.max(...reviewWaits) : undefined), median: minutes(median(reviewWaits)) },
      calls: {
        waiting: calls.waitingSeconds.length,
        longest: minutes(calls.waitingSeconds.length ? Math.max(...calls.waitingSeconds) : undefined),
        median: minutes(median(calls.waitingSeconds)),
        estimate: calls.estimate,
      },
      agents: calls.agents,
      outcomes,
      updatedAt: new Date().toISOString().slice(11, 19),
    });
  }
}
