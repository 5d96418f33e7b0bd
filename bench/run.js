#!/usr/bin/env node
'use strict';
/**
 * `npm run bench` (builds first): runs every bench/*.bench.js in turn against a throwaway
 * PostgreSQL and Referee on 127.0.0.1, prints `bench <name>: <value> <unit>` lines and a
 * summary table with the targets.
 *
 *   node bench/run.js                 every benchmark
 *   node bench/run.js signin          only those whose name or file matches
 *   BENCH_DURATION=3 BENCH_WARMUP=1   shorter runs (seconds; defaults 10 and 2)
 *   BENCH_ROUNDS=3                    slices a figure and its baseline alternate in (default 3)
 *   BENCH_CPU_PROF=1                  server children write CPU profiles to bench/profiles/
 *   BENCH_TIMEOUT=300                 hard limit of the whole run, in seconds
 *
 * Exit code: 0 when every benchmark ran (a missed target is reported, not an error),
 * 1 when one failed (e.g. sign-in did not work), 2 on the hard time limit.
 *
 * A benchmark module exports { name, figures: [names it reports], order?, run(ctx) }, where ctx has:
 *   report.add({ name, value, unit, baseline?: { name, value }, target?: { of: 'ratio'|'value', min?, max? } })
 *   postgres()   the shared, migrated PostgreSQL ({ url }), started on first use
 *   referee()    the shared Referee server ({ url, databaseUrl, ... }), started on first use
 *   startServer({ name, script, env })   another server from bench/servers/, stopped at the end (or by its stop())
 *   cleanup      register anything else that must be stopped: cleanup.add(what, stopFn)
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('./lib');

const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT) > 0 ? Number(process.env.BENCH_TIMEOUT) : 300;

function loadBenchmarks(filters) {
  const modules = fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith('.bench.js'))
    .sort()
    .map((file) => ({ file, ...require(path.join(__dirname, file)) }))
    .sort((a, b) => (a.order ?? 100) - (b.order ?? 100));
  if (!filters.length) return modules;
  return modules.filter((m) =>
    filters.some((f) => m.file.startsWith(f) || m.name === f || (m.figures ?? []).includes(f)),
  );
}

function memo(start) {
  let started;
  return () => (started ??= start());
}

const cleanup = new lib.Cleanup();

async function main() {
  const report = new lib.Report();
  let finished = false;

  const abort = async (message, code) => {
    if (finished) return;
    finished = true;
    console.error(`bench: ${message}`);
    await cleanup.runAll();
    process.exit(code);
  };
  const watchdog = setTimeout(() => void abort(`stopped after the ${TIMEOUT_S} s limit`, 2), TIMEOUT_S * 1000);
  watchdog.unref();
  process.on('SIGINT', () => void abort('interrupted', 130));
  process.on('SIGTERM', () => void abort('terminated', 143));

  const benchmarks = loadBenchmarks(process.argv.slice(2));
  if (!benchmarks.length) {
    console.error(`bench: no benchmark matches ${process.argv.slice(2).join(' ')}`);
    process.exit(1);
  }

  const ctx = {
    report,
    cleanup,
    postgres: memo(() => lib.startPostgres(cleanup)),
    referee: memo(async () => lib.startReferee(cleanup, { databaseUrl: (await ctx.postgres()).url })),
    startServer: (options) => lib.startServer(cleanup, options),
  };

  const cpus = os.cpus();
  console.log(
    `Referee benchmarks: Node ${process.version}, ${os.availableParallelism()} CPU cores (${cpus[0]?.model.trim() ?? 'unknown'}), ` +
      `load average ${os.loadavg()[0].toFixed(2)}; ${lib.DURATION} s per figure in ${lib.ROUNDS} alternating slices ` +
      `after ${lib.WARMUP} s warm-up; 127.0.0.1 only`,
  );
  const started = Date.now();
  let errors = 0;
  for (const bench of benchmarks) {
    if (finished) return;
    try {
      await bench.run(ctx);
    } catch (error) {
      errors++;
      console.error(`bench ${bench.name}: ERROR ${error && error.stack ? error.stack : error}`);
      for (const name of bench.figures ?? [bench.name]) report.failed(name, error);
    }
  }
  if (finished) return;
  finished = true;

  console.log(`\nSummary (${((Date.now() - started) / 1000).toFixed(0)} s, load average now ${os.loadavg()[0].toFixed(2)}):`);
  console.log(report.table());
  const missed = report.rows.filter((row) => row.pass === false && !row.error).length;
  if (missed) console.log(`${missed} target${missed === 1 ? '' : 's'} missed (reported; not an error).`);

  await cleanup.runAll();
  clearTimeout(watchdog);
  process.exit(errors ? 1 : 0);
}

main().catch(async (error) => {
  console.error(`bench: ${error && error.stack ? error.stack : error}`);
  await cleanup.runAll();
  process.exit(1);
});
