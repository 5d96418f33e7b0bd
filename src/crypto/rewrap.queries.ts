import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';
import type { EncryptedColumn } from './encrypted-columns';

/*
 * The statements of `npm run keys:rewrap`, on the columns of encrypted-columns.ts. Table,
 * column and field names come from that list (never from input); they are quoted here.
 */

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The stored ciphertext: the column, or the field of a JSON column. */
function valueOf(c: EncryptedColumn): string {
  return c.field ? `${quoted(c.column)}->>${literal(c.field)}` : quoted(c.column);
}

/** The key id a ciphertext names (`pii1.<keyId>.…`), null for anything else. */
const keyIdOf = (value: string) => `case when split_part(${value}, '.', 1) = 'pii1' then split_part(${value}, '.', 2) end`;

/** How many values of the column each key id wraps (key id null: not a PiiCipher ciphertext). */
export async function valuesByKeyId(em: EntityManager, c: EncryptedColumn): Promise<{ keyId: string | null; count: number }[]> {
  const rows = await sql<{ key_id: string | null; count: number }>(
    em,
    `select ${keyIdOf(valueOf(c))} as key_id, count(*)::int as count from ${quoted(c.table)} where ${valueOf(c)} is not null group by 1 order by 1`,
  );
  return rows.map((r) => ({ keyId: r.key_id, count: Number(r.count) }));
}

export interface StoredValue {
  /** The row's primary key, as text. */
  id: string;
  value: string;
  /** The columns the context reads (`reads`), as text. */
  row: Record<string, string>;
}

/**
 * The next `limit` values of the column not under `currentKeyId`, in primary-key order after
 * `after` (the last row of the previous batch: a value that could not be rewrapped is not
 * read again in the same run).
 */
export async function valuesNotUnder(em: EntityManager, c: EncryptedColumn, currentKeyId: string, after: string | undefined, limit: number): Promise<StoredValue[]> {
  const reads = (c.reads ?? []).map((name, i) => `, ${quoted(name)}::text as r${i}`).join('');
  const rows = await sql<Record<string, string>>(
    em,
    `select ${quoted(c.key)}::text as id, ${valueOf(c)} as value${reads} from ${quoted(c.table)}
     where ${valueOf(c)} is not null and ${keyIdOf(valueOf(c))} is distinct from ?
     ${after === undefined ? '' : `and ${quoted(c.key)} > ?`}
     order by ${quoted(c.key)} limit ?`,
    after === undefined ? [currentKeyId, limit] : [currentKeyId, after, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    value: r.value,
    row: Object.fromEntries([[c.key, r.id], ...(c.reads ?? []).map((name, i) => [name, r[`r${i}`]])]),
  }));
}

/** Replaces a value only if the row still holds the one read (false: changed or deleted since). */
export async function replaceValueIfUnchanged(em: EntityManager, c: EncryptedColumn, id: string, read: string, next: string): Promise<boolean> {
  const set = c.field ? `${quoted(c.column)} = jsonb_set(${quoted(c.column)}, ${literal(`{${c.field}}`)}, to_jsonb(?::text))` : `${quoted(c.column)} = ?`;
  return (await sqlRun(em, `update ${quoted(c.table)} set ${set} where ${quoted(c.key)} = ? and ${valueOf(c)} = ?`, [next, id, read])) === 1;
}
