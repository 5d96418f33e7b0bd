'use strict';
/**
 * Shared helpers of the benchmarks (bench/*.bench.js, run by bench/run.js):
 * a throwaway PostgreSQL, Referee and other servers in child processes, autocannon
 * runs against loopback only, and the `bench <name>: <value> <unit>` lines.
 *
 * Everything started here registers its own stop in a Cleanup, so a run always ends
 * with no server, database or child process left behind.
 */
const { fork } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

/** Seconds, from the environment (BENCH_DURATION=3 for a quick try). */
const DURATION = positive(process.env.BENCH_DURATION, 10);
const WARMUP = nonNegative(process.env.BENCH_WARMUP, 2);
/**
 * A figure and its baseline are measured in alternating slices (baseline, subject,
 * baseline, ...), ROUNDS of each, so a change in the machine's load (other processes)
 * during the run weighs on both alike instead of skewing their ratio.
 */
const ROUNDS = Math.max(1, Math.round(positive(process.env.BENCH_ROUNDS, 3)));
/** Where server children write CPU profiles when BENCH_CPU_PROF=1. */
const PROFILE_DIR = path.join(__dirname, 'profiles');

function positive(raw, fallback) {
  const value = Number(raw);
  return raw && Number.isFinite(value) && value > 0 ? value : fallback;
}
function nonNegative(raw, fallback) {
  const value = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** A module of the compiled application (npm run build), with a clear error when it is missing. */
function requireDist(relative) {
  const file = path.join(DIST, relative);
  if (!fs.existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run \`npm run bench\` (it builds first)`);
  return require(file);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects when `promise` takes longer than `ms`. */
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Stops things in the reverse order they were started; each stop is bounded in time. */
class Cleanup {
  constructor() {
    this.tasks = [];
  }
  add(what, stop) {
    const task = { what, stop };
    this.tasks.push(task);
    return () => {
      // run early (e.g. a bench stops its own baseline server) and forget it
      const i = this.tasks.indexOf(task);
      if (i >= 0) this.tasks.splice(i, 1);
      return withTimeout(Promise.resolve().then(stop), 15_000, `stopping ${what}`);
    };
  }
  async runAll() {
    while (this.tasks.length) {
      const { what, stop } = this.tasks.pop();
      try {
        await withTimeout(Promise.resolve().then(stop), 15_000, `stopping ${what}`);
      } catch (error) {
        console.error(`bench: could not stop ${what}: ${error.message}`);
      }
    }
  }
}

/**
 * A throwaway, migrated PostgreSQL (the embedded one) on a random free port of 127.0.0.1,
 * in a temp folder removed at the end.
 */
async function startPostgres(cleanup) {
  const { startEmbeddedPostgres } = requireDist('src/database/embedded-postgres.js');
  const { migrateToLatest } = requireDist('src/database/migrate.js');
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'referee-bench-pg-'));
  fs.chmodSync(parent, 0o755); // as root, PostgreSQL runs as its own user and must reach its folder
  const removeFolder = cleanup.add('the PostgreSQL folder', () => fs.rmSync(parent, { recursive: true, force: true }));
  const server = await withTimeout(
    startEmbeddedPostgres({
      dir: path.join(parent, 'data'),
      port: await freePort(),
      password: randomBytes(16).toString('hex'),
      database: 'referee_bench',
      persistent: false,
    }),
    60_000,
    'starting PostgreSQL',
  );
  const stop = cleanup.add('PostgreSQL', () => server.stop());
  // MikroORM's migrator announces each migration on console.log: keep the report to its figures.
  const log = console.log;
  console.log = (...args) => {
    if (!/\[migrator\]/.test(String(args[0]))) log(...args);
  };
  try {
    await withTimeout(migrateToLatest(server.url), 60_000, 'migrating the database');
  } finally {
    console.log = log;
  }
  return { url: server.url, stop: async () => { await stop(); await removeFolder(); } };
}

/**
 * Runs a server script (bench/servers/*.js) in its own process, so the benchmark driver
 * never shares an event loop (or a CPU profile) with it. The script calls
 * bench/servers/child.js#serve, which reports the port once listening on 127.0.0.1.
 */
