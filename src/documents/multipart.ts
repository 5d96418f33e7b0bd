import busboy from 'busboy';
import type { Text } from '../i18n/messages';
import type { WebRequest } from '../web/request';
import { MAX_FILE_BYTES } from './images';

export type Upload =
  | { ok: true; fields: Record<string, string>; file: Buffer; filename: string }
  | { ok: false; status: number; message: Text };

/**
 * Reads one multipart upload into memory, within limits: one file of at most 15 MB, a few
 * short fields, and the `_csrf` field before the file (checked by `csrfOk` as soon as the
 * file starts, unless the htmx header already passed the CSRF middleware). Nothing is
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
      parser = busboy({ headers: req.headers, limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 5, parts: 6, fieldSize: 1024, fieldNameSize: 64 } });
    } catch {
      return done({ ok: false, status: 400, message: 'documents.errors.noFile' });
    }
    const fields: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let filename = '';
    let sawFile = false;
    let tooLarge = false;
    let refused: Upload | undefined;
    const headerChecked = !!req.headers['x-csrf-token']; // the CSRF middleware already checked it

    parser.on('field', (name, value) => {
      if (!sawFile) fields[name] = value;
    });
    parser.on('file', (_name, stream, info) => {
      if (sawFile || refused) return stream.resume();
      sawFile = true;
      filename = info.filename ?? '';
      if (!headerChecked && !csrfOk(fields._csrf)) {
        refused = { ok: false, status: 403, message: 'errors.csrf' };
        return stream.resume();
      }
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        tooLarge = true;
        chunks.length = 0;
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
      if (!sawFile || chunks.length === 0) return done({ ok: false, status: 400, message: 'documents.errors.noFile' });
      done({ ok: true, fields, file: Buffer.concat(chunks), filename });
    });
    req.on('aborted', () => done({ ok: false, status: 400, message: 'documents.errors.interrupted' }));
    req.pipe(parser);
  });
}
