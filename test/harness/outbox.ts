import type { Client } from 'pg';

/** The newest email to `to` in the outbox, and the first link in it. */
export async function lastEmailTo(sql: Client, to: string): Promise<{ subject: string; body: string; link?: string } | undefined> {
  const { rows } = await sql.query(
    `select subject, body from outbox_message where channel = 'email' and recipient = $1 order by created_at desc limit 1`,
    [to],
  );
  if (!rows[0]) return undefined;
  const link = /https?:\/\/\S+/.exec(rows[0].body)?.[0];
  return { subject: rows[0].subject, body: rows[0].body, link };
}

export async function emailCount(sql: Client, to: string): Promise<number> {
  const { rows } = await sql.query(`select count(*)::int as n from outbox_message where recipient = $1`, [to]);
  return rows[0].n;
}

/** The path and query of a link in an email (tests talk to the app directly, not to BASE_URL). */
export function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}
