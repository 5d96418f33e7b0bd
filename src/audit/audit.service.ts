import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { appendToChain, type AppendArgs } from './chain.queries';
import { createHash } from 'node:crypto';
import type { WebRequest } from '../web/request';
import { LOCKS } from '../jobs/jobs';
import { AuditEvent } from './audit-event.entity';

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

type HashedFields = { at: Date; actorId?: string | null; action: string; caseId?: string | null; subject?: string | null; ip?: string | null; details?: unknown };

/** Every hashed field but the previous hash, joined as the hash joins them. */
function hashedRest(e: HashedFields): string {
  return [e.at.toISOString(), e.actorId ?? '', e.action, e.caseId ?? '', e.subject ?? '', e.ip ?? '', JSON.stringify(e.details ?? null)].join('\u001f');
}

/** The row's hash: SHA-256 over the previous hash and every field, in a fixed order. */
export function chainHash(prevHash: string, e: HashedFields): string {
  return createHash('sha256').update(`${prevHash}\u001f${hashedRest(e)}`).digest('hex');
}

/**
 * Details as PostgreSQL's jsonb gives them back (keys shorter first, then bytewise; no
 * undefined), so the JSON hashed when a row is written is the JSON verifyChain reads.
 */
function asStoredJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : asStoredJson(v)));
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  keys.sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(keys.map((k) => [k, asStoredJson((value as Record<string, unknown>)[k])]));
}

/**
 * audit_append's arguments: the lock, the genesis hash, the row, and the hashed text of all but
 * the previous hash. `at` is now, except for history appended later (a migration's old events).
 */
export function appendParams(entry: AuditEntry, at = new Date()): AppendArgs {
  const details = entry.details === undefined ? undefined : (asStoredJson(entry.details) as Record<string, unknown>);
  return [
    LOCKS.auditChain, // rows are chained one at a time, whatever the number of instances
    GENESIS_HASH,
    at.toISOString(),
    entry.actorId ?? null,
    entry.action,
    entry.caseId ?? null,
    entry.subject ?? null,
    entry.ip ?? null,
    details === undefined ? null : JSON.stringify(details),
    hashedRest({ ...entry, details, at }),
  ];
}

@Injectable()
export class AuditService {
  constructor(private readonly em: EntityManager) {}

  /**
   * Appends an event in its own transaction (so it stands even if the caller's work fails
   * later) and in one round trip: the database function audit_append (see its migration)
   * locks the chain, reads the last hash and inserts the row chained to it.
   */
  async record(entry: AuditEntry): Promise<void> {
    await appendToChain(this.em.fork(), appendParams(entry)); // a fork: outside the caller's transaction
  }

  /**
   * Appends an event in the caller's transaction: it commits with the change it records, or
   * not at all (a crash between the two never leaves a change without its event). The
   * function holds the chain lock until that commit, so call it last.
   */
  async recordIn(em: EntityManager, entry: AuditEntry): Promise<void> {
    await appendToChain(em, appendParams(entry));
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
