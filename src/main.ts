import { createApp } from './app';
import { ConfigError, loadConfig } from './config/config';
import { resolveDatabase } from './database/database-url';
import { migrateToLatest } from './database/migrate';

/** `npm start`: configuration, database (embedded unless DATABASE_URL), migrations, then HTTP. */
async function main() {
  const started = Date.now();
  const config = loadConfig();
  const { url, embedded } = await resolveDatabase(config).catch((error: Error) => {
    throw new Error(`Could not start the embedded PostgreSQL: ${error.message}`);
  });
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Referee: ${signal} received, shutting down.`);
    if (app) {
      // Stop taking requests and let those in flight finish (10 s at most) before the
      // database pool closes: nobody gets a 500 for a request made before the signal.
      const server = app.getHttpServer();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections?.();
      });
      await app.close().catch(() => undefined);
    }
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));

  try {
    const applied = await migrateToLatest(url);
    if (applied.length) console.log(`Referee: applied database migrations ${applied.join(', ')}`);
  } catch (error) {
    await embedded?.stop();
    throw new Error(`Could not prepare the database (${redactUrl(url)}): ${(error as Error).message}`);
  }
  app = await createApp({ ...config, databaseUrl: url });
  await app.listen(config.port);
  console.log(`Referee is running on ${config.baseUrl} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (config.env !== 'production') console.log(`Emails that would be sent appear at ${config.baseUrl}/dev/outbox`);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : `Referee could not start: ${(error as Error).message}`);
  process.exit(1);
});
