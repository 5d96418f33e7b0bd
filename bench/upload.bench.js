'use strict';
/**
 * upload.photo: one 12-megapixel JPEG (about 5 MB) checked (type from its bytes, pixel
 * limit from the header), normalised with sharp (rotated, metadata stripped, re-encoded),
 * given quality hints, encrypted (AES-256-GCM, per-file key wrapped by the PII key ring)
 * and written to the local document store: p50/p95 over sequential runs, then the peak
 * growth of this process's memory (RSS) with 20 uploads at once. In-process (no HTTP:
 * the multipart parser only buffers the body), so the figure is the pipeline's own cost.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { randomBytes, randomUUID, createHash } = require('node:crypto');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { requireDist } = require('./lib');

const RUNS = 30;
const CONCURRENT = 20;

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
  figures: ['upload.photo.p50', 'upload.photo.p95', 'upload.photo.memory'],

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

    async function uploadOnce() {
      const checked = await checkFile(photo, false);
      if (!checked.ok) throw new Error(`the photo was refused: ${checked.message}`);
      const id = randomUUID();
      const key = randomBytes(32);
      cipher.encrypt(key.toString('base64'), `document_file:${id}`);
      createHash('sha256').update(checked.data).digest('hex');
      await store.put(randomUUID(), sealFile(key, id, checked.data));
    }

    await uploadOnce(); // warm-up
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const start = process.hrtime.bigint();
      await uploadOnce();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const pct = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)];

    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    await Promise.all(Array.from({ length: CONCURRENT }, () => uploadOnce()));
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMb = (peak - before) / (1024 * 1024);

    ctx.report.add({ name: 'upload.photo.p50', value: Math.round(pct(50)), unit: 'ms' });
    ctx.report.add({ name: 'upload.photo.p95', value: Math.round(pct(95)), unit: 'ms', target: { of: 'value', max: 500 } });
    ctx.report.add({ name: 'upload.photo.memory', value: Math.round(growthMb), unit: 'MB', target: { of: 'value', max: 150 } });
    console.log(`  (photo ${(photo.length / 1048576).toFixed(1)} MB, 4000 × 3000; ${RUNS} sequential runs; peak RSS growth with ${CONCURRENT} at once)`);
  },
};
