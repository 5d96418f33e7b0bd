import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createDeflate } from 'node:zlib';
import { PDFName, PDFString } from 'pdf-lib';
import sharp from 'sharp';
import { createAccount, grantRoles, signIn } from './harness/accounts';
import { startTestApp, type TestApp } from './harness/app';
import { applicantAtDocuments, pdfBill, pdfBytes, photo, storedFiles, submitDocuments, uploadFile } from './harness/documents';
import { csrfOf } from './harness/forms';
import type { Applicant } from './harness/verification';
import { PiiCipher } from '../src/crypto/pii-cipher';
import { DocumentRetentionService } from '../src/documents/document-retention.service';
import { PDF_LIMITS, renderPdf } from '../src/documents/pdf';
import { DOCUMENT_STORE, sealFile, type DocumentStore } from '../src/documents/store';
import { Messages } from '../src/i18n/messages';

/*
 * A paper document sent as a PDF is rendered to an image on the server and only the image is
 * kept: the PDF's own bytes (its scripts, whatever else is hidden in it) are never stored or
 * served. PDFs that cannot be rendered within limits are refused next to the file field.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const messages = new Messages();


async function fileRows(a: Applicant) {
  const c = await a.row();
  const { rows } = await t.db.sql.query('select * from document_file where verification_case_id = $1 order by created_at', [c.id]);
  return rows;
}

/** A PDF written by hand from its objects' bodies (1-based, object 1 the catalog), with a correct cross-reference table. */
function handwritten(objects: string[], trailer = ''): Buffer {
  let out = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailer}>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
const stream = (dict: string, content: string) => `<< ${dict} /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`;

/**
 * A small file that asks for a huge amount of drawing: each form draws the next one ten
 * times, eight levels deep (10^8 strokes from a few hundred bytes).
 */
function drawingBomb(): Buffer {
  const depth = 8;
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /F 5 0 R >> >> /Contents 4 0 R >>', stream('', '/F Do')];
  for (let level = 0; level < depth; level++) {
    const last = level === depth - 1;
    const body = last ? '0 0 m 612 792 l 0 792 m 612 0 l S' : Array.from({ length: 10 }, () => 'q /F Do Q').join(' ');
    objects.push(stream(`/Type /XObject /Subtype /Form /BBox [0 0 612 792]${last ? '' : ` /Resources << /XObject << /F ${objects.length + 2} 0 R >> >>`}`, body));
  }
  return handwritten(objects);
}

/** A 1 MB PDF whose one content stream inflates to 1 GB of spaces. */
async function inflateBomb(): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const megabyte = Buffer.alloc(1 << 20, 0x20);
  for (let i = 0; i < 1024; i++) if (!deflate.write(megabyte)) await new Promise((resolve) => deflate.once('drain', resolve));
  deflate.end();
  await done;
  const content = Buffer.concat(chunks).toString('latin1');
  return handwritten([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
    stream('/Filter /FlateDecode', content),
  ]);
}

async function reviewer() {
  const person = await createAccount(t, `pdf.reviewer.${Date.now()}@referee.example`);
  await grantRoles(t, person.email, ['reviewer']);
  const browser = await signIn(t, person);
  const post = async (path: string) => {
    const page = await browser.get('/agent/review');
    return browser.post(path).type('form').send({ _csrf: csrfOf(page.text) });
  };
  return { browser, post };
}

/** Sends a PDF for the utility bill's first page (a paper document: PDF accepted). */
async function sendBill(a: Applicant, data: Buffer, language = 'en') {
  const page = await a.browser.get('/documents');
  return a.browser.post('/documents/upload/second/page1').set('Accept-Language', language).field('_csrf', csrfOf(page.text)).attach('file', data, { filename: 'bill.pdf', contentType: 'application/pdf' });
}

/** The refusal shown next to the bill's file field (the second document: field index 1). */
function fieldError(html: string): string | undefined {
  return /<span class="usa-error-message" id="file-1-page1-error" role="alert">([^<]*)<\/span>/.exec(html)?.[1];
}

