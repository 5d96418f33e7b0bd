import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { TestApp } from './app';
import { csrfOf } from './forms';
import { newApplicant, throughIntake, type Applicant } from './verification';

/** A photo-like JPEG (noise over a gradient: sharp, bright enough), made with sharp. */
export async function photo(width = 1600, height = 1000, options: { dark?: boolean; flat?: boolean } = {}): Promise<Buffer> {
  const channels = 3;
  const raw = Buffer.alloc(width * height * channels);
  let seed = 12345;
  for (let i = 0; i < raw.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = options.flat ? 150 : options.dark ? 5 + ((seed >> 16) % 30) : 100 + ((seed >> 16) % 100);
  }
  return sharp(raw, { raw: { width, height, channels } }).jpeg({ quality: 85 }).toBuffer();
}

/**
 * A bill as a word processor saves it, made with pdf-lib: on each page a title and an
 * address in a standard font, and a blue box from (50, 100) to (350, 300) points.
 */
export async function pdfBill(pages = 1, size: [number, number] = [612, 792]): Promise<PDFDocument> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage(size);
    page.drawText(`Electricity bill, page ${i + 1}`, { x: 50, y: size[1] - 80, size: 24, font });
    page.drawText('Amelie D Artagnan-Poulain, 12 rue de Rivoli, 75001 Paris', { x: 50, y: size[1] - 120, size: 12, font });
    page.drawRectangle({ x: 50, y: 100, width: 300, height: 200, color: rgb(0.1, 0.2, 0.8) });
  }
  return doc;
}

/** The bytes of a PDF from pdf-lib (plain objects, so its dictionaries can be found in the bytes). */
export const pdfBytes = async (doc: PDFDocument) => Buffer.from(await doc.save({ useObjectStreams: false }));

/** A new applicant on the international track with a foreign passport and a utility bill, at "Your documents". */
export async function applicantAtDocuments(t: TestApp, label = 'docs'): Promise<Applicant> {
  const a = await newApplicant(t, label);
  await throughIntake(a);
  return a;
}

/** Uploads a file as the page's form would (the _csrf field first, then the file). */
export async function uploadFile(a: Applicant, item: string, side: string, data: Buffer, filename = 'photo.jpg') {
  const page = await a.browser.get('/documents');
  return a.browser.post(`/documents/upload/${item}/${side}`).field('_csrf', csrfOf(page.text)).attach('file', data, { filename, contentType: 'image/jpeg' });
}

/** Passport photo page and utility bill page 1 (also the proof of the non-U.S. address): everything this applicant must send. */
export async function uploadAll(a: Applicant): Promise<void> {
  const image = await photo();
  for (const [item, side] of [['first', 'photo_page'], ['second', 'page1']]) {
    const res = await uploadFile(a, item, side, image);
    if (res.status !== 303) throw new Error(`upload ${item}/${side} answered ${res.status}: ${res.text.slice(0, 1000)}`);
  }
}

export async function submitDocuments(a: Applicant) {
  return a.post('/documents', { confirm: 'yes' });
}

/** Every file in the app's local document store (encrypted, named by storage key). */
export function storedFiles(t: TestApp): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk(t.config.documents.dir);
  return out;
}
