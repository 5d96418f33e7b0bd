import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../src/database/mikro-orm.config';
import { tokenHash } from '../src/crypto/tokens';
import { Account } from '../src/identity/account.entity';
import { endLinks, findLink, isUsable, issueLink, newestLink, openLink, useLink } from '../src/links/links';
import { createTestDatabase, type TestDatabase } from './harness/app';

/** The links handed out to people (src/links): once (or, for Take Photo, again and again) until they expire, for their purpose and account only. */

let db: TestDatabase;
let orm: MikroORM;
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await MikroORM.init({ ...ormConfig(db.url), logger: () => undefined });
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

async function newAccount(): Promise<string> {
  const em = orm.em.fork();
  const account = em.create(Account, { email: `links${++n}.${Date.now()}@example.org`, passwordHash: 'not a password' });
  await em.flush();
  return account.id;
}

async function issue(accountId: string, purpose: 'confirm_email' | 'reset_password' = 'reset_password', lifetimeMs = 60_000): Promise<string> {
  const em = orm.em.fork();
  const token = issueLink(em, purpose, { accountId }, lifetimeMs);
  await em.flush();
  return token;
}

describe('single-use links', () => {
  it('are stored as their SHA-256 only', async () => {
    const accountId = await newAccount();
    const token = await issue(accountId);
    const { rows } = await db.sql.query('select token_hash from link where account_id = $1', [accountId]);
    expect(rows).toEqual([{ token_hash: tokenHash(token) }]);
  });

  it('succeed once when used twice at the same time', async () => {
    const accountId = await newAccount();
    const token = await issue(accountId);
    const uses = await Promise.all([useLink(orm.em.fork(), 'reset_password', token), useLink(orm.em.fork(), 'reset_password', token)]);
    expect(uses.filter((u) => u !== null)).toEqual([{ accountId, caseId: undefined }]);
    expect(await useLink(orm.em.fork(), 'reset_password', token)).toBeNull();
    expect(isUsable((await findLink(orm.em.fork(), 'reset_password', token))!)).toBe(false);
  });

  it('are refused once expired', async () => {
    const accountId = await newAccount();
    const token = await issue(accountId);
    await db.sql.query(`update link set expires_at = now() - interval '1 second' where account_id = $1`, [accountId]);
    expect(isUsable((await findLink(orm.em.fork(), 'reset_password', token))!)).toBe(false);
    expect(await useLink(orm.em.fork(), 'reset_password', token)).toBeNull();
  });

  it('are refused for another purpose or another account, and stay usable', async () => {
    const accountId = await newAccount();
    const token = await issue(accountId, 'confirm_email');
    expect(await findLink(orm.em.fork(), 'reset_password', token)).toBeNull();
    expect(await useLink(orm.em.fork(), 'reset_password', token)).toBeNull();
    expect(await useLink(orm.em.fork(), 'confirm_email', token, await newAccount())).toBeNull();
    expect(await useLink(orm.em.fork(), 'confirm_email', token, accountId)).toEqual({ accountId, caseId: undefined });
  });

  it('refuse anything that is not a token without asking the database', async () => {
    expect(await findLink(orm.em.fork(), 'reset_password', 'A'.repeat(42))).toBeNull();
    expect(await useLink(orm.em.fork(), 'reset_password', ['x'])).toBeNull();
  });

  it('of one purpose all end for one account, and only those', async () => {
    const accountId = await newAccount();
    const other = await newAccount();
    const resets = [await issue(accountId), await issue(accountId)];
    const confirm = await issue(accountId, 'confirm_email');
    const othersReset = await issue(other);
    expect(await endLinks(orm.em.fork(), 'reset_password', accountId)).toBe(2);
    for (const token of resets) expect(await useLink(orm.em.fork(), 'reset_password', token)).toBeNull();
    expect(await useLink(orm.em.fork(), 'confirm_email', confirm)).not.toBeNull();
    expect(await useLink(orm.em.fork(), 'reset_password', othersReset)).not.toBeNull();
  });
});