async function startServer(cleanup, { name, script, env = {}, timeoutMs = 60_000 }) {
  const port = await freePort();
  const execArgv = [];
  if (process.env.BENCH_CPU_PROF === '1') {
    fs.mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`);
  }
  const child = fork(path.join(__dirname, 'servers', script), [], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), BENCH_HOST: '127.0.0.1' },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = true;
    resolve({ code, signal });
  }));
  const stop = cleanup.add(name, async () => {
    if (exited) return;
    if (child.connected) child.send({ stop: true });
    else child.kill('SIGTERM');
    const done = await Promise.race([exit, sleep(10_000).then(() => null)]);
    if (!done) {
      child.kill('SIGKILL');
      await exit;
    }
  });
  const ready = await withTimeout(
    new Promise((resolve, reject) => {
      child.on('message', (message) => {
        if (message && message.ready) resolve(message);
        if (message && message.error) reject(new Error(`${name} could not start: ${message.error}`));
      });
      exit.then(({ code, signal }) => reject(new Error(`${name} exited before listening (code ${code}, signal ${signal})`)));
    }),
    timeoutMs,
    `starting ${name}`,
  ).catch(async (error) => {
    await stop().catch(() => undefined);
    throw error;
  });
  const url = `http://127.0.0.1:${ready.port}`;
  let asked = 0;
  /** CPU seconds the server process has used so far (user + system, all its threads). */
  const cpuSeconds = () =>
    withTimeout(
      new Promise((resolve) => {
        const id = ++asked;
        const listen = (message) => {
          if (message && message.cpu === id) {
            child.off('message', listen);
            resolve((message.usage.user + message.usage.system) / 1e6);
          }
        };
        child.on('message', listen);
        child.send({ cpu: id });
      }),
      10_000,
      `asking ${name} for its CPU time`,
    );
  return { name, url, port: ready.port, child, stop, cpuSeconds, exited: () => exited };
}

/** Runs `measure` ({ count, seconds }) and adds the CPU seconds `cpuSeconds()` grew by meanwhile. */
async function withCpu(cpuSeconds, measure) {
  const before = await cpuSeconds();
  const result = await measure();
  return { ...result, cpu: (await cpuSeconds()) - before };
}

/** Referee as in production (NODE_ENV=production), silent logs, rate limits raised. */
async function startReferee(cleanup, { databaseUrl, env = {} }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'referee-bench-data-'));
  cleanup.add('the Referee data folder', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const sessionSecret = randomBytes(32).toString('base64url');
  const refereeEnv = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    SESSION_SECRET: sessionSecret,
    // Encryption keys of personal data (required in production where the config knows them).
    PII_KEYS: `bench:${randomBytes(32).toString('base64url')}`,
    PII_FINGERPRINT_KEY: randomBytes(32).toString('base64url'),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'silent', // BENCH_LOG_LEVEL=error shows why a request failed
    RATE_LIMIT_SCALE: '100000',
    ...env,
  };
  const server = await startServer(cleanup, { name: 'referee', script: 'referee.js', env: refereeEnv });
  // env: Referee's own variables (PORT included), e.g. for loadConfig(env) in a benchmark.
  return { ...server, databaseUrl, sessionSecret, env: { ...refereeEnv, PORT: String(server.port) } };
}

/** One autocannon run against loopback; rejects on transport errors. */
async function autocannon(options) {
  const run = require('autocannon');
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
    throw new Error(`benchmarks only target loopback, not ${target.hostname}`);
  }
  const instance = run({ ...options, duration: options.duration ?? DURATION });
  const result = await withTimeout(instance, ((options.duration ?? DURATION) + 30) * 1000, `autocannon on ${options.url}`);
  return result;
}

/** Answers to a plain GET during `duration` seconds ({ count, seconds }); fails on any non-2xx answer or error. */
async function measureGet(url, { connections, duration = DURATION, headers } = {}) {
  const result = await autocannon({ url, connections, duration, headers });
  const problems = [];
  if (result.errors) problems.push(`${result.errors} errors`);
  if (result.timeouts) problems.push(`${result.timeouts} timeouts`);
  if (result.non2xx) problems.push(`${result.non2xx} non-2xx answers`);
  if (!result.requests.total) problems.push('no answer at all');
  if (problems.length) throw new Error(`GET ${url}: ${problems.join(', ')}`);
  return { count: result.requests.total, seconds: result.duration };
}

