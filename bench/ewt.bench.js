'use strict';
/**
 * ewt.accuracy: a seeded simulation of a working day of the video-call queue (arrivals that
 * rise and fall, log-normal handle times, agents coming on and going off duty), scoring the
 * estimate the queue page shows (src/scheduling/estimate.ts, the queue-length estimator
 * (n + 1)·h / s) against the wait each simulated applicant really had, beside the naive
 * position × average handle time. Both see the same data a real server would: the queue,
 * the agents on duty and free, and the handle times of calls finished so far.
 *
 * Reported: the mean absolute error of each (minutes) and ours relative to the mean wait
 * (target: better than the naive one, and within 30 % on average).
 */
const { requireDist } = require('./lib');

const SEED = Number(process.env.BENCH_SEED) || 20261126;
const DAYS = 5;
const DAY = 9 * 3600;
/** Agents on duty by hour of the day. */
const AGENTS_BY_HOUR = [3, 4, 5, 6, 5, 4, 5, 5, 4];
/** Arrivals per hour by hour of the day (above capacity in the morning peak, so real queues form). */
const ARRIVALS_BY_HOUR = [14, 18, 22, 24, 21, 17, 20, 18, 13];
const MEAN_HANDLE = 15 * 60;
const HANDLE_SIGMA = 0.45;
const RECENT = 50;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function simulateDay(random, estimate) {
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const handleTime = () => MEAN_HANDLE * Math.exp(HANDLE_SIGMA * normal() - (HANDLE_SIGMA * HANDLE_SIGMA) / 2);
  // Arrivals: a Poisson process whose rate changes by the hour.
  const arrivals = [];
  for (let t = 0; ; ) {
    const rate = ARRIVALS_BY_HOUR[Math.min(ARRIVALS_BY_HOUR.length - 1, Math.floor(t / 3600))] / 3600;
    t += -Math.log(1 - random()) / rate;
    if (t >= DAY - 1800) break; // the queue closes half an hour before the end of the day
    arrivals.push(t);
  }
  const onDuty = (t) => AGENTS_BY_HOUR[Math.min(AGENTS_BY_HOUR.length - 1, Math.floor(t / 3600))];
  const agents = Array.from({ length: Math.max(...AGENTS_BY_HOUR) }, (_, i) => ({ i, freeAt: 0 }));
  const queue = []; // { arrival, estimate, naive }
  const finished = []; // { at, handle }
  const results = [];
  let next = 0;

  // Serves whoever can be served up to time `until`: agents on duty take the head of the queue when free.
  const serveUntil = (until) => {
    for (;;) {
      if (!queue.length) return;
      const candidates = agents
        .map((a) => ({ a, at: Math.max(a.freeAt, queue[0].arrival) }))
        .filter(({ a, at }) => a.i < onDuty(at))
        .sort((x, y) => x.at - y.at);
      const first = candidates[0];
      if (!first || first.at > until) return;
      const applicant = queue.shift();
      const handle = handleTime();
      first.a.freeAt = first.at + handle;
      finished.push({ at: first.a.freeAt, handle });
      results.push({ ...applicant, wait: first.at - applicant.arrival });
    }
  };

  for (const arrival of arrivals) {
    serveUntil(arrival);
    const s = onDuty(arrival);
    const free = agents.filter((a) => a.i < s && a.freeAt <= arrival).length;
    const handleTimes = finished.filter((f) => f.at <= arrival).slice(-RECENT).map((f) => f.handle);
    const ahead = queue.length;
    const shown = estimate.estimateWait({ ahead, agentsOnDuty: s, agentsAvailable: free, handleTimes, fallbackHandleSeconds: 20 * 60 });
    const h = estimate.meanHandleSeconds(handleTimes, 20 * 60);
    queue.push({ arrival, estimate: shown.kind === 'unknown' ? undefined : shown.expectedSeconds, naive: (ahead + 1) * h, range: shown });
    next++;
  }
  serveUntil(Infinity);
  return results;
}

module.exports = {
  name: 'ewt.accuracy',
  figures: ['ewt.accuracy', 'ewt.naive', 'ewt.relative'],
  order: 5,

  async run(ctx) {
    const estimate = requireDist('src/scheduling/estimate.js');
    const random = mulberry32(SEED);
    const all = [];
    for (let d = 0; d < DAYS; d++) all.push(...simulateDay(random, estimate));
    const scored = all.filter((r) => r.estimate !== undefined);
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ours = mean(scored.map((r) => Math.abs(r.estimate - r.wait))) / 60;
    const naive = mean(scored.map((r) => Math.abs(r.naive - r.wait))) / 60;
    const meanWait = mean(scored.map((r) => r.wait)) / 60;
    const inRange = mean(scored.map((r) => (r.range.kind === 'soon' ? r.wait < 300 : r.wait / 60 >= r.range.lowMinutes && r.wait / 60 <= r.range.highMinutes) ? 1 : 0));

    ctx.report.add({ name: 'ewt.accuracy', value: ours, unit: 'min MAE', baseline: { name: 'ewt.naive', value: naive }, target: { of: 'ratio', max: 1 } });
    ctx.report.add({ name: 'ewt.naive', value: naive, unit: 'min MAE' });
    ctx.report.add({ name: 'ewt.relative', value: ours / meanWait, unit: 'of mean wait', target: { of: 'value', max: 0.3 } });
    console.log(
      `  (seed ${SEED}, ${DAYS} days, ${all.length} applicants, mean wait ${meanWait.toFixed(1)} min; ` +
        `the range shown held the real wait for ${(inRange * 100).toFixed(0)} %)`,
    );
  },
};
