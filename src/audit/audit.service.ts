import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { appendToChain, type AppendArgs } from './chain.queries';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { sameSecret } from '../crypto/tokens';
import { CONFIG, type Config } from '../config/config';
import { AuditCheckpoint } from './audit-checkpoint.entity';
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

/**
 * The key that signs audit checkpoints, derived from PII_FINGERPRINT_KEY: a secret every
 * instance and `npm run audit:verify` already share and that is never rotated (rotating a key
 * here would make every older checkpoint read as forged). SESSION_SECRET may be rotated at
 * any time (it only signs people out), so it is not used; a separate setting would be one
 * more secret an operator must keep forever for the same guarantee.
 */
export function checkpointKey(config: Pick<Config, 'piiFingerprintKey'>): Buffer {
  return Buffer.from(hkdfSync('sha256', config.piiFingerprintKey, Buffer.alloc(0), 'referee audit checkpoint v1', 32));
}

type CheckpointFields = Pick<AuditCheckpoint, 'lastEventId' | 'lastHash' | 'removed' | 'cutAt'>;

/** HMAC-SHA-256 (hex) over every field of a checkpoint, so that changing any one of them shows. */
export function checkpointSignature(key: Buffer, c: CheckpointFields): string {
  return createHmac('sha256', key).update([c.lastEventId, c.lastHash, String(c.removed), c.cutAt.toISOString()].join('\u001f')).digest('hex');
}

function signatureMatches(key: Buffer, c: AuditCheckpoint): boolean {
  return sameSecret(checkpointSignature(key, c), c.signature);
}

export interface ChainCheck {
  checked: number;
  brokenAt: string | null;
  reason?: string;
  /** The newest retention checkpoint the walk started from, when the chain was cut. */
  from?: { lastEventId: string; removed: number; cutAt: Date };
}

@Injectable()
export class AuditService {
  constructor(
    private readonly em: EntityManager,
    @Inject(CONFIG) private readonly config: Pick<Config, 'piiFingerprintKey'>,
  ) {}

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

  /**
   * Walks the chain from its start: the first event, or, once the retention job has cut the
   * oldest ones, the newest checkpoint (whose signature must hold: a forged or edited one
   * is a broken chain). Returns the id of the first broken link, or null.
   */
  async verifyChain(): Promise<ChainCheck> {
    const em = this.em.fork();
    let prevHash = GENESIS_HASH;
    let checked = 0;
    let after = '0';
    let from: ChainCheck['from'];
    const [checkpoint] = await em.find(AuditCheckpoint, {}, { orderBy: { id: 'desc' }, limit: 1 });
    if (checkpoint) {
      if (!signatureMatches(checkpointKey(this.config), checkpoint)) {
        return { checked, brokenAt: `checkpoint ${checkpoint.id}`, reason: 'its signature does not match (not written by this server, or changed since)' };
      }
      prevHash = checkpoint.lastHash;
      after = checkpoint.lastEventId;
      from = { lastEventId: checkpoint.lastEventId, removed: checkpoint.removed, cutAt: checkpoint.cutAt };
      // The cut removes a prefix of the chain: an event the checkpoint says was removed is not there.
      const left = await em.findOne(AuditEvent, { id: { $lte: after } }, { fields: ['id'] });
      if (left) return { checked, brokenAt: left.id, reason: 'it is older than the retention checkpoint that says it was deleted', from };
    }
    for (;;) {
      const rows = await em.find(AuditEvent, { id: { $gt: after } }, { orderBy: { id: 'asc' }, limit: 1000 });
      if (rows.length === 0) return { checked, brokenAt: null, from };
      for (const row of rows) {
        if (row.prevHash !== prevHash) return { checked, brokenAt: row.id, reason: 'its link to the row before does not match', from };
        if (chainHash(prevHash, row) !== row.hash) return { checked, brokenAt: row.id, reason: 'its content does not match its hash', from };
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
