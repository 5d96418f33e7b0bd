'use strict';
/**
 * upload.photo: one 12-megapixel JPEG (about 5 MB) checked (type from its bytes, pixel
 * limit from the header), normalised with sharp (rotated, metadata stripped, re-encoded),
 * given quality hints, encrypted (AES-256-GCM, per-file key wrapped by the PII key ring)
 * and written to the local document store: p50/p95 over sequential runs, then the peak
 * growth of this process's memory (RSS) with 20 uploads at once. In-process (no HTTP:
 * the multipart parser only buffers the body), so the figure is the pipeline's own cost.
 *
 * upload.pdf: a one-page bill as a word processor saves it (text and a filled box), rendered
 * in its own worker thread (PDF.js) and then taken through the same pipeline: p50/p95 over
 * sequential runs, and the peak RSS growth with 4 at once (the worker threads count in it).
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { randomBytes, randomUUID, createHash } = require('node:crypto');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { requireDist } = require('./lib');

const RUNS = 30;
const CONCURRENT = 20;
const PDF_RUNS = 10;
const PDF_CONCURRENT = 4;

async function onePageBill() {
  const { PDFDocument, StandardFonts, rgb } = require('pdf-lib');
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([612, 792]);
  page.drawText('Electricity bill', { x: 50, y: 712, size: 24, font });
  for (let line = 0; line < 30; line++) page.drawText(`Line ${line + 1}: 12 rue de Rivoli, 75001 Paris, 42.00 EUR`, { x: 50, y: 670 - line * 16, size: 11, font });
  page.drawRectangle({ x: 50, y: 60, width: 300, height: 100, color: rgb(0.1, 0.2, 0.8) });
  return Buffer.from(await doc.save());
}

/** p50/p95 of `once` over `runs` sequential calls, then the peak RSS growth with `concurrent` at once. */
async function measure(once, runs, concurrent) {
  await once(); // warm-up
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await once();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const pct = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)];
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  await Promise.all(Array.from({ length: concurrent }, () => once()));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { p50: pct(50), p95: pct(95), growthMb: (peak - before) / (1024 * 1024) };
}

async function twelveMegapixelJpeg(sharp) {
  const width = 4000;
  const height = 3000;
  // A smooth picture with fine grain: compresses like a phone photo of a document.
  const raw = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const i = (y * width + x) * 3;
      const grain = (seed >> 16) % 48;
      raw[i] = 120 + ((x >> 4) % 60) + grain;
      raw[i + 1] = 110 + ((y >> 4) % 70) + grain;
      raw[i + 2] = 100 + (((x + y) >> 5) % 50) + grain;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

module.exports = {
  name: 'upload.photo',
  figures: ['upload.photo.p50', 'upload.photo.p95', 'upload.photo.memory', 'upload.pdf.p50', 'upload.pdf.p95', 'upload.pdf.memory'],

  async run(ctx) {
    const sharp = require('sharp');
    const { checkFile } = requireDist('src/documents/images.js');
    const { LocalDocumentStore, sealFile } = requireDist('src/documents/store.js');
    const { PiiCipher } = requireDist('src/crypto/pii-cipher.js');
    const cipher = new PiiCipher({ currentId: 'bench', keys: { bench: randomBytes(32) } });
    const dir = mkdtempSync(join(tmpdir(), 'referee-bench-docs-'));
    ctx.cleanup.add('document store', async () => rmSync(dir, { recursive: true, force: true }));
    const store = new LocalDocumentStore(dir);
    const photo = await twelveMegapixelJpeg(sharp);

    const bill = await onePageBill();

    async function uploadOnce(file, allowPdf) {
      const checked = await checkFile(file, allowPdf);
      if (!checked.ok) throw new Error(`the file was refused: ${checked.message}`);
      const id = randomUUID();
      const key = randomBytes(32);
      cipher.encrypt(key.toString('base64'), `document_file:${id}`);
      createHash('sha256').update(checked.data).digest('hex');
      await store.put(randomUUID(), sealFile(key, id, checked.data));
    }

    const photos = await measure(() => uploadOnce(photo, false), RUNS, CONCURRENT);
    ctx.report.add({ name: 'upload.photo.p50', value: Math.round(photos.p50), unit: 'ms' });
    ctx.report.add({ name: 'upload.photo.p95', value: Math.round(photos.p95), unit: 'ms', target: { of: 'value', max: 500 } });
    ctx.report.add({ name: 'upload.photo.memory', value: Math.round(photos.growthMb), unit: 'MB', target: { of: 'value', max: 150 } });
    console.log(`  (photo ${(photo.length / 1048576).toFixed(1)} MB, 4000 × 3000; ${RUNS} sequential runs; peak RSS growth with ${CONCURRENT} at once)`);

    const pdfs = await measure(() => uploadOnce(bill, true), PDF_RUNS, PDF_CONCURRENT);
    ctx.report.add({ name: 'upload.pdf.p50', value: Math.round(pdfs.p50), unit: 'ms' });
    ctx.report.add({ name: 'upload.pdf.p95', value: Math.round(pdfs.p95), unit: 'ms', target: { of: 'value', max: 1000 } });
    ctx.report.add({ name: 'upload.pdf.memory', value: Math.round(pdfs.growthMb), unit: 'MB', target: { of: 'value', max: 400 } });
    console.log(`  (PDF ${(bill.length / 1024).toFixed(1)} KB, 1 page; ${PDF_RUNS} sequential runs; peak RSS growth with ${PDF_CONCURRENT} at once)`);
  },
};
