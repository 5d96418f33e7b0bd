import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { SupportRequest } from './support-request.entity';

export type MessageAuthor = 'requester' | 'staff';

/** One message of a support request: from the person who asked, or an answer from staff. */
@Entity({ tableName: 'support_message' })
@Index({ properties: ['request', 'createdAt'] })
export class SupportMessage {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => SupportRequest, { deleteRule: 'cascade' })
  request!: SupportRequest;

  @Enum({ items: ['requester', 'staff'] })
  author!: MessageAuthor;

  /** The staff member who wrote an answer (kept if their account goes: the audit log names them too). */
  @Property({ type: 'uuid', nullable: true })
  staffId?: string;

  /** The text, as PiiCipher ciphertext bound to this message's id. */
  @Property({ type: 'text' })
  bodyCipher!: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
