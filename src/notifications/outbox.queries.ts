import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';

/** Outbox messages whose recipient does not match `sealed` (written in the clear by an older version). */
export async function recipientsInTheClear(em: EntityManager, sealed: RegExp): Promise<{ id: string; recipient: string }[]> {
  return sql<{ id: string; recipient: string }>(em,
    `select id, recipient from outbox_message where recipient !~ ?`,
    [sealed.source],
  );
}

/** Replaces a message's recipient with its sealed form. */
export async function sealRecipient(em: EntityManager, messageId: string, sealedRecipient: string): Promise<void> {
  await sqlRun(em, 'update outbox_message set recipient = ? where id = ?', [sealedRecipient, messageId]);
}