/**
 * Measures a subject and its baseline in alternating slices: one warm-up of each, then
 * `rounds` × (baseline slice, subject slice), each slice `duration / rounds` seconds.
 * `measure(seconds)` returns { count, seconds }. Returns { subject, baseline } per second.
 */
async function interleave({ subject, baseline, duration = DURATION, warmup = WARMUP, rounds = ROUNDS }) {
  if (warmup > 0) {
    await baseline(warmup);
    await subject(warmup);
  }
  const totals = { subject: { count: 0, seconds: 0, cpu: 0 }, baseline: { count: 0, seconds: 0, cpu: 0 } };
  const slice = duration / rounds;
  for (let round = 0; round < rounds; round++) {
    for (const [name, measure] of [['baseline', baseline], ['subject', subject]]) {
      const { count, seconds, cpu } = await measure(slice);
      totals[name].count += count;
      totals[name].seconds += seconds;
      totals[name].cpu += cpu ?? NaN;
    }
  }
  return {
    subject: totals.subject.count / totals.subject.seconds,
    baseline: totals.baseline.count / totals.baseline.seconds,
    // CPU time per operation, when the measures report it (NaN otherwise): unlike the rates,
    // it hardly changes when other processes compete for the machine.
    cpuPer: { subject: totals.subject.cpu / totals.subject.count, baseline: totals.baseline.cpu / totals.baseline.count },
  };
}

/** 0.000262 → '262 µs', 0.0123 → '12.3 ms'. */
function formatSeconds(seconds) {
  if (!Number.isFinite(seconds)) return 'n/a';
  return seconds >= 1e-3 ? `${formatValue(seconds * 1e3)} ms` : `${formatValue(seconds * 1e6)} µs`;
}

/** Figures: 1234 req/s, 41.7 sign-ins/s, 0.512 s. */
function formatValue(value) {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/**
 * Collects the figures of a run: prints `bench <name>: <value> <unit>` (with the ratio
 * to its baseline when there is one) as they come, and the summary table at the end.
 *
 * report({ name, value, unit, baseline?: { name, value }, target?: { of: 'ratio'|'value', min?, max? } })
 */
class Report {
  constructor() {
    this.rows = [];
  }

  add({ name, value, unit, baseline, target }) {
    const ratio = baseline ? value / baseline.value : undefined;
    let line = `bench ${name}: ${formatValue(value)} ${unit}`;
    if (baseline) line += ` (ratio ${ratio.toFixed(2)} vs ${baseline.name})`;
    console.log(line);
    const row = { name, value, unit, ratio, target, line };
    if (target) {
      const measured = target.of === 'ratio' ? ratio : value;
      row.pass = (target.min === undefined || measured >= target.min) && (target.max === undefined || measured <= target.max);
    }
    this.rows.push(row);
    return row;
  }

  /** A figure that could not be measured (its bench failed). */
  failed(name, error) {
    this.rows.push({ name, error: error.message, pass: false });
  }

  table() {
    const describe = (target) => {
      if (!target) return '-';
      const of = target.of === 'ratio' ? 'ratio' : 'value';
      if (target.min !== undefined && target.max !== undefined) return `${target.min} ≤ ${of} ≤ ${target.max}`;
      return target.min !== undefined ? `${of} ≥ ${target.min}` : `${of} ≤ ${target.max}`;
    };
    const rows = this.rows.map((row) => [
      row.name,
      row.error ? 'error' : `${formatValue(row.value)} ${row.unit}${row.ratio === undefined ? '' : ` (ratio ${row.ratio.toFixed(2)})`}`,
      describe(row.target),
      row.error ? 'FAIL (error)' : row.target ? (row.pass ? 'pass' : 'FAIL') : '-',
    ]);
    const header = ['figure', 'value', 'target', 'result'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const format = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
    return [format(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(format)].join('\n');
  }
}

module.exports = {
  ROOT,
  DURATION,
  WARMUP,
  ROUNDS,
  PROFILE_DIR,
  requireDist,
  freePort,
  sleep,
  withTimeout,
  Cleanup,
  startPostgres,
  startServer,
  startReferee,
  autocannon,
  measureGet,
  interleave,
  withCpu,
  formatValue,
  formatSeconds,
  Report,
};
