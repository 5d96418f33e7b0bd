import { createHash } from 'node:crypto';
import { PassThrough, Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import type { DocumentStore } from '../documents/store';
import { sealStream } from './recording-cipher';

/** How much of the start of a file is kept to read its type from its bytes. */
const HEAD_BYTES = 64 * 1024;

export class TooLargeError extends Error {
  constructor() {
    super('the recording is larger than RECORDING_MAX_MB');
  }
}

/** The types a recording may be (read from its bytes, never from its name or headers). */
export const RECORDING_TYPES = ['video/mp4', 'video/webm'] as const;

let fileTypeModule: Promise<typeof import('file-type')> | undefined;
let metadataModule: Promise<typeof import('music-metadata')> | undefined;

/** The type of a file from its first bytes (file-type), when it is one a recording may be. */
export async function recordingType(head: Buffer): Promise<(typeof RECORDING_TYPES)[number] | undefined> {
  fileTypeModule ??= import('file-type');
  const found = await (await fileTypeModule).fileTypeFromBuffer(head);
  return RECORDING_TYPES.find((t) => t === found?.mime);
}

/** The duration the container states (music-metadata reads MP4's mvhd and WebM's Segment Info as the bytes stream past). */
async function durationOf(stream: Readable): Promise<number | undefined> {
  metadataModule ??= import('music-metadata');
  const { parseStream } = await metadataModule;
  const metadata = await parseStream(stream, undefined, { duration: false, skipCovers: true, skipPostHeaders: true });
  const seconds = metadata.format.duration;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * What a recording's bytes say as they stream past on their way to the store: its SHA-256, its
 * size (refused past `maxBytes`), its first bytes (for its type) and, read alongside by
 * music-metadata, its duration. Nothing but the head is kept: memory stays flat whatever the size.
 */
export class RecordingMeter extends Transform {
  private readonly hash = createHash('sha256');
  private readonly headParts: Buffer[] = [];
  private headBytes = 0;
  bytes = 0;
  /** The parser's copy of the stream (it may stop reading early: then it is no longer fed). */
  private readonly probe = new PassThrough({ highWaterMark: 1024 * 1024 });
  private probing = true;
  readonly duration: Promise<number | undefined>;

  constructor(private readonly maxBytes: number) {
    super();
    this.duration = durationOf(this.probe)
      .catch(() => undefined)
      .finally(() => {
        this.probing = false;
        this.probe.destroy();
      });
    this.once('close', () => this.probe.destroy());
  }

  get sha256(): string {
    return this.hash.copy().digest('hex');
  }

  get head(): Buffer {
    return Buffer.concat(this.headParts);
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += data.length;
    if (this.bytes > this.maxBytes) return callback(new TooLargeError());
    this.hash.update(data);
    if (this.headBytes < HEAD_BYTES) {
      const part = data.subarray(0, HEAD_BYTES - this.headBytes);
      this.headParts.push(Buffer.from(part));
      this.headBytes += part.length;
    }
    if (!this.probing || this.probe.write(data)) return callback(null, data);
    // The parser is behind: wait for it, or for it to stop (the probe is then destroyed: 'close'),
    // so its copy never grows in memory. Both listeners go once either fires: a listener left
    // behind would keep this chunk alive until the end of the file.
    if (this.probe.destroyed) return callback(null, data);
    const go = () => {
      this.probe.off('drain', go);
      this.probe.off('close', go);
      callback(null, data);
    };
    this.probe.on('drain', go);
    this.probe.on('close', go);
  }

  override _flush(callback: TransformCallback): void {
    if (this.probing) this.probe.end();
    callback();
  }
}

/**
 * A recording's bytes through the meter and the chunked cipher into the store as `storageKey`:
 * what arriving from Jibri or JaaS does before any check (and what bench/recording.bench.js
 * measures). The meter says what the bytes were; it throws TooLargeError past `maxBytes`.
 */
export async function storeSealed(store: DocumentStore, storageKey: string, body: Readable, fileKey: Buffer, recordingId: string, maxBytes: number): Promise<RecordingMeter> {
  const meter = new RecordingMeter(maxBytes);
  const sealed = pipeline(body, meter, sealStream(fileKey, recordingId), () => undefined);
  try {
    await store.putStream(storageKey, sealed);
  } catch (error) {
    if (meter.bytes > maxBytes) throw new TooLargeError();
    throw error;
  }
  return meter;
}
