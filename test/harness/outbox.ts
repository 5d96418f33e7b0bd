import type { Client } from 'pg';
import { PiiCipher, type PiiKeyRing } from '../../src/crypto/pii-cipher';
import { isSealedRecipient, recipientContext } from '../../src/notifications/recipients';

/**
 * Outbox recipients are encrypted at rest (bound to their row): to find "the last email to
 * X" the tests decrypt them with the key ring of the Referee that wrote them, registered
 * here by startTestApp (or by a test that starts Referee its own way).
 */
const ciphers = new WeakMap<Client, PiiCipher>();

export function useOutboxKeys(sql: Client, keys: PiiKeyRing): void {
  ciphers.set(sql, new PiiCipher(keys));
}

export interface OutboxRow {
  id: string;
  channel: string;
  /** Decrypted. */
  recipient: string;
  subject: string | null;
  body: string;
  status: string;
  attempts: number;
  last_error: string | null;
  attachments: { filename: string; contentType: string; content: string }[] | null;
  created_at: Date;
  sent_at: Date | null;
}

/** Every outbox message to `to` (exactly as written), newest first; `channels` narrows them. */
export async function messagesTo(sql: Client, to: string, channels?: string[]): Promise<OutboxRow[]> {
  const cipher = ciphers.get(sql);
  if (!cipher) throw new Error('no PII keys registered for this database: call useOutboxKeys(sql, config.piiKeys)');
  const { rows } = await sql.query(
    `select * from outbox_message ${channels ? 'where channel = any($1)' : ''} order by created_at desc`,
    channels ? [channels] : [],
  );
  return rows
    .map((row) => ({ ...row, recipient: isSealedRecipient(row.recipient) ? cipher.decrypt(row.recipient, recipientContext(row.id)) : row.recipient }))
    .filter((row) => row.recipient === to);
}

/** The newest email to `to` in the outbox, and the first link in it. */
export async function lastEmailTo(sql: Client, to: string): Promise<{ subject: string; body: string; link?: string } | undefined> {
  const [row] = await messagesTo(sql, to, ['email']);
  if (!row) return undefined;
  const link = /https?:\/\/\S+/.exec(row.body)?.[0];
  return { subject: row.subject!, body: row.body, link };
}

/** The newest text message or voice call to a phone number (E.164). */
export async function lastTextTo(sql: Client, to: string): Promise<OutboxRow | undefined> {
  return (await messagesTo(sql, to, ['sms', 'voice']))[0];
}

export async function emailCount(sql: Client, to: string): Promise<number> {
  return (await messagesTo(sql, to)).length;
}

/** The path and query of a link in an email (tests talk to the app directly, not to BASE_URL). */
export function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}
