import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Where the retention job cut the audit chain (AuditRetentionService): the last event it
 * deleted, that event's hash (the next event's prev_hash), how many it deleted and when.
 * Signed with an HMAC under a server key, so that `npm run audit:verify` starts from the
 * newest checkpoint only when it is one the server wrote. Holds no personal data.
 */
@Entity({ tableName: 'audit_checkpoint' })
export class AuditCheckpoint {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'bigint' })
  lastEventId!: string;

  @Property({ type: 'text' })
  lastHash!: string;

  @Property({ type: 'integer' })
  removed!: number;

  @Property({ type: 'datetime' })
  cutAt!: Date;

  /** HMAC-SHA-256 (hex) over the other fields (checkpointSignature). */
  @Property({ type: 'text' })
  signature!: string;
}
