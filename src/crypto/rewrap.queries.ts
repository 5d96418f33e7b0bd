import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRun } from '../database/sql';
import type { EncryptedColumn } from './encrypted-columns';

/*
 * The statements of `npm run keys:rewrap`, on the columns of encrypted-columns.ts: the one
 * place that writes other modules' tables, since re-encrypting changes no value they read and
 * going through each module's service would mean one rewrap method per module. Table,
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

/** The SQL type of the column (the primary key's, to compare the batch's ids with it, as text they would not use its index). */
export async function columnType(em: EntityManager, table: string, column: string): Promise<string> {
  const [row] = await sql<{ type: string }>(
    em,
    `select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = ?::regclass and attname = ? and not attisdropped`,
    [quoted(table), column],
  );
  if (!row || !/^[a-z][a-z ]*$/.test(row.type)) throw new Error(`${table}.${column}: no such column, or a type the command does not know`);
  return row.type;
}

/**
 * Replaces each value of the batch only where its row still holds the value read (a row
 * Referee changed or deleted since is left as it is). Returns the ids of the rows replaced.
 * `keyType`: the primary key's type (columnType).
 */
export async function replaceValuesIfUnchanged(em: EntityManager, c: EncryptedColumn, keyType: string, values: { id: string; read: string; next: string }[]): Promise<string[]> {
  if (!values.length) return [];
  const set = c.field ? `${quoted(c.column)} = jsonb_set(t.${quoted(c.column)}, ${literal(`{${c.field}}`)}, to_jsonb(v.next))` : `${quoted(c.column)} = v.next`;
  const stored = c.field ? `t.${quoted(c.column)}->>${literal(c.field)}` : `t.${quoted(c.column)}`;
  const rows = await sql<{ id: string }>(
    em,
    `update ${quoted(c.table)} as t set ${set}
     from (values ${values.map(() => '(?::text, ?::text, ?::text)').join(', ')}) as v(id, read, next)
     where t.${quoted(c.key)} = v.id::${keyType} and ${stored} = v.read
     returning t.${quoted(c.key)}::text as id`,
    values.flatMap((v) => [v.id, v.read, v.next]),
  );
  return rows.map((r) => r.id);
}
