/*
 * Renders the pages of one PDF to raw RGBA bitmaps with PDF.js, in a worker thread that
 * pdf.ts starts for this one file (with memory limits, and terminated after a time limit).
 * No import or export statements: this file runs as CommonJS both compiled (dist/) and
 * straight from src/ under Node's type stripping (tests), and has no relative imports.
 *
 * PDF.js never runs a document's JavaScript (that needs the viewer's scripting sandbox,
 * not loaded here); this version compiles nothing from a document (its builds call neither
 * eval nor Function on document data: the old isEvalSupported font path is gone); no XFA
 * forms (enableXfa off); glyphs are drawn as paths (no font loading, no system fonts).
 */
/** pdf.js's document keeps the canvas factory it was opened with (here @napi-rs/canvas); its typings do not say so. */
interface WithCanvasFactory {
  canvasFactory: { create(width: number, height: number): { canvas: unknown; context: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } };
}

void (async () => {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { dirname, join } = require('node:path') as typeof import('node:path');
  const { data, maxPages, dpi, maxSide, maxImagePixels } = workerData as { data: Uint8Array; maxPages: number; dpi: number; maxSide: number; maxImagePixels: number };
  const post = (message: unknown, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);
  const pdfjs = (await import('pdfjs-dist/legacy/build/pdf.mjs')) as typeof import('pdfjs-dist');
  const root = dirname(require.resolve('pdfjs-dist/package.json'));
  const task = pdfjs.getDocument({
    data,
    enableXfa: false,
    disableFontFace: true,
    useSystemFonts: false,
    // Embedded images larger than this are left out rather than decoded.
    maxImageSize: maxImagePixels,
    verbosity: 0,
    standardFontDataUrl: join(root, 'standard_fonts') + '/',
    cMapUrl: join(root, 'cmaps') + '/',
    cMapPacked: true,
    wasmUrl: join(root, 'wasm') + '/',
    iccUrl: join(root, 'iccs') + '/',
  });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (error) {
    return post({ refused: (error as Error)?.name === 'PasswordException' ? 'password' : 'unreadable' });
  }
  if (doc.numPages > maxPages) return post({ refused: 'pages', pages: doc.numPages });
  const pages: { width: number; height: number; data: Uint8Array }[] = [];
  try {
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const natural = page.getViewport({ scale: 1 });
      // DPI, but never more than maxSide pixels on the long side: a page as big as a wall costs what a letter does.
      const scale = Math.min(dpi / 72, maxSide / Math.max(natural.width, natural.height));
      const viewport = page.getViewport({ scale });
      const width = Math.max(1, Math.round(viewport.width));
      const height = Math.max(1, Math.round(viewport.height));
      const { canvas, context } = (doc as unknown as WithCanvasFactory).canvasFactory.create(width, height);
      await page.render({ canvas, canvasContext: context, viewport, background: '#ffffff' } as unknown as Parameters<typeof page.render>[0]).promise;
      // A copy in a buffer of our own: the canvas's memory is native and cannot be transferred.
      pages.push({ width, height, data: new Uint8Array(context.getImageData(0, 0, width, height).data as Uint8ClampedArray) });
      page.cleanup();
    }
  } catch {
    return post({ refused: 'unreadable' });
  }
  post({ pages }, pages.map((p) => p.data.buffer as ArrayBuffer));
})();
