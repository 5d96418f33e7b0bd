import busboy from 'busboy';
import type { Text } from '../i18n/messages';
import type { WebRequest } from '../web/request';
import { MAX_FILE_BYTES } from './images';

/** One file of the form, by the name of its field (a document's side: Take Photo and Choose Image share it). */
export interface UploadedFile {
  field: string;
  data: Buffer;
  filename: string;
}

export type Upload =
  | { ok: true; fields: Record<string, string>; files: UploadedFile[] }
  | { ok: false; status: number; message: Text };

/** A document's form: Take Photo and Choose Image for each of its sides (at most 3 sides). */
const FILE_PARTS = 6;
/** Files with contents held in memory at once: one per side. */
const MAX_FILES = 3;

/**
 * Reads one multipart upload into memory, within limits: at most 3 files (one per side of a
 * document; the empty parts of inputs left unused are skipped) of at most 15 MB each, a few
 * short fields, and the `_csrf` field before the files (checked by `csrfOk` as soon as the
 * first file starts, unless the htmx header already passed the CSRF middleware). Nothing is
 * stored here: an oversized, truncated or malformed body ends as an error and is dropped.
 */
export function readUpload(req: WebRequest, csrfOk: (token: unknown) => boolean): Promise<Upload> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Upload) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: MAX_FILE_BYTES, files: FILE_PARTS, fields: 5, parts: FILE_PARTS + 5, fieldSize: 1024, fieldNameSize: 64 } });
    } catch {
      return done({ ok: false, status: 400, message: 'documents.errors.noFile' });
    }
    const fields: Record<string, string> = {};
    const files: { field: string; filename: string; chunks: Buffer[] }[] = [];
    let sawFile = false;
    let tooLarge = false;
    let refused: Upload | undefined;
    const headerChecked = !!req.headers['x-csrf-token']; // the CSRF middleware already checked it

    parser.on('field', (name, value) => {
      if (!sawFile) fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      // A body cut short errors the open file's stream as well as the parser: the parser's
      // handler answers; without a listener here the stream's error would crash the process.
      stream.on('error', () => undefined);
      if (refused || tooLarge) return stream.resume();
      if (!sawFile && !headerChecked && !csrfOk(fields._csrf)) {
        refused = { ok: false, status: 403, message: 'errors.csrf' };
        return stream.resume();
      }
      sawFile = true;
      const file = { field: name, filename: info.filename ?? '', chunks: [] as Buffer[] };
      stream.on('data', (chunk: Buffer) => {
        if (file.chunks.length === 0 && files.length >= MAX_FILES) {
          refused = { ok: false, status: 400, message: 'documents.errors.tooManyInOneForm' };
          return;
        }
        if (file.chunks.length === 0) files.push(file);
        if (!refused) file.chunks.push(chunk);
      });
      stream.on('limit', () => {
        tooLarge = true;
        files.length = 0;
      });
    });
    parser.on('filesLimit', () => undefined);
    parser.on('error', () => done({ ok: false, status: 400, message: 'documents.errors.incompleteUpload' }));
    parser.on('close', () => {
      if (refused) return done(refused);
      if (tooLarge) return done({ ok: false, status: 413, message: 'documents.errors.tooLarge' });
      if (!headerChecked && !sawFile && !csrfOk(fields._csrf)) {
        return done({ ok: false, status: 403, message: 'errors.csrf' });
      }
      if (files.length === 0) return done({ ok: false, status: 400, message: 'documents.errors.noFile' });
      done({ ok: true, fields, files: files.map((f) => ({ field: f.field, filename: f.filename, data: Buffer.concat(f.chunks) })) });
    });
    req.on('aborted', () => done({ ok: false, status: 400, message: 'documents.errors.interrupted' }));
    req.pipe(parser);
  });
}
