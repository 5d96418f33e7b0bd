'use strict';
/**
 * The child-process side of bench/lib.js#startServer: builds an app, listens on
 * 127.0.0.1:$PORT, tells the parent its port, and exits when asked to, or when the
 * parent goes away (so no server outlives a benchmark run).
 */
async function serve(name, build) {
  let app;
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), 5000);
    force.unref();
    try {
      await app?.close();
    } catch {
      // exiting anyway
    }
    process.exit(code); // a normal exit, so --cpu-prof writes its profile
  };
  process.on('message', (message) => {
    if (message && message.stop) void stop(0);
    // CPU time of this whole process (event loop and worker threads), for µs-per-request figures
    if (message && message.cpu) process.send({ cpu: message.cpu, usage: process.cpuUsage() });
  });
  process.on('disconnect', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));

  try {
    app = await build();
    await app.listen(Number(process.env.PORT), process.env.BENCH_HOST || '127.0.0.1');
    const { port } = app.getHttpServer().address();
    process.send({ ready: true, port });
  } catch (error) {
    process.send?.({ error: `${name}: ${error && error.stack ? error.stack : error}` });
    await stop(1);
  }
}

module.exports = { serve };
