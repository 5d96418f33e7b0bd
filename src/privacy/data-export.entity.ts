import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';

/** Where a "Download my data" request is: being built, ready to download once, used, or failed. */
export type ExportStatus = 'building' | 'ready' | 'used' | 'expired' | 'failed';

/**
 * A person's request for their data: a ZIP built in the background, kept encrypted in the
 * document store (like document images: a random key of its own, wrapped by the PII key ring),
 * downloadable once, for 24 hours.
 */
@Entity({ tableName: 'data_export' })
export class DataExport {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  @Index()
  account!: Account;

  @Property({ type: 'text' })
  status: Opt<ExportStatus> = 'building';

  /** Percent done, for the progress bar. */
  @Property({ type: 'integer' })
  progress: Opt<number> = 0;

  @Property({ type: 'datetime' })
  requestedAt: Opt<Date> = new Date();

  /** Written while an instance builds it: a build whose instance stopped is taken up again by the job. */
  @Property({ type: 'datetime' })
  heartbeatAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  readyAt?: Date | null;

  /** The download link works until then (24 hours after it is ready); then the job deletes the file. */
  @Property({ type: 'datetime', nullable: true })
  @Index()
  expiresAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date | null;

  @Property({ type: 'text', nullable: true, unique: true })
  storageKey?: string | null;

  @Property({ type: 'text', nullable: true, hidden: true })
  wrappedKey?: string | null;

  @Property({ type: 'integer', nullable: true })
  bytes?: number | null;
}
