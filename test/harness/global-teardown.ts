import type { EmbeddedPostgres } from '../../src/database/embedded-postgres';

export default async function globalTeardown() {
  await (globalThis as { __refereePostgres?: EmbeddedPostgres }).__refereePostgres?.stop();
}
