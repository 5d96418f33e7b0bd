import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Text } from '../i18n/messages';
import { phrase } from '../i18n/messages';

/**
 * What a PDF may cost. Three pages: a utility bill, bank statement or lease shows the name and
 * address on its first pages, and a paper document has three page slots; the applicant sends
 * only the pages that matter. 150 DPI keeps small print readable; a page's long side is held
 * to 2,200 pixels whatever its declared size.
 */
export const PDF_LIMITS = {
  pages: 3,
  dpi: 150,
  maxSide: 2200,
  /** Embedded images above this many pixels are left out, not decoded. */
  maxImagePixels: 25_000_000,
  /** Wall clock for opening and rendering every page; the worker is terminated after it. */
  timeoutMs: 10_000,
  /** The worker's JavaScript heap: a hard limit V8 enforces. */
  heapMb: 256,
  /**
   * Heap and buffers together (decompressed streams, decoded images, the pages' pixels live
   * outside the heap): sampled every 100 ms, the worker is terminated above it. A 2 MB PDF
   * can inflate to gigabytes; this stops it within a few hundred megabytes.
   */
  memoryMb: 384,
};

export interface Page {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel. */
  data: Buffer;
}

/**
 * `limit`: the PDF was stopped at one of PDF_LIMITS. `fault`: the renderer itself failed (not
 * the PDF's doing): worth an operator's look.
 */
export type Rendered = { ok: true; pages: Page[] } | { ok: false; message: Text; limit?: 'time' | 'memory'; fault?: string };

/** pdf-worker.ts next to this file: compiled (.js) in dist/, run from source (.ts) under the tests. */
const WORKER = join(__dirname, `pdf-worker${extname(__filename)}`);

/**
 * Renders every page of a PDF to a bitmap, in a worker thread of its own (a fresh JavaScript
 * context per file, nothing shared with the application): its heap is capped, and it is
 * terminated when its memory or time limit is passed. Any failure is a refusal with a reason
 * the applicant can act on, never an exception.
 */
export function renderPdf(bytes: Buffer): Promise<Rendered> {
  return new Promise((resolve) => {
    let settled = false;
    const worker = new Worker(WORKER, {
      workerData: { data: new Uint8Array(bytes), maxPages: PDF_LIMITS.pages, dpi: PDF_LIMITS.dpi, maxSide: PDF_LIMITS.maxSide, maxImagePixels: PDF_LIMITS.maxImagePixels },
      resourceLimits: { maxOldGenerationSizeMb: PDF_LIMITS.heapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      // No environment (no secrets) and no output of its own in the application's logs.
      env: {},
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    const finish = (result: Rendered) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(sampler);
      void worker.terminate();
      resolve(result);
    };
    const tooComplex = (limit: 'time' | 'memory') => finish({ ok: false, message: 'documents.errors.pdfTooComplex', limit });
    const timer = setTimeout(() => tooComplex('time'), PDF_LIMITS.timeoutMs);
    const sampler = setInterval(() => {
      worker.getHeapStatistics().then(
        (heap) => heap.used_heap_size + heap.external_memory > PDF_LIMITS.memoryMb * 1024 * 1024 && tooComplex('memory'),
        () => undefined, // the worker has just ended: its own event says how
      );
    }, 100);
    worker.on('message', (message: { refused?: 'unreadable' | 'password' | 'pages'; pages?: number | { width: number; height: number; data: Uint8Array }[] }) => {
      if (message.refused === 'pages') return finish({ ok: false, message: phrase('documents.errors.pdfTooManyPages', { pages: message.pages as number, max: PDF_LIMITS.pages }) });
      if (message.refused === 'password') return finish({ ok: false, message: 'documents.errors.pdfPassword' });
      if (message.refused || !Array.isArray(message.pages) || message.pages.length === 0) return finish({ ok: false, message: 'documents.errors.pdfUnreadable' });
      finish({ ok: true, pages: message.pages.map((p) => ({ width: p.width, height: p.height, data: Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength) })) });
    });
    // Out of its heap: the PDF asked for more than it may. Any other failure: it could not be read.
    worker.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? tooComplex('memory') : finish({ ok: false, message: 'documents.errors.pdfUnreadable', fault: error.code ?? error.name }),
    );
    // Ended without an answer (terminated from outside): as if out of time.
    worker.on('exit', () => tooComplex('time'));
  });
}
