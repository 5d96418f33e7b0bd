import type { AdapterPayload } from 'oidc-provider';
import { Client } from 'pg';

/** The channel the organization table's trigger notifies on every change (see its migration). */
const ORGANIZATION_CHANGED = 'organization_changed';

/**
 * Organizations' client metadata, kept in memory only while this instance hears of every
 * change to the organization table: a statement trigger NOTIFYs `organization_changed` on any
 * insert, update, delete or truncate, whoever makes it (admin page, `npm run org`, plain SQL),
 * and each instance empties its cache when told. Until its listening connection is open, and
 * whenever it is lost, nothing is cached: every read goes to the database, as before.
 * The provider reads a client on every request (three times a flow); organizations change rarely.
 */
export class ClientCache {
  private readonly entries = new Map<string, AdapterPayload>();
  /** Bumped on every change heard: a read that began before it is not cached. */
  private generation = 0;
  private listener?: Client;
  private listening = false;
  private starting = false;
  private closed = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string | undefined,
    private readonly warn: (error: unknown, message: string) => void,
  ) {}

  async get(clientId: string, load: (clientId: string) => Promise<AdapterPayload | undefined>): Promise<AdapterPayload | undefined> {
    if (!this.listening) {
      this.start();
      return load(clientId);
    }
    const hit = this.entries.get(clientId);
    if (hit) return structuredClone(hit);
    const generation = this.generation;
    const loaded = await load(clientId);
    // Only organizations that exist (a flood of unknown ids must not grow the map), and only when no change came meanwhile.
    if (loaded && this.listening && generation === this.generation) this.entries.set(clientId, structuredClone(loaded));
    return loaded;
  }

  private forget(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Opens the listening connection (once; again after losing it, a few seconds later). */
  private start(): void {
    // One attempt at a time, and none while a retry waits (reads go to the database meanwhile).
    if (this.starting || this.retry || this.closed || this.listening || !this.databaseUrl) return;
    this.starting = true;
    const listener = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 3000 });
    const lost = (error?: unknown) => {
      if (this.listener !== listener) return;
      this.listener = undefined;
      this.listening = false;
      this.forget();
      listener.end().catch(() => undefined);
      if (this.closed) return;
      if (error) this.warn(error, 'organization cache: lost its database connection; reading organizations from the database until it is back');
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.start();
      }, 5000);
      this.retry.unref();
    };
    this.listener = listener;
    listener.on('notification', (message) => {
      if (message.channel === ORGANIZATION_CHANGED) this.forget();
    });
    listener.on('error', lost);
    listener.on('end', () => lost());
    listener
      .connect()
      .then(() => listener.query(`listen ${ORGANIZATION_CHANGED}`))
      .then(() => {
        if (this.listener !== listener) return;
        this.forget(); // whatever changed before we listened
        this.listening = true;
      })
      .catch(lost)
      .finally(() => {
        this.starting = false;
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    this.forget();
    await listener?.end().catch(() => undefined);
  }
}
