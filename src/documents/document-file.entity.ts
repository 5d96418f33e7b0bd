import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { VerificationCase } from '../verification/verification-case.entity';

/**
 * One stored image of one side of one document: a photo, or the pages of a PDF rendered into
 * one image. The bytes live encrypted in the document store (AES-256-GCM with a random
 * per-file key); `wrappedKey` is that key wrapped by the PII key ring (PiiCipher), bound to
 * this row's id.
 */
@Entity({ tableName: 'document_file' })
@Index({ properties: ['verificationCase', 'item', 'side'] })
export class DocumentFile {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade' })
  verificationCase!: VerificationCase;

  /** Which document: 'first', 'second', or 'supporting:<catalog key>'. */
  @Property({ type: 'text' })
  item!: string;

  /** Catalog key of the document. */
  @Property({ type: 'text' })
  documentType!: string;

  /** 'front', 'back', 'photo_page', 'page1'… */
  @Property({ type: 'text' })
  side!: string;

  @Property({ type: 'text', unique: true })
  storageKey!: string;

  @Property({ type: 'text', hidden: true })
  wrappedKey!: string;

  /** SHA-256 (hex) of the stored, normalised plaintext. */
  @Property({ type: 'text' })
  sha256!: string;

  @Property({ type: 'text' })
  mime!: string;

  @Property({ type: 'integer' })
  bytes!: number;

  @Property({ type: 'integer', nullable: true })
  width?: number;

  @Property({ type: 'integer', nullable: true })
  height?: number;

  /** Quality hints shown to the applicant: 'small', 'dark', 'blurry'. */
  @Property({ type: 'json' })
  hints: Opt<string[]> = [];

  /**
   * Failed a quality check (a hint): kept, shown with its problem, but not counted as sent
   * until the applicant selects "Use this photo anyway".
   */
  @Property({ type: 'boolean', default: false })
  held: Opt<boolean> = false;

  /** 'upload' (Choose Image) or 'phone' (Take Photo). */
  @Property({ type: 'text' })
  via: Opt<string> = 'upload';

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
