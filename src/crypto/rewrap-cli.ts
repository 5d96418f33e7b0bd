import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config';
import { CliDatabaseError, withOrm } from '../oidc/cli-database';
import { PiiCipher } from './pii-cipher';
import { REWRAP_BATCH_SIZE, RewrapAlreadyRunning, rewrapAll, type ColumnOutcome, type RewrapReport } from './rewrap';

const COMMAND = 'npm run keys:rewrap';

/**
 * `npm run keys:rewrap`: after a new key was put first in PII_KEYS (and every instance
 * restarted with it), moves every stored encrypted value and document file key under that
 * key, so that the older keys can be removed. Safe to stop and run again; see README.md,
 * "Rotating the personal-data keys".
 */
async function main() {
  const { values } = parseArgs({ options: { 'batch-size': { type: 'string' } } });
  const batchSize = values['batch-size'] === undefined ? REWRAP_BATCH_SIZE : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError('--batch-size must be a whole number from 1 to 10000');
  const config = loadConfig();
  const cipher = new PiiCipher(config.piiKeys);
  // Never a new database: there would be nothing to rewrap in it.
  const report = await withOrm(config, { command: COMMAND, canCreate: false }, async (orm) => {
    console.log(`Rewrapping under key ${cipher.currentKeyId} (the first of PII_KEYS), ${batchSize} values per transaction.`);
    return rewrapAll(orm.em, cipher, progressOn(process.stdout), batchSize);
  });
  printSummary(report);
  if (report.unreadable.length) {
    console.error(`\n${report.unreadable.length} value(s) could not be decrypted with any key of PII_KEYS; they were left as they are:`);
    for (const u of report.unreadable.slice(0, 50)) console.error(`  ${u.column}, row ${u.rowId}: ${u.reason}`);
    if (report.unreadable.length > 50) console.error(`  … and ${report.unreadable.length - 50} more.`);
    console.error('Put back the key they name (or find why they do not open) and run the command again.');
    process.exit(2);
  }
}

/**
 * On a terminal, one line per column redrawn after each batch (a bar and counts); elsewhere
 * (a log, a pipe), only a line per column when it is done.
 */
function progressOn(out: NodeJS.WriteStream) {
  const tty = !!out.isTTY;
  const width = 30;
  const line = (column: string, done: number, toDo: number) => {
    const filled = toDo ? Math.round((done / toDo) * width) : width;
    return `${column.padEnd(36)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${toDo}`;
  };
  return {
    onColumn(column: string, toDo: number) {
      if (tty && toDo) out.write(`\r${line(column, 0, toDo)}`);
    },
    onBatch(column: string, done: number, toDo: number) {
      if (tty) out.write(`\r${line(column, done, toDo)}`);
    },
    onColumnDone(o: ColumnOutcome) {
      if (tty) out.write('\r\x1b[2K');
      out.write(`${o.column}: ${countsOf(o)}\n`);
    },
  };
}

function countsOf(o: ColumnOutcome): string {
  return [
    `${o.rewrapped} rewrapped`,
    `${o.alreadyCurrent} already current`,
    ...(o.changedMeanwhile ? [`${o.changedMeanwhile} changed by Referee meanwhile (left as written)`] : []),
    ...(o.unreadable.length ? [`${o.unreadable.length} could not be decrypted`] : []),
  ].join(', ');
}

function printSummary(report: RewrapReport) {
  const rewrapped = report.columns.reduce((n, c) => n + c.rewrapped, 0);
  const current = report.columns.reduce((n, c) => n + c.alreadyCurrent, 0);
  console.log(`\nDone: ${rewrapped} value(s) rewrapped, ${current} already under key ${report.currentKeyId}.`);
  console.log('Keys still in use:');
  for (const k of report.keys) {
    if (k.keyId === report.currentKeyId) console.log(`  key ${k.keyId}: ${k.values} values (the current key).`);
    else if (!k.inPiiKeys) console.log(`  key ${k.keyId}: ${k.values} values, but it is not in PII_KEYS: they cannot be read.`);
    else if (k.values === 0) console.log(`  key ${k.keyId}: 0 values; it can be removed from PII_KEYS.`);
    else console.log(`  key ${k.keyId}: ${k.values} values; keep it in PII_KEYS and run ${COMMAND} again (an instance may still encrypt with it).`);
  }
}

class UsageError extends Error {}

main().catch((error) => {
  if (error instanceof CliDatabaseError || error instanceof UsageError || error instanceof RewrapAlreadyRunning) console.error(`${COMMAND}: ${error.message}`);
  // The driver's own message, without the statement MikroORM puts before it (it carries ciphertexts).
  else console.error(error instanceof ConfigError ? error.message : `keys:rewrap failed: ${String((error as Error).message).split(' - ').pop()}`);
  process.exit(error instanceof RewrapAlreadyRunning ? 3 : 1);
});