describe('PDFs of paper documents', () => {
  it('keeps a rendered image of a 1-page PDF, never the PDF, and the reviewer sees that image', async () => {
    await t.db.sql.query(`update document_review set decided_at = now() where decided_at is null`);
    const a = await applicantAtDocuments(t, 'pdfok');
    const pdf = await pdfBytes(await pdfBill());
    const res = await sendBill(a, pdf);
    expect(res.status).toBe(303);
    const [row] = await fileRows(a);
    expect(row).toMatchObject({ item: 'second', side: 'page1', mime: 'image/jpeg', width: 1275, height: 1650 });
    // A clean page is not a blurry, dark or small photo: no advice to retake it.
    expect(row.hints).toEqual([]);

    // The applicant's own copy: a JPEG of the page, drawn (the blue box is where the PDF put it).
    const mine = await a.browser.get(`/documents/file/${row.id}`);
    expect([mine.status, mine.headers['content-type'], mine.headers['content-disposition']]).toEqual([200, 'image/jpeg', 'inline']);
    const image = mine.body as Buffer;
    expect(image.includes('%PDF')).toBe(false);
    const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    // Box from (50, 100) to (350, 300) points, y up from the bottom; 150 DPI: × 150/72.
    const [r, g, b] = pixel(Math.round(200 * 150 / 72), 1650 - Math.round(200 * 150 / 72));
    expect(b).toBeGreaterThan(150);
    expect(r + g).toBeLessThan(150);
    expect(Math.min(...pixel(1200, 800))).toBeGreaterThan(240);
    // The upload page shows it as a picture, not a PDF link.
    const page = await a.browser.get('/documents');
    expect(page.text).toContain(`src="/documents/file/${row.id}"`);

    // The reviewer's console shows the image and serves it as an image.
    expect((await uploadFile(a, 'first', 'photo_page', await photo())).status).toBe(303);
    expect((await uploadFile(a, 'second', 'page2', await pdfBytes(await pdfBill(2)), 'bill-more.pdf')).status).toBe(303);
    expect((await submitDocuments(a)).headers.location).toBe('/documents/review');
    const r2 = await reviewer();
    const next = await r2.post('/agent/review/next');
    const casePath = next.headers.location;
    expect(casePath).toBe(`/agent/review/${(await a.row()).id}`);
    const console_ = await r2.browser.get(casePath);
    expect(console_.text).toContain(`<img src="${casePath}/file/${row.id}"`);
    expect(console_.text).not.toContain('(PDF)');
    const served = await r2.browser.get(`${casePath}/file/${row.id}`);
    expect([served.status, served.headers['content-type']]).toEqual([200, 'image/jpeg']);
    expect((served.body as Buffer).equals(image)).toBe(true);
    // A 2-page PDF for the bill's page 2: its pages one above the other (16 pixels apart) in the one image of that side.
    const more = (await fileRows(a)).find((f) => f.item === 'second' && f.side === 'page2')!;
    expect([more.mime, more.width, more.height]).toEqual(['image/jpeg', 1275, 2 * 1650 + 16]);
  });

  it('renders a PDF that runs JavaScript when opened to a plain image: the script is not kept anywhere', async () => {
    const a = await applicantAtDocuments(t, 'pdfjs');
    const doc = await pdfBill();
    const action = doc.context.obj({ Type: 'Action', S: 'JavaScript', JS: PDFString.of('app.alert("JavaScript in the PDF ran")') });
    doc.catalog.set(PDFName.of('OpenAction'), doc.context.register(action));
    const pdf = await pdfBytes(doc);
    expect(pdf.includes('/JavaScript')).toBe(true);
    const before = storedFiles(t);
    expect((await sendBill(a, pdf)).status).toBe(303);
    const [row] = await fileRows(a);
    expect(row.mime).toBe('image/jpeg');
    const stored = (await a.browser.get(`/documents/file/${row.id}`)).body as Buffer;
    expect((await sharp(stored).metadata()).format).toBe('jpeg');
    expect(stored.includes('%PDF')).toBe(false);
    expect(stored.includes('JavaScript')).toBe(false);
    expect(stored.includes('app.alert')).toBe(false);
    // One new file in the store, and it is that image, encrypted (its size is the image's, not the PDF's).
    const added = storedFiles(t).filter((f) => !before.includes(f));
    expect(added).toHaveLength(1);
    expect(readFileSync(added[0]).length).toBe(stored.length + 31);
  });

  it('refuses a polyglot, a corrupt PDF, one of too many pages and one locked by a password, next to the file field, storing nothing', async () => {
    const a = await applicantAtDocuments(t, 'pdfbad');
    const before = storedFiles(t).length;
    const polyglot = Buffer.concat([
      Buffer.from('%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n'),
      Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0xff]),
      Buffer.alloc(200, 0x41),
      Buffer.from('\n%%EOF\n'),
    ]);
    const corrupt = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    const noPages = handwritten(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>']);
    const unreadable = messages.text('en', 'documents.errors.pdfUnreadable');
    for (const data of [polyglot, corrupt, noPages]) {
      const res = await sendBill(a, data);
      expect([res.status, fieldError(res.text)]).toEqual([400, unreadable]);
    }
    // The hint under the field says how many pages, the number the check uses.
    expect(messages.text('en', 'documents.upload.typesOrPdf')).toContain(`a PDF of up to ${PDF_LIMITS.pages} pages`);
    const four = await sendBill(a, await pdfBytes(await pdfBill(PDF_LIMITS.pages + 1)));
    expect([four.status, fieldError(four.text)]).toEqual([400, 'This PDF has 4 pages; we accept up to 3. Send only the pages that show what this document must show, or a photo of each page.']);
    // Protected by a password nobody gave us (AES-256; no password opens these random keys).
    const hex = (n: number) => `<${randomBytes(n).toString('hex')}>`;
    const locked = handwritten(
      ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>', `<< /Filter /Standard /V 5 /R 6 /Length 256 /P -4 /O ${hex(48)} /U ${hex(48)} /OE ${hex(32)} /UE ${hex(32)} /Perms ${hex(16)} >>`],
      `/Encrypt 4 0 R /ID [${hex(16)} ${hex(16)}] `,
    );
    const password = await sendBill(a, locked);
    expect([password.status, fieldError(password.text)]).toEqual([400, 'This PDF is protected by a password. Send a copy without a password, or a photo of the document.']);
    expect(await fileRows(a)).toEqual([]);
    expect(storedFiles(t).length).toBe(before);

    // In the applicant's language, Arabic here.
    const arabic = await sendBill(a, corrupt, 'ar');
    expect(arabic.text).toContain('<html lang="ar" dir="rtl">');
    expect(fieldError(arabic.text)).toBe(messages.text('ar', 'documents.errors.pdfUnreadable'));
    // A passport is still photos only, as before.
    const passport = await uploadFile(a, 'first', 'photo_page', await pdfBytes(await pdfBill()), 'passport.pdf');
    expect(passport.status).toBe(415);
  });

  it('refuses a PDF that asks for too much drawing once its time or memory is spent, with no server error', async () => {
    const a = await applicantAtDocuments(t, 'pdfslow');
    const bomb = drawingBomb();
    expect(bomb.length).toBeLessThan(4000);
    const started = Date.now();
    const res = await sendBill(a, bomb);
    expect([res.status, fieldError(res.text)]).toEqual([400, messages.text('en', 'documents.errors.pdfTooComplex')]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await fileRows(a)).toEqual([]);
    // The service still answers the next upload.
    expect((await sendBill(a, await pdfBytes(await pdfBill()))).status).toBe(303);
  }, 40_000);

  it('stops a PDF that inflates to gigabytes at its memory limit, before its time is up', async () => {
    const bomb = await inflateBomb();
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    // Heap and buffers sampled: stopped at a few hundred megabytes, not when 10 s have passed.
    expect(await renderPdf(bomb)).toEqual({ ok: false, message: 'documents.errors.pdfTooComplex', limit: 'memory' });
    const a = await applicantAtDocuments(t, 'pdfinflate');
    const res = await sendBill(a, bomb);
    expect([res.status, fieldError(res.text)]).toEqual([400, messages.text('en', 'documents.errors.pdfTooComplex')]);
    expect(await fileRows(a)).toEqual([]);
  }, 40_000);

  it('renders a page of any declared size within the pixel limit', async () => {
    const a = await applicantAtDocuments(t, 'pdfbig');
    // 200 × 200 inches: 30,000 pixels a side at 150 DPI if nothing held it back.
    expect((await sendBill(a, await pdfBytes(await pdfBill(1, [14400, 14400])))).status).toBe(303);
    const [row] = await fileRows(a);
    expect([row.mime, row.width, row.height]).toEqual(['image/jpeg', 2200, 2200]);
  });
});

