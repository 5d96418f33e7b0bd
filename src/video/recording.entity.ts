import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { VideoCall } from './video-call.entity';

export const RECORDING_SOURCES = ['jibri', 'jaas'] as const;
export type RecordingSource = (typeof RECORDING_SOURCES)[number];

/**
 * A call's recording as it arrived (from Jibri's finalize script or JaaS): stored encrypted in
 * chunks (recording-cipher.ts) under a key of its own, wrapped by PII_KEYS. Deleted after
 * RECORDING_RETENTION_DAYS: the file goes, the row stays (with its key erased) so the call
 * shows "deleted on <date>".
 */
@Entity({ tableName: 'recording' })
@Unique({ properties: ['call', 'sha256'] })
@Index({ properties: ['deletedAt', 'receivedAt'] })
export class Recording {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => VideoCall, { deleteRule: 'cascade' })
  call!: VideoCall;

  /** The stored object's name (random: says nothing of the call). */
  @Property({ type: 'text', unique: true })
  storageKey!: string;

  /** The file's own AES key, wrapped by PiiCipher (context recording:<id>); erased when the file is deleted. */
  @Property({ type: 'text', nullable: true, hidden: true })
  wrappedKey?: string;

  /** Of the plaintext file, as it arrived. */
  @Property({ type: 'text' })
  sha256!: string;

  @Property({ type: 'bigint' })
  bytes!: number;

  @Property({ type: 'text' })
  mime!: string;

  /** From the container (unknown when it does not say). */
  @Property({ type: 'double', nullable: true })
  durationSeconds?: number;

  @Enum({ items: [...RECORDING_SOURCES] })
  source!: RecordingSource;

  @Property({ type: 'datetime' })
  receivedAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  deletedAt?: Date;
}

/**
 * A recording JaaS announced (RECORDING_UPLOADED) and Referee downloads itself, by the
 * `recording-downloads` job, with retries. The pre-authenticated link is a secret: encrypted.
 */
@Entity({ tableName: 'recording_download' })
export class RecordingDownload {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** JaaS's idempotency key: the same event delivered twice is one download. */
  @Property({ type: 'text', unique: true })
  eventKey!: string;

  @ManyToOne(() => VideoCall, { deleteRule: 'cascade' })
  call!: VideoCall;

  /** The download link, PiiCipher ciphertext (context recording_download:<id>:link). */
  @Property({ type: 'text', hidden: true })
  linkCipher!: string;

  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'datetime' })
  nextAttemptAt: Opt<Date> = new Date();

  /** Why the last attempt failed (short, no personal data). */
  @Property({ type: 'text', nullable: true })
  lastError?: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  /** Set when the file is stored, or when it was given up (attempts exhausted, or refused by the checks). */
  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date;

  @Property({ type: 'text', nullable: true })
  outcome?: string;
}
