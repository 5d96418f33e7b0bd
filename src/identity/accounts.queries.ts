import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';
import { Account } from './account.entity';

/**
 * The account with this email, as findOne would give it (managed by `em`), from one plain
 * statement: on the sign-in path MikroORM's query building costs several times the round trip.
 */
export async function accountByEmail(em: EntityManager, email: string): Promise<Account | null> {
  const [row] = await sql<Record<string, unknown>>(em, 'select * from "account" where email = ?', [email]);
  return row ? em.map(Account, row) : null;
}

/** One more wrong password on the account of this address, if there is one: one statement, so simultaneous sign-ins each count. */
export async function countWrongPassword(em: EntityManager, email: string): Promise<void> {
  await sqlRun(em, 'update "account" set failed_sign_ins = failed_sign_ins + 1 where email = ?', [email]);
}

/** Holds the account's row until the transaction of `em` ends. */
export async function lockAccount(em: EntityManager, accountId: string): Promise<void> {
  await sql(em, 'select 1 from "account" where id = ? for update', [accountId]);
}

/** What the OpenID provider shares of an account: one plain statement, no entity. */
export async function accountClaims(em: EntityManager, id: string): Promise<{ id: string; email: string; emailConfirmedAt: Date | null } | null> {
  // An account waiting for its deletion shares nothing: to the OpenID provider it is already gone (src/privacy/account-deletion.service.ts).
  const [row] = await sql<{ id: string; email: string; email_confirmed_at: Date | string | null }>(em,
    'select id, email, email_confirmed_at from "account" a where id = ? and not exists (select 1 from account_deletion d where d.account_id = a.id)',
    [id],
  );
  return row ? { id: row.id, email: row.email, emailConfirmedAt: row.email_confirmed_at ? new Date(row.email_confirmed_at) : null } : null;
}
