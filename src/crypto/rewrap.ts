import type { EntityManager } from '@mikro-orm/postgresql';
import { tryAdvisoryLock } from '../jobs/advisory-locks.queries';
import { LOCKS } from '../jobs/jobs';
import { columnName, ENCRYPTED_COLUMNS, type EncryptedColumn } from './encrypted-columns';
import { PiiDecryptionError, type PiiCipher } from './pii-cipher';
import { columnType, replaceValuesIfUnchanged, valuesByKeyId, valuesNotUnder } from './rewrap.queries';

/** Rows per transaction: each batch commits on its own, so a run stopped half way keeps what it did. */
export const REWRAP_BATCH_SIZE = 500;

export class RewrapAlreadyRunning extends Error {
  constructor() {
    super('another keys:rewrap is running on this database; let it finish (or stop it), then run this one again.');
  }
}

/** A value that no key of PII_KEYS opens: where it is, never what it is. */
export interface Unreadable {
  column: string;
  rowId: string;
  reason: string;
}

export interface ColumnOutcome {
  /** table.column (or table.column.field for a JSON field). */
  column: string;
  rewrapped: number;
  /** Already under the current key when the run reached the column. */
  alreadyCurrent: number;
  /** Changed or deleted by Referee between the read and the update (left as Referee wrote it). */
  changedMeanwhile: number;
  unreadable: Unreadable[];
}

export interface RewrapReport {
  currentKeyId: string;
  columns: ColumnOutcome[];
  /** After the run, how many values each key id wraps (every key of PII_KEYS, and any other id found). */
  keys: { keyId: string; values: number; inPiiKeys: boolean }[];
  unreadable: Unreadable[];
}

export interface RewrapProgress {
  /** A column is about to be walked: `toDo` values are not under the current key. */
  onColumn?(column: string, toDo: number): void;
  /** A batch committed: `done` of the column's `toDo` values are handled. */
  onBatch?(column: string, done: number, toDo: number): void | Promise<void>;
  /** The column is finished. */
  onColumnDone?(outcome: ColumnOutcome): void;
}

/**
 * Moves every value of ENCRYPTED_COLUMNS (personal data, file keys, signing keys) under the
 * current key of PII_KEYS: each value's data key is unwrapped with the key it names and
 * wrapped again with the current one (PiiCipher.rewrap; the data and the stored files are not
 * touched). Values already current are not read twice: the batches select only the others, so
 * a run stopped at any point is finished by the next. One run at a time (advisory lock).
 */
export async function rewrapAll(em: EntityManager, cipher: PiiCipher, progress: RewrapProgress = {}, batchSize = REWRAP_BATCH_SIZE): Promise<RewrapReport> {
  const lock = em.fork();
  await lock.begin();
  try {
    if (!(await tryAdvisoryLock(lock, LOCKS.piiRewrap))) throw new RewrapAlreadyRunning();
    const columns: ColumnOutcome[] = [];
    for (const c of ENCRYPTED_COLUMNS) columns.push(await rewrapColumn(em, cipher, c, progress, batchSize));
    return {
      currentKeyId: cipher.currentKeyId,
      columns,
      keys: await keysInUse(em, cipher),
      unreadable: columns.flatMap((c) => c.unreadable),
    };
  } finally {
    await lock.rollback(); // nothing written on it: ends the transaction, releasing the lock
  }
}

async function rewrapColumn(em: EntityManager, cipher: PiiCipher, c: EncryptedColumn, progress: RewrapProgress, batchSize: number): Promise<ColumnOutcome> {
  const name = columnName(c);
  const counts = await valuesByKeyId(em.fork(), c);
  const alreadyCurrent = counts.find((k) => k.keyId === cipher.currentKeyId)?.count ?? 0;
  const toDo = counts.reduce((sum, k) => sum + k.count, 0) - alreadyCurrent;
  const outcome: ColumnOutcome = { column: name, rewrapped: 0, alreadyCurrent, changedMeanwhile: 0, unreadable: [] };
  progress.onColumn?.(name, toDo);
  const keyType = await columnType(em.fork(), c.table, c.key);
  let after: string | undefined;
  let done = 0;
  for (;;) {
    const batch = await em.fork().transactional(async (tx) => {
      const values = await valuesNotUnder(tx, c, cipher.currentKeyId, after, batchSize);
      const rewrapped: { id: string; read: string; next: string }[] = [];
      for (const stored of values) {
        try {
          const context = c.context(stored.row);
          cipher.decrypt(stored.value, context); // the whole value reads back, not only its key
          rewrapped.push({ id: stored.id, read: stored.value, next: cipher.rewrap(stored.value, context) });
        } catch (error) {
          if (!(error instanceof PiiDecryptionError)) throw error;
          outcome.unreadable.push({ column: name, rowId: stored.id, reason: error.message });
        }
      }
      const replaced = (await replaceValuesIfUnchanged(tx, c, keyType, rewrapped)).length;
      outcome.rewrapped += replaced;
      outcome.changedMeanwhile += rewrapped.length - replaced;
      return values;
    });
    if (!batch.length) break;
    after = batch[batch.length - 1].id;
    done += batch.length;
    await progress.onBatch?.(name, Math.min(done, toDo), toDo);
    if (batch.length < batchSize) break;
  }
  progress.onColumnDone?.(outcome);
  return outcome;
}

async function keysInUse(em: EntityManager, cipher: PiiCipher): Promise<RewrapReport['keys']> {
  const ring = cipher.keyIds;
  const values = new Map<string, number>(ring.map((id) => [id, 0]));
  for (const c of ENCRYPTED_COLUMNS) {
    for (const { keyId, count } of await valuesByKeyId(em.fork(), c)) {
      const id = keyId ?? '(not encrypted with PII_KEYS)';
      values.set(id, (values.get(id) ?? 0) + count);
    }
  }
  return [...values].map(([keyId, n]) => ({ keyId, values: n, inPiiKeys: ring.includes(keyId) }));
}