describe('PDFs stored before they were rendered on arrival', () => {
  /** A row as the earlier code wrote it: the PDF's own bytes, sealed, with mime application/pdf. */
  async function legacyPdf(a: Applicant, item: string, side: string, pdf: Buffer): Promise<{ id: string; storageKey: string }> {
    const id = randomUUID();
    const storageKey = randomUUID();
    const fileKey = randomBytes(32);
    await t.app.get<DocumentStore>(DOCUMENT_STORE).put(storageKey, sealFile(fileKey, id, pdf));
    const wrappedKey = t.app.get(PiiCipher).encrypt(fileKey.toString('base64'), `document_file:${id}`);
    const c = await a.row();
    await t.db.sql.query(
      `insert into document_file (id, verification_case_id, item, document_type, side, storage_key, wrapped_key, sha256, mime, bytes, hints, via, created_at)
       values ($1, $2, $3, 'utility_bill', $4, $5, $6, $7, 'application/pdf', $8, '[]', 'upload', now())`,
      [id, c.id, item, side, storageKey, wrappedKey, createHash('sha256').update(pdf).digest('hex'), pdf.length],
    );
    return { id, storageKey };
  }

  it('renders each to an image under the same row, and deletes the ones that cannot be rendered, with their bytes', async () => {
    const a = await applicantAtDocuments(t, 'pdflegacy');
    const doc = await pdfBill();
    doc.catalog.set(PDFName.of('OpenAction'), doc.context.register(doc.context.obj({ Type: 'Action', S: 'JavaScript', JS: PDFString.of('app.alert(1)') })));
    const scripted = await legacyPdf(a, 'second', 'page1', await pdfBytes(doc));
    const polyglot = await legacyPdf(a, 'second', 'page2', Buffer.from('%PDF-1.4\n<html><script>alert(1)</script></html>\nMZ\n%%EOF\n'));
    const onDisk = (key: string) => storedFiles(t).some((f) => f.endsWith(key));
    expect([onDisk(scripted.storageKey), onDisk(polyglot.storageKey)]).toEqual([true, true]);

    expect(await t.app.get(DocumentRetentionService).convertStoredPdfs()).toEqual({ converted: 1, removed: 1 });
    const rows = await fileRows(a);
    expect(rows.map((r) => [r.id, r.side, r.mime, r.width, r.height])).toEqual([[scripted.id, 'page1', 'image/jpeg', 1275, 1650]]);
    const served = await a.browser.get(`/documents/file/${scripted.id}`);
    expect([served.status, served.headers['content-type']]).toEqual([200, 'image/jpeg']);
    expect((served.body as Buffer).includes('JavaScript')).toBe(false);
    // The original bytes are gone from the store, both the converted one's and the refused one's.
    expect([onDisk(scripted.storageKey), onDisk(polyglot.storageKey)]).toEqual([false, false]);
    // Nothing left to do.
    expect(await t.app.get(DocumentRetentionService).convertStoredPdfs()).toEqual({ converted: 0, removed: 0 });
  });
});
