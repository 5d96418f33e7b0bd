import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';

interface ReviewTimeRow {
  median_seconds: number | string | null;
  decided: number;
}

/** The median time from documents sent to the reviewer's decision, over the decisions since `since`, and how many there were. */
export async function recentReviewTimes(em: EntityManager, since: Date): Promise<{ medianSeconds: number | null; decided: number }> {
  const [row] = await sql<ReviewTimeRow>(
    em,
    `select percentile_cont(0.5) within group (order by extract(epoch from decided_at - submitted_at)) as median_seconds, count(*)::int as decided
       from document_review
      where decided_at >= ? and decided_at >= submitted_at`,
    [since],
  );
  return { medianSeconds: row?.median_seconds === null || row?.median_seconds === undefined ? null : Number(row.median_seconds), decided: row?.decided ?? 0 };
}
