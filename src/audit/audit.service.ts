import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import type { WebRequest } from '../web/request';
import { AuditEvent } from './audit-event.entity';

/** Advisory-lock key: rows are chained one at a time, whatever the number of instances. */
export const AUDIT_CHAIN_LOCK = 7_310_100;
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  action: string;
  actorId?: string;
  caseId?: string;
  subject?: string;
  ip?: string;
  details?: Record<string, unknown>;
}

/** Who acted and from where, as the audit log records it (from a request). */
export function actorOf(req: WebRequest): Pick<AuditEntry, 'actorId' | 'ip'> {
  return { actorId: (req.viewer ?? req.pendingSignIn)?.accountId, ip: req.ip };
}

/**
 * JSON with each object's keys in the order PostgreSQL's jsonb keeps them (shorter first,
 * then bytewise), so details hash the same when written and when read back. For details
 * already in that order it is JSON.stringify's output: rows hashed before still verify.
 */
export function jsonbText(value: unknown): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') return jsonbText((value as { toJSON(): unknown }).toJSON());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : jsonbText(v))).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonbText(v)}`).join(',')}}`;
}

/** The row's hash: SHA-256 over the previous hash and every field, in a fixed order. */
export function chainHash(prevHash: string, e: { at: Date; actorId?: string | null; action: string; caseId?: string | null; subject?: string | null; ip?: string | null; details?: unknown }): string {
  const fields = [prevHash, e.at.toISOString(), e.actorId ?? '', e.action, e.caseId ?? '', e.subject ?? '', e.ip ?? '', jsonbText(e.details ?? null)];
  return createHash('sha256').update(fields.join('\u001f')).digest('hex');
}

@Injectable()
export class AuditService {
  constructor(private readonly em: EntityManager) {}

  /** Appends an event (in its own transaction, so it stands even if the caller's work fails later). */
  async record(entry: AuditEntry): Promise<void> {
    await this.em.fork().transactional((em) => this.recordIn(em, entry));
  }

  /**
   * Appends an event in the caller's transaction: it commits with the change it records, or
   * not at all (a crash between the two never leaves a change without its event). Holds the
   * chain lock until that commit, so call it last.
   */
  async recordIn(em: EntityManager, entry: AuditEntry): Promise<void> {
    await em.execute('select pg_advisory_xact_lock(?)', [AUDIT_CHAIN_LOCK]);
    const [last] = await em.find(AuditEvent, {}, { orderBy: { id: 'desc' }, fields: ['hash'], limit: 1 });
    const prevHash = last?.hash ?? GENESIS_HASH;
    const at = new Date();
    em.create(AuditEvent, { ...entry, at, prevHash, hash: chainHash(prevHash, { ...entry, at }) });
  }

  /** Walks the chain from the first row; returns the id of the first broken link, or null. */
  async verifyChain(): Promise<{ checked: number; brokenAt: string | null; reason?: string }> {
    const em = this.em.fork();
    let prevHash = GENESIS_HASH;
    let checked = 0;
    let after = '0';
    for (;;) {
      const rows = await em.find(AuditEvent, { id: { $gt: after } }, { orderBy: { id: 'asc' }, limit: 1000 });
      if (rows.length === 0) return { checked, brokenAt: null };
      for (const row of rows) {
        if (row.prevHash !== prevHash) return { checked, brokenAt: row.id, reason: 'its link to the row before does not match' };
        if (chainHash(prevHash, row) !== row.hash) return { checked, brokenAt: row.id, reason: 'its content does not match its hash' };
        prevHash = row.hash;
        checked++;
        after = row.id;
      }
      em.clear();
    }
  }

  /** Events for a supervisor: by case, by actor, newest first. */
  search(filter: { caseId?: string; actorId?: string; limit?: number }): Promise<AuditEvent[]> {
    return this.em.find(
      AuditEvent,
      { ...(filter.caseId ? { caseId: filter.caseId } : {}), ...(filter.actorId ? { actorId: filter.actorId } : {}) },
      { orderBy: { id: 'desc' }, limit: filter.limit ?? 100 },
    );
  }
}
