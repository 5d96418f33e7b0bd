import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * One way to the database (docs/architecture.md, "Data"): plain SQL is written only in a
 * module's query layer, `src/<module>/<topic>.queries.ts`, and run through `database/sql.ts`.
 * The OpenID adapter keeps its prepared statements on the pg pool (the documented exception).
 * Everything else reaches the database through those functions or MikroORM's entities.
 */
const ROOT = join(__dirname, '..');
const SRC = join(ROOT, 'src');
const ALLOWED = new Set(['src/database/sql.ts', 'src/oidc/adapter.ts']);
const QUERY_LAYER = /^src\/[a-z0-9-]+\/[a-z0-9-]+\.queries\.ts$/;

/** What running or building plain SQL looks like, outside the query layer. */
const RAW_SQL: [string, RegExp][] = [
  ['sql(', /\bsql\s*[<(`]/],
  ['sqlRun(', /\bsqlRun\s*\(/],
  ['.execute(', /\.execute\s*[<(]/],
  ['getConnection(', /\bgetConnection\s*\(/],
  ["MikroORM's raw()", /(?<![.\w])raw\s*[(`]/],
  ['knex', /\b(knex|getKnex)\b/i],
  ['kysely', /\bgetKysely\b/],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(ROOT, path).split('\\').join('/')] : [];
  });
}

/** The code of a file without its comments (a comment may name `sql()` when it explains). */
function code(text: string): string[] {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((line) => line.replace(/(^|\s)\/\/.*$/, ''));
}

it('keeps plain SQL in the query layer: no file under src/ but *.queries.ts (and sql.ts, the OpenID adapter) runs or builds it', () => {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    if (ALLOWED.has(file) || file.endsWith('.queries.ts')) continue;
    code(readFileSync(join(ROOT, file), 'utf8')).forEach((line, i) => {
      for (const [what, pattern] of RAW_SQL) if (pattern.test(line)) found.push(`${file}:${i + 1} ${what}`);
    });
  }
  expect(found).toEqual([]);
});

it('names every query layer file src/<module>/<topic>.queries.ts, and each one is used', () => {
  const layer = sourceFiles(SRC).filter((file) => file.endsWith('.queries.ts'));
  expect(layer.filter((file) => !QUERY_LAYER.test(file))).toEqual([]);
  const everything = sourceFiles(SRC).map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\n');
  const unused = layer.filter((file) => !everything.includes(`/${file.split('/').pop()!.replace(/\.ts$/, '')}'`));
  expect(unused).toEqual([]);
});
