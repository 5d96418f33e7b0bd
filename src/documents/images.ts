import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import type { Text } from '../i18n/messages';
import { renderPdf, type Page } from './pdf';

/** Limits every uploaded file is held to (ASVS V12). */
export const MAX_FILE_BYTES = 15 * 1024 * 1024;
export const MAX_PIXELS = 50_000_000;
export const FILES_PER_CASE = 40;

/**
 * Quality hints: never a refusal, but a photo with one is held until the applicant chooses
 * "Use this photo anyway" or takes another (the advice itself: documents.hints.<hint>).
 */
export const HINTS = {
  small: 'documents.hints.small',
  dark: 'documents.hints.dark',
  blurry: 'documents.hints.blurry',
} as const;
export type Hint = keyof typeof HINTS;

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/heic', 'image/heif', 'image/webp']);
const SMALL_LONG_SIDE = 1000;
const DARK_MEAN = 60;
const BLURRY_VARIANCE = 50;

sharp.cache(false);

/**
 * Decoding a 12-megapixel photo takes tens of megabytes: at most one image per core is
 * decoded at a time, the others wait their turn (bounded memory under bursts of uploads).
 */
const SLOTS = Math.max(1, availableParallelism());
let busy = 0;
const waiting: (() => void)[] = [];
async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (busy >= SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  else busy++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else busy--;
  }
}

export type Checked =
  | { ok: true; data: Buffer; mime: string; width?: number; height?: number; hints: Hint[]; fromPdf?: boolean }
  | { ok: false; status: number; message: Text; limit?: 'time' | 'memory'; fault?: string };

/** A refusal: why, as a catalog key (shown in the uploader's language). */
const refuse = (message: Text, status = 400): Checked => ({ ok: false, status, message });

let fileTypeModule: Promise<typeof import('file-type')> | undefined;
/** file-type is an ES module: loaded once, on first use. */
function fileType() {
  fileTypeModule ??= import('file-type');
  return fileTypeModule;
}

/**
 * Checks one uploaded file and returns what to store: the type from its bytes (never its
 * name), the pixel count from the header before anything is decoded, then the image
 * decoded, turned upright, stripped of EXIF/GPS and re-encoded as JPEG. A PDF (paper
 * documents only) is rendered to an image and goes the same way: its own bytes (scripts,
 * attachments, whatever else rides in them) are never kept.
 */
export async function checkFile(bytes: Buffer, allowPdf: boolean): Promise<Checked> {
  if (bytes.length === 0) return refuse('documents.errors.empty');
  if (bytes.length > MAX_FILE_BYTES) return refuse('documents.errors.tooLarge', 413);
  const { fileTypeFromBuffer } = await fileType();
  const type = await fileTypeFromBuffer(bytes);
  if (type?.mime === 'application/pdf') {
    if (!allowPdf) return refuse('documents.errors.pdfNotAccepted', 415);
    const tail = bytes.subarray(Math.max(0, bytes.length - 1024)).toString('latin1');
    if (!tail.includes('%%EOF')) return refuse('documents.errors.pdfIncomplete');
    // Its own slot, given back before the image's: a render never waits on a slot it holds.
    const rendered = await inSlot(() => renderPdf(bytes));
    if (!rendered.ok) return { ok: false, status: 400, message: rendered.message, limit: rendered.limit, fault: rendered.fault };
    let stacked: Buffer;
    try {
      stacked = await stackPages(rendered.pages);
    } catch {
      return refuse('documents.errors.pdfUnreadable');
    }
    // A rendered document is not a photo to retake: its hints are for the reviewer only.
    const image = await checkImage(stacked);
    return image.ok ? { ...image, fromPdf: true } : image;
  }
  if (!type || !IMAGE_TYPES.has(type.mime)) {
    return refuse(allowPdf ? 'documents.errors.notAPhotoOrPdf' : 'documents.errors.notAPhoto', 415);
  }
  return checkImage(bytes);
}

/** Gap between the pages of a PDF in its one image, so the reviewer sees where each page ends. */
const PAGE_GAP = 16;

/** The rendered pages of a PDF, one above the other, as one lossless image (the side's one file). */
async function stackPages(pages: Page[]): Promise<Buffer> {
  const width = Math.max(...pages.map((p) => p.width));
  const height = pages.reduce((sum, p) => sum + p.height, 0) + PAGE_GAP * (pages.length - 1);
  let top = 0;
  const layers = pages.map((p) => {
    const layer = { input: p.data, raw: { width: p.width, height: p.height, channels: 4 as const }, top, left: Math.floor((width - p.width) / 2) };
    top += p.height + PAGE_GAP;
    return layer;
  });
  return sharp({ create: { width, height, channels: 3, background: '#d0d0d0' }, limitInputPixels: MAX_PIXELS }).composite(layers).png({ compressionLevel: 1 }).toBuffer();
}

/** A photo, or the rendering of a PDF: upright, metadata stripped, within the pixel limit, JPEG, with quality hints. */
async function checkImage(bytes: Buffer): Promise<Checked> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
  } catch {
    return refuse('documents.errors.unreadable');
  }
  if (!meta.width || !meta.height) return refuse('documents.errors.unreadable');
  if (meta.width * meta.height > MAX_PIXELS) return refuse('documents.errors.tooManyPixels');
  try {
    return await inSlot(async () => {
      const [{ data, info }, hints] = await Promise.all([
        sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated' }).rotate().jpeg({ quality: 88 }).toBuffer({ resolveWithObject: true }),
        qualityHints(bytes, meta),
      ]);
      return { ok: true as const, data, mime: 'image/jpeg', width: info.width, height: info.height, hints };
    });
  } catch {
    return refuse('documents.errors.incompleteImage');
  }
}

/**
 * Small (long side), dark (mean brightness), blurry (variance of the Laplacian), measured on
 * a reduced greyscale copy (JPEG shrink-on-load makes it cheap: one small decode, then plain
 * arithmetic over its pixels).
 */
async function qualityHints(bytes: Buffer, meta: sharp.Metadata): Promise<Hint[]> {
  const hints: Hint[] = [];
  if (Math.max(meta.width!, meta.height!) < SMALL_LONG_SIDE) hints.push('small');
  const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated' })
    .resize({ width: 800, height: 800, fit: 'inside', withoutEnlargement: true })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  if (sum / data.length < DARK_MEAN) hints.push('dark');
  // 4-neighbour Laplacian over the inner pixels; its variance is low when edges are soft.
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap = data[i - width] + data[i + width] + data[i - 1] + data[i + 1] - 4 * data[i];
      n++;
      const delta = lap - mean;
      mean += delta / n;
      m2 += delta * (lap - mean);
    }
  }
  if (n > 0 && m2 / n < BLURRY_VARIANCE) hints.push('blurry');
  return hints;
}
