import { Entity, Index, PrimaryKey, Property, Trigger } from '@mikro-orm/decorators/legacy';

const REFUSE = `raise exception 'audit_event is append-only: % refused', tg_op using errcode = 'insufficient_privilege';`;
/**
 * A DELETE passes only with the transaction-local flag that the database function audit_cut
 * sets around its own delete (the retention job's cut of the oldest events: see
 * AuditRetentionService); every other UPDATE or DELETE is refused.
 */
const ALLOW_CUT = `if tg_op = 'DELETE' and current_setting('referee.audit_cut', true) = 'on' then return old; end if; ${REFUSE}`;

/**
 * One security or personal-data-access event. Append-only (a trigger refuses UPDATE and
 * DELETE, but for the retention cut of the oldest events) and chained: each row carries the hash of the one before, so `npm run
 * audit:verify` finds the first row that was changed. Never holds the personal data itself.
 */
@Entity({ tableName: 'audit_event' })
@Index({ properties: ['caseId', 'id'] })
@Index({ properties: ['actorId', 'id'] })
// "Who saw my data": the views of a person's support requests name the request.
@Index({ properties: ['subject', 'id'] })
@Trigger({ name: 'append_only', timing: 'before', events: ['update', 'delete'], forEach: 'row', body: ALLOW_CUT })
// TRUNCATE is refused too, by a statement trigger in the migration (MikroORM does not introspect those).
export class AuditEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'datetime' })
  at!: Date;

  /** The account that acted (applicant or staff); none for the system's own jobs. */
  @Property({ type: 'uuid', nullable: true })
  actorId?: string;

  /** What happened, e.g. "sign_in.completed", "mfa.method_removed", "document.viewed". */
  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'uuid', nullable: true })
  caseId?: string;

  /** What it was done to, e.g. the account, document or method id. */
  @Property({ type: 'text', nullable: true })
  subject?: string;

  @Property({ type: 'text', nullable: true })
  ip?: string;

  /** Non-personal detail: kinds, outcomes, reason codes. */
  @Property({ type: 'json', nullable: true })
  details?: Record<string, unknown>;

  @Property({ type: 'text' })
  prevHash!: string;

  @Property({ type: 'text' })
  hash!: string;
}
