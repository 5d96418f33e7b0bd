import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { MfaMethod } from './mfa-method.entity';

/** One of the ten single-use backup codes of a backup_codes method; stored as an HMAC. */
@Entity({ tableName: 'backup_code' })
export class BackupCode {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => MfaMethod, { deleteRule: 'cascade' })
  @Index()
  method!: MfaMethod;

  @Property({ type: 'text' })
  codeHash!: string;

  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date;
}
