import { findDocument, type CatalogDocument } from '../verification/catalog';
import { documentIn, neededSupporting } from '../verification/flow';
import type { VerificationCase } from '../verification/verification-case.entity';

export interface Side {
  key: string;
  label: string;
  required: boolean;
}

/** Documents that are a booklet or a sheet rather than a card. */
const PHOTO_PAGE = new Set(['foreign_passport']);
const SINGLE_PAGE = new Set(['certificate_of_naturalization']);

/** The sides a document needs: front and back of a card, the photo page of a passport, every page (up to 3) of a paper document. */
export function sidesOf(doc: CatalogDocument): Side[] {
  if (PHOTO_PAGE.has(doc.key)) return [{ key: 'photo_page', label: 'Photo page', required: true }];
  if (SINGLE_PAGE.has(doc.key)) return [{ key: 'page1', label: 'The certificate', required: true }];
  if (doc.kind === 'primary') {
    return [
      { key: 'front', label: 'Front', required: true },
      { key: 'back', label: 'Back', required: true },
    ];
  }
  return [
    { key: 'page1', label: 'Page 1', required: true },
    { key: 'page2', label: 'Page 2 (if it has one)', required: false },
    { key: 'page3', label: 'Page 3 (if it has one)', required: false },
  ];
}

export interface Item {
  /** 'first', 'second' or 'supporting:<key>'. */
  key: string;
  doc: CatalogDocument;
  sides: Side[];
  /** PDF accepted (paper documents). */
  allowPdf: boolean;
}

/** What this case must send: the chosen documents, then the supporting documents that apply. */
export function itemsOf(c: VerificationCase): Item[] {
  const items: Item[] = [];
  for (const slot of ['first', 'second'] as const) {
    const doc = findDocument(documentIn(c, slot)?.type);
    if (doc) items.push({ key: slot, doc, sides: sidesOf(doc), allowPdf: doc.kind !== 'primary' });
  }
  for (const doc of neededSupporting(c)) items.push({ key: `supporting:${doc.key}`, doc, sides: sidesOf(doc), allowPdf: true });
  return items;
}
