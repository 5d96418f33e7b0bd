import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A recording encrypted as a stream of AES-256-GCM chunks under the recording's own key, so
 * that neither writing nor reading ever holds the file in memory, and a range request decrypts
 * only the chunks it covers.
 *
 * Format: the header `RRV1` and the plaintext chunk size (uint32, big-endian); then each chunk's
 * ciphertext followed by its 16-byte tag. Every chunk but the last holds CHUNK bytes of
 * plaintext; the last holds the rest (1…CHUNK bytes, or 0 for an empty file). A chunk's nonce is
 * its index (never reused: the key is used for this one file only); its associated data is the
 * recording's id, the index and whether it is the last chunk, so chunks cannot be moved to
 * another file or reordered, and a file cut at a chunk boundary no longer opens.
 */
export const CHUNK = 64 * 1024;
const MAGIC = Buffer.from('RRV1');
export const HEADER_BYTES = 8;
const TAG_BYTES = 16;

export class RecordingDecryptionError extends Error {}

const nonce = (index: number) => {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(index), 4);
  return iv;
};
const aad = (recordingId: string, index: number, last: boolean) => Buffer.from(`${recordingId}|${index}|${last ? 'last' : 'more'}`);

/** How many chunks a file of `plainSize` bytes is written as (an empty file is one empty chunk). */
export const chunkCount = (plainSize: number) => Math.max(1, Math.ceil(plainSize / CHUNK));
/** The stored size of a file of `plainSize` bytes. */
export const sealedSize = (plainSize: number) => HEADER_BYTES + plainSize + chunkCount(plainSize) * TAG_BYTES;

function sealChunk(key: Buffer, recordingId: string, index: number, last: boolean, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce(index));
  cipher.setAAD(aad(recordingId, index, last));
  const out = Buffer.allocUnsafe(plain.length + TAG_BYTES);
  const body = cipher.update(plain);
  body.copy(out);
  cipher.final(); // GCM adds no bytes at the end
  cipher.getAuthTag().copy(out, body.length);
  return out.subarray(0, body.length + TAG_BYTES);
}

/** Encrypts a stream of plaintext (the key is copied: the caller may zero its own). */
export function sealStream(fileKey: Buffer, recordingId: string): Transform {
  const key = Buffer.from(fileKey);
  // One chunk's plaintext is gathered here (no concatenation of what arrives): memory stays one chunk.
  const staged = Buffer.allocUnsafe(CHUNK);
  let filled = 0;
  let index = 0;
  return new Transform({
    construct(callback) {
      const header = Buffer.alloc(HEADER_BYTES);
      MAGIC.copy(header);
      header.writeUInt32BE(CHUNK, 4);
      this.push(header);
      callback();
    },
    transform(data: Buffer, _encoding, callback: TransformCallback) {
      let offset = 0;
      while (offset < data.length) {
        // A full chunk is sealed as "more" only once a byte after it has arrived: the last chunk must say it is last.
        if (filled === CHUNK) {
          this.push(sealChunk(key, recordingId, index++, false, staged));
          filled = 0;
        }
        const n = data.copy(staged, filled, offset, Math.min(data.length, offset + CHUNK - filled));
        filled += n;
        offset += n;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      this.push(sealChunk(key, recordingId, index, true, staged.subarray(0, filled)));
      key.fill(0);
      callback();
    },
  });
}

/** Which stored bytes hold plaintext bytes start…end (inclusive), and the chunks they are. */
export function storedRange(plainSize: number, start: number, end: number): { first: number; last: number; from: number; to: number } {
  const first = Math.floor(start / CHUNK);
  const last = Math.floor(end / CHUNK);
  const from = HEADER_BYTES + first * (CHUNK + TAG_BYTES);
  const lastPlain = Math.min(CHUNK, plainSize - last * CHUNK);
  const to = HEADER_BYTES + last * (CHUNK + TAG_BYTES) + lastPlain + TAG_BYTES - 1;
  return { first, last, from, to };
}

/**
 * Decrypts stored bytes `storedRange(plainSize, start, end)` gave into plaintext bytes
 * start…end. Each chunk is checked (its tag) before any of it is passed on.
 */
export function openRange(fileKey: Buffer, recordingId: string, plainSize: number, start: number, end: number): Transform {
  const key = Buffer.from(fileKey);
  const total = chunkCount(plainSize);
  const { first, last } = storedRange(plainSize, start, end);
  let index = first;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const chunkBytes = (i: number) => Math.min(CHUNK, plainSize - i * CHUNK) + TAG_BYTES;
  const openChunk = (sealed: Buffer, i: number): Buffer => {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce(i));
    decipher.setAAD(aad(recordingId, i, i === total - 1));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
      const from = i === first ? start - i * CHUNK : 0;
      const to = i === last ? end - i * CHUNK + 1 : plain.length;
      return plain.subarray(from, to);
    } catch {
      throw new RecordingDecryptionError('a chunk of the recording did not decrypt (wrong key, moved, reordered or cut)');
    }
  };
  return new Transform({
    transform(data: Buffer, _encoding, callback: TransformCallback) {
      pending.push(data);
      pendingBytes += data.length;
      try {
        while (index <= last && pendingBytes >= chunkBytes(index)) {
          const all = Buffer.concat(pending);
          const size = chunkBytes(index);
          this.push(openChunk(all.subarray(0, size), index++));
          pending = [all.subarray(size)];
          pendingBytes = all.length - size;
        }
      } catch (error) {
        return callback(error as Error);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      key.fill(0);
      callback(index <= last ? new RecordingDecryptionError('the stored recording is shorter than its row says') : undefined);
    },
  });
}