describe('lasting links (Take Photo)', () => {
  it('open again and again until they expire, for their purpose only; the newest of a case is found', async () => {
    const accountId = await newAccount();
    const caseId = randomUUID();
    await db.sql.query(`insert into verification_case (id, account_id, status, documents, supporting_confirmed, created_at, updated_at) values ($1, $2, 'documents_chosen', '[]', '[]', now(), now())`, [caseId, accountId]);
    const em = orm.em.fork();
    const older = issueLink(em, 'capture_photos', { accountId, caseId }, 60_000, { phoneLast4: '1111' });
    await em.flush();
    await new Promise((r) => setTimeout(r, 5));
    const newer = issueLink(em, 'capture_photos', { accountId, caseId }, 60_000, { phoneLast4: '2222' });
    await em.flush();
    for (let i = 0; i < 3; i++) expect((await openLink(orm.em.fork(), 'capture_photos', older))?.verificationCase?.id).toBe(caseId);
    expect(await findLink(orm.em.fork(), 'reset_password', older)).toBeNull();
    expect((await newestLink(orm.em.fork(), 'capture_photos', caseId))?.phoneLast4).toBe('2222');
    await db.sql.query(`update link set expires_at = now() - interval '1 second' where token_hash = $1`, [tokenHash(newer)]);
    expect(await openLink(orm.em.fork(), 'capture_photos', newer)).toBeNull();
    expect((await newestLink(orm.em.fork(), 'capture_photos', caseId))?.phoneLast4).toBe('1111');
  });
});

describe('the links of the old tables', () => {
  it('move into link with their hashes, expiry and used state, a pending recovery\'s cancel link and Take Photo links too (and back down)', async () => {
    const own = await createTestDatabase();
    const ownOrm = await MikroORM.init({ ...ormConfig(own.url), logger: () => undefined });
    try {
      await ownOrm.migrator.down({ to: 'Migration20261205090000_case_events_in_audit_log' });
      const account = randomUUID();
      const caseId = randomUUID();
      await own.sql.query(`insert into account (id, email, password_hash, created_at) values ($1, $2, 'x', now())`, [account, `${account}@example.org`]);
      await own.sql.query(`insert into verification_case (id, account_id, status, documents, supporting_confirmed, created_at, updated_at) values ($1, $2, 'abandoned', '[]', '[]', now(), now())`, [caseId, account]);
      const expires = new Date(Date.UTC(2026, 11, 6, 9, 0, 0, 123));
      const used = new Date(Date.UTC(2026, 11, 5, 9, 0, 0, 456));
      const hash = (c: string) => c.repeat(64);
      await own.sql.query(
        `insert into email_token (id, account_id, purpose, token_hash, expires_at, used_at, created_at) values
         ($1, $2, 'confirm_email', $3, $4, $5, now()), ($6, $2, 'reset_password', $7, $4, null, now())`,
        [randomUUID(), account, hash('a'), expires, used, randomUUID(), hash('b')],
      );
      await own.sql.query(`insert into verification_resume_code (id, verification_case_id, token_hash, expires_at, used_at, created_at) values ($1, $2, $3, $4, null, now())`, [randomUUID(), caseId, hash('c'), expires]);
      await own.sql.query(`insert into capture_link (id, verification_case_id, token_hash, phone_last4, expires_at, created_at) values ($1, $2, $3, '5678', $4, now())`, [randomUUID(), caseId, hash('e'), expires]);
      await own.sql.query(`insert into mfa_account_state (account_id, consecutive_failures, recovery_due_at, recovery_cancel_hash) values ($1, 0, $2, $3)`, [account, expires, hash('d')]);
      const old = async () => [
        ...(await own.sql.query('select id, verification_case_id, token_hash, phone_last4, expires_at, created_at from capture_link')).rows,
        ...(await own.sql.query('select account_id, recovery_due_at, recovery_cancel_hash from mfa_account_state')).rows,
        ...(await own.sql.query('select id, account_id, purpose, token_hash, expires_at, used_at, created_at from email_token')).rows,
        ...(await own.sql.query(`select id, verification_case_id, token_hash, expires_at, used_at, created_at from verification_resume_code`)).rows,
      ];
      const before = await old();

      await ownOrm.migrator.up();
      const { rows } = await own.sql.query('select purpose, account_id, verification_case_id, token_hash, expires_at, used_at from link order by token_hash');
      expect(rows).toEqual([
        { purpose: 'confirm_email', account_id: account, verification_case_id: null, token_hash: hash('a'), expires_at: expires, used_at: used },
        { purpose: 'reset_password', account_id: account, verification_case_id: null, token_hash: hash('b'), expires_at: expires, used_at: null },
        { purpose: 'resume_case', account_id: account, verification_case_id: caseId, token_hash: hash('c'), expires_at: expires, used_at: null },
        { purpose: 'cancel_recovery', account_id: account, verification_case_id: null, token_hash: hash('d'), expires_at: new Date(expires.getTime() + 365 * 86_400_000), used_at: null },
        { purpose: 'capture_photos', account_id: account, verification_case_id: caseId, token_hash: hash('e'), expires_at: expires, used_at: null },
      ]);

      await ownOrm.migrator.down({ to: 'Migration20261205090000_case_events_in_audit_log' });
      expect(await old()).toEqual(before);
    } finally {
      await ownOrm.close();
      await own.drop();
    }
  });
});
