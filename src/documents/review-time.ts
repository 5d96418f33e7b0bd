import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { phrase, type Phrase } from '../i18n/messages';
import { recentReviewTimes } from './review-time.queries';

/** Decisions of the last 30 days the typical review time is measured over. */
export const REVIEW_TIME_DAYS = 30;
/** Fewer decisions than this and the median says little: the page gives the usual promise instead. */
export const REVIEW_TIME_MIN_DECISIONS = 5;

/**
 * How long a document review typically takes, for the hold page (as the queue page gives its
 * estimated wait): the median from documents sent to decision over the last 30 days, rounded
 * up to 5 minutes under an hour, to the hour under a day, then to days.
 */
export function reviewTimePhrase(medianSeconds: number | null, decided: number): Phrase {
  if (medianSeconds === null || decided < REVIEW_TIME_MIN_DECISIONS) return phrase('documents.hold.reviewTime.usual');
  const minutes = medianSeconds / 60;
  if (minutes < 55) return phrase('documents.hold.reviewTime.minutes', { minutes: Math.max(5, Math.ceil(minutes / 5) * 5), days: REVIEW_TIME_DAYS });
  const hours = minutes / 60;
  if (hours < 23.5) return phrase('documents.hold.reviewTime.hours', { hours: Math.max(1, Math.round(hours)), days: REVIEW_TIME_DAYS });
  return phrase('documents.hold.reviewTime.days', { count: Math.round(hours / 24), days: REVIEW_TIME_DAYS });
}

@Injectable()
export class ReviewTimeEstimate {
  constructor(private readonly em: EntityManager) {}

  async phrase(now = new Date()): Promise<Phrase> {
    const { medianSeconds, decided } = await recentReviewTimes(this.em, new Date(now.getTime() - REVIEW_TIME_DAYS * 24 * 3600 * 1000));
    return reviewTimePhrase(medianSeconds, decided);
  }
}
