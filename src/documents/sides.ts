import { findDocument, type CatalogDocument } from '../verification/catalog';
import { documentIn, neededSupporting, secondProvesAddress } from '../verification/flow';
import type { VerificationCase } from '../verification/verification-case.entity';

export interface Side {
  key: string;
  /** Its name for people: a catalog key (documents.sides.*), in the reader's language. */
  text: string;
  required: boolean;
}

/** Documents that are a booklet or a sheet rather than a card. */
const PHOTO_PAGE = new Set(['foreign_passport']);
const SINGLE_PAGE = new Set(['certificate_of_naturalization']);

const SIDE_NAMES = {
  photoPage: 'documents.sides.photoPage',
  certificate: 'documents.sides.certificate',
  front: 'documents.sides.front',
  back: 'documents.sides.back',
  page1: 'documents.sides.page1',
  page2: 'documents.sides.page2',
  page3: 'documents.sides.page3',
} as const;
const side = (key: string, name: keyof typeof SIDE_NAMES, required = true): Side => ({ key, text: SIDE_NAMES[name], required });

/** The sides a document needs: front and back of a card, the photo page of a passport, every page (up to 3) of a paper document. */
export function sidesOf(doc: CatalogDocument): Side[] {
  if (PHOTO_PAGE.has(doc.key)) return [side('photo_page', 'photoPage')];
  if (SINGLE_PAGE.has(doc.key)) return [side('page1', 'certificate')];
  if (doc.kind === 'primary') return [side('front', 'front'), side('back', 'back')];
  return [side('page1', 'page1'), side('page2', 'page2', false), side('page3', 'page3', false)];
}

export interface Item {
  /** 'first', 'second' or 'supporting:<key>'. */
  key: string;
  doc: CatalogDocument;
  sides: Side[];
  /** PDF accepted (paper documents). */
  allowPdf: boolean;
  /** Also the proof of a non-U.S. address (the reviewer compares the address on it). */
  provesAddress?: boolean;
}

/** What this case must send: the chosen documents, then the supporting documents that apply. */
export function itemsOf(c: VerificationCase): Item[] {
  const items: Item[] = [];
  for (const slot of ['first', 'second'] as const) {
    const doc = findDocument(documentIn(c, slot)?.type);
    if (doc) items.push({ key: slot, doc, sides: sidesOf(doc), allowPdf: doc.kind !== 'primary', ...(slot === 'second' && secondProvesAddress(c) ? { provesAddress: true } : {}) });
  }
  for (const doc of neededSupporting(c)) items.push({ key: `supporting:${doc.key}`, doc, sides: sidesOf(doc), allowPdf: true });
  return items;
}
