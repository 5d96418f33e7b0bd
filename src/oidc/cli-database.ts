import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config/config';
import { withDatabase } from '../database/database-url';
import { migrateToLatest } from '../database/migrate';
import { ormConfig } from '../database/mikro-orm.config';

/** Why a command will not run where it was started; the message says what to do instead. */
export class CliDatabaseError extends Error {}

export interface CliDatabaseOptions {
  /** How people run the command, e.g. "npm run org": the start of every line it prints about its database. */
  command: string;
  /** --create-database: a new embedded database may be started when DATA_DIR holds none. */
  createDatabase?: boolean;
  /** Whether the command offers --create-database at all (audit:verify has nothing to verify in a new one). */
  canCreate?: boolean;
}

/**
 * The database of the Referee a command manages: DATABASE_URL, or else the embedded PostgreSQL
 * under DATA_DIR (the running Referee's, left running, or started for the command and stopped
 * after it). It says on stderr which one and which issuer before any work, and never makes a
 * new embedded database unless asked: a command run without the server's environment would
 * otherwise quietly manage an empty Referee nobody uses.
 */
export async function withCliDatabase<T>(config: Config, options: CliDatabaseOptions, work: (url: string) => Promise<T>): Promise<T> {
  if (config.databaseUrl) {
    announce(options.command, `${withoutSecrets(config.databaseUrl)} (DATABASE_URL)`, config);
    return work(config.databaseUrl);
  }
  const folder = join(config.dataDir, 'postgres');
  if (!existsSync(join(folder, 'PG_VERSION'))) {
    if (existsSync(folder) && !readable(folder)) {
      throw new CliDatabaseError(`cannot read ${folder} (the embedded PostgreSQL's data): run the command as the user that runs Referee.`);
    }
    if (!options.createDatabase) throw new CliDatabaseError(noDatabase(config, options));
  }
  return withDatabase(config, async (url) => {
    announce(options.command, `embedded PostgreSQL in ${folder} (${withoutSecrets(url)})`, config);
    return work(url);
  });
}

/** The same, with migrations applied and a MikroORM on that database. */
export async function withOrm<T>(config: Config, options: CliDatabaseOptions, work: (orm: MikroORM) => Promise<T>): Promise<T> {
  return withCliDatabase(config, options, async (url) => {
    await migrateToLatest(url);
    const orm = await MikroORM.init({ ...ormConfig(url), logger: () => undefined });
    try {
      return await work(orm);
    } finally {
      await orm.close(true);
    }
  });
}

function readable(folder: string): boolean {
  try {
    accessSync(folder, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function announce(command: string, database: string, config: Config) {
  console.error(`${command}: database: ${database}; issuer: ${config.issuerUrl}`);
}

/** user@host:port/database: no password, no query (which may carry one). */
function withoutSecrets(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  parsed.search = '';
  return parsed.toString();
}

function noDatabase(config: Config, options: CliDatabaseOptions): string {
  const others = runningEmbeddedDataDirs().filter((dir) => dir !== config.dataDir);
  return [
    `no Referee database in DATA_DIR ${config.dataDir} (no embedded PostgreSQL in ${join(config.dataDir, 'postgres')}), and DATABASE_URL is not set.`,
    'Run the command with the environment of the Referee it manages: its DATABASE_URL, or its DATA_DIR',
    `(and EMBEDDED_POSTGRES_PORT and SESSION_SECRET when that Referee sets them), e.g. DATA_DIR=/srv/referee/.data ${options.command} …`,
    ...(others.length ? [`A Referee's embedded PostgreSQL is running on this machine with ${others.map((dir) => `DATA_DIR=${dir}`).join(', ')}.`] : []),
    ...(options.canCreate === false ? [] : [`To start a new, empty embedded database in ${config.dataDir} instead, add --create-database.`]),
  ].join('\n');
}

/**
 * The data folders of embedded PostgreSQL servers running here (a Referee keeps its server's
 * data in <DATA_DIR>/postgres): a hint for someone who ran a command in the wrong folder.
 */
function runningEmbeddedDataDirs(): string[] {
  const found = new Set<string>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return []; // no /proc: no hint
  }
  for (const pid of pids) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('-D');
      if (basename(argv[0]) === 'postgres' && at > 0 && basename(argv[at + 1] ?? '') === 'postgres') found.add(dirname(argv[at + 1]));
    } catch {
      // the process ended meanwhile
    }
  }
  return [...found];
}
