'use strict';
/**
 * page.landing: requests per second of GET / (the landing page, a first visit: no cookie),
 * against nest.hello, a bare NestJS app answering 'hello', with the same connections
 * and duration. Both servers run in their own child process; autocannon runs here.
 * Measured in alternating slices (lib.interleave), so background load hits both alike.
 */
const { formatSeconds, interleave, measureGet, withCpu } = require('./lib');

const CONNECTIONS = 50;

module.exports = {
  name: 'page.landing',
  figures: ['page.landing', 'nest.hello'],

  async run(ctx) {
    const hello = await ctx.startServer({ name: 'nest.hello', script: 'nest-hello.js' });
    const answer = await fetch(`${hello.url}/`);
    if ((await answer.text()) !== 'hello') throw new Error('nest.hello did not answer hello');

    const referee = await ctx.referee();
    const page = await fetch(`${referee.url}/`);
    const html = await page.text();
    if (page.status !== 200 || !html.includes('Prove who you are')) {
      throw new Error(`GET / answered ${page.status} without the landing page`);
    }

    // Alternating slices; only one of the two servers is busy at any time.
    const perSecond = await interleave({
      baseline: (seconds) => withCpu(hello.cpuSeconds, () => measureGet(`${hello.url}/`, { connections: CONNECTIONS, duration: seconds })),
      subject: (seconds) => withCpu(referee.cpuSeconds, () => measureGet(`${referee.url}/`, { connections: CONNECTIONS, duration: seconds })),
    });
    await hello.stop();

    ctx.report.add({
      name: 'page.landing',
      value: perSecond.subject,
      unit: 'req/s',
      baseline: { name: 'nest.hello', value: perSecond.baseline },
      target: { of: 'ratio', min: 0.5 },
    });
    ctx.report.add({ name: 'nest.hello', value: perSecond.baseline, unit: 'req/s' });
    console.log(
      `  (server CPU per request: ${formatSeconds(perSecond.cpuPer.subject)} Referee, ${formatSeconds(perSecond.cpuPer.baseline)} nest.hello; ${CONNECTIONS} connections)`,
    );
  },
};
