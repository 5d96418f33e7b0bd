import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config/config';

/** One object in the store: a file's key, or the name of a write that never finished. */
export interface StoredObject {
  name: string;
  modifiedAt: Date;
}

/** Where encrypted document files live. Keys are opaque ids; values are already encrypted. */
export interface DocumentStore {
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Writes a stream of any length as `key` (a large file is never held in memory); nothing is left under `key` if it fails. */
  putStream(key: string, source: Readable): Promise<void>;
  /** Bytes from…to (inclusive) of a stored object, as a stream. */
  getRange(key: string, from: number, to: number): Promise<Readable>;
  /** Deletes a file by its key, or by a name `list` gave (a leftover temp file). */
  delete(name: string): Promise<void>;
  /** Every object, in batches (for the orphan sweep). */
  list(): AsyncIterable<StoredObject[]>;
}

export const DOCUMENT_STORE = Symbol('DOCUMENT_STORE');

const KEY = /^[0-9a-f-]{36}$/;
/** A temp file of `put`: a process killed between the write and the rename leaves one behind. */
const TEMP = /^[0-9a-f-]{36}\.[0-9a-f]{8}\.tmp$/;

/** A local folder (default DATA_DIR/documents), files mode 0600, written atomically (temp file, then rename). */
export class LocalDocumentStore implements DocumentStore {
  constructor(private readonly dir: string) {}

  private path(key: string, temp = false): string {
    if (!KEY.test(key) && !(temp && TEMP.test(key))) throw new Error('bad storage key');
    return join(this.dir, key.slice(0, 2), key);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, data, { mode: 0o600 });
    await rename(temp, path);
  }

  get(key: string): Promise<Buffer> {
    return readFile(this.path(key));
  }

  async putStream(key: string, source: Readable): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await pipeline(source, createWriteStream(temp, { mode: 0o600 }));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async getRange(key: string, from: number, to: number): Promise<Readable> {
    return createReadStream(this.path(key), { start: from, end: to });
  }

  async delete(name: string): Promise<void> {
    await rm(this.path(name, true), { force: true });
  }

  async *list(): AsyncIterable<StoredObject[]> {
    const names = async (dir: string) => readdir(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
    for (const prefix of await names(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      const batch: StoredObject[] = [];
      for (const name of await names(join(this.dir, prefix))) {
        if (!KEY.test(name) && !TEMP.test(name)) continue;
        // Gone since readdir (deleted by a replace or by retention): nothing to sweep.
        const info = await stat(join(this.dir, prefix, name)).catch(() => undefined);
        if (info?.isFile()) batch.push({ name, modifiedAt: info.mtime });
      }
      if (batch.length) yield batch;
    }
  }
}

/** The SDK's types only: the module itself is loaded when a bucket is first used. */
type S3Sdk = typeof import('@aws-sdk/client-s3');
type S3Client = InstanceType<S3Sdk['S3Client']>;

/** Parts of a multipart upload (S3's minimum is 5 MiB; one part is the most held in memory). */
const PART_BYTES = 8 * 1024 * 1024;

/** An S3-compatible bucket (@aws-sdk/client-s3), loaded only when S3_BUCKET is set; objects under `<prefix>/`. */
export class S3DocumentStore implements DocumentStore {
  private client?: S3Client;
  private sdk?: S3Sdk;

  constructor(
    private readonly settings: NonNullable<Config['documents']['s3']>,
    private readonly prefix = 'documents',
  ) {}

  private async s3() {
    if (!this.client) {
      this.sdk = await import('@aws-sdk/client-s3');
      const { bucket: _bucket, accessKeyId, secretAccessKey, ...rest } = this.settings;
      this.client = new this.sdk.S3Client({
        region: rest.region,
        endpoint: rest.endpoint,
        forcePathStyle: rest.forcePathStyle,
        ...(accessKeyId ? { credentials: { accessKeyId, secretAccessKey: secretAccessKey! } } : {}),
      });
    }
    return { client: this.client, sdk: this.sdk! };
  }

  async put(key: string, data: Buffer): Promise<void> {
    const { client, sdk } = await this.s3();
    await client.send(new sdk.PutObjectCommand({ Bucket: this.settings.bucket, Key: `${this.prefix}/${key}`, Body: data, ContentType: 'application/octet-stream' }));
  }

  async get(key: string): Promise<Buffer> {
    const { client, sdk } = await this.s3();
    const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: `${this.prefix}/${key}` }));
    if (!out.Body) throw new Error('S3 returned no body for a stored document');
    return Buffer.from(await out.Body.transformToByteArray());
  }

  /**
   * A multipart upload in parts of PART_BYTES (the length is not known in advance; lib-storage
   * is not a dependency), aborted on failure so that no part is left billed and no object made.
   */
  async putStream(key: string, source: Readable): Promise<void> {
    const { client, sdk } = await this.s3();
    const Bucket = this.settings.bucket;
    const Key = `${this.prefix}/${key}`;
    const { UploadId } = await client.send(new sdk.CreateMultipartUploadCommand({ Bucket, Key, ContentType: 'application/octet-stream' }));
    const parts: { ETag?: string; PartNumber: number }[] = [];
    const send = async (body: Buffer) => {
      const PartNumber = parts.length + 1;
      const out = await client.send(new sdk.UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.length }));
      parts.push({ ETag: out.ETag, PartNumber });
    };
    try {
      let held: Buffer[] = [];
      let heldBytes = 0;
      for await (const data of source) {
        held.push(data as Buffer);
        heldBytes += (data as Buffer).length;
        if (heldBytes >= PART_BYTES) {
          await send(Buffer.concat(held));
          held = [];
          heldBytes = 0;
        }
      }
      if (heldBytes || !parts.length) await send(Buffer.concat(held));
      await client.send(new sdk.CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      await client.send(new sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  async getRange(key: string, from: number, to: number): Promise<Readable> {
    const { client, sdk } = await this.s3();
    const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: `${this.prefix}/${key}`, Range: `bytes=${from}-${to}` }));
    if (!out.Body) throw new Error('S3 returned no body for a stored recording');
    return out.Body as Readable;
  }

  async delete(name: string): Promise<void> {
    const { client, sdk } = await this.s3();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: `${this.prefix}/${name}` }));
  }

  async *list(): AsyncIterable<StoredObject[]> {
    const { client, sdk } = await this.s3();
    let token: string | undefined;
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: `${this.prefix}/`, ContinuationToken: token }));
      const batch: StoredObject[] = (page.Contents ?? []).map((o) => ({ name: String(o.Key).slice(this.prefix.length + 1), modifiedAt: o.LastModified ?? new Date() /* no date given: counted as new, never swept early */ }));
      if (batch.length) yield batch;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}

export function createDocumentStore(config: Config): DocumentStore {
  return config.documents.s3 ? new S3DocumentStore(config.documents.s3) : new LocalDocumentStore(config.documents.dir);
}

/**
 * Where call recordings go: beside the documents, apart from them (the folder `recordings` under
 * the documents' folder, or `recordings/` in the bucket), so the documents' orphan sweep, which
 * deletes what no document row names, never sees them.
 */
export function createRecordingStore(config: Config): DocumentStore {
  return config.documents.s3 ? new S3DocumentStore(config.documents.s3, 'recordings') : new LocalDocumentStore(join(config.documents.dir, 'recordings'));
}

export const RECORDING_STORE = Symbol('RECORDING_STORE');

const VERSION = Buffer.from('RD1');

/** AES-256-GCM of one file under its own key; the file id is the associated data (a file moved to another row does not open). */
export function sealFile(key: Buffer, fileId: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(fileId));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([VERSION, iv, cipher.getAuthTag(), body]);
}

export function openFile(key: Buffer, fileId: string, sealed: Buffer): Buffer {
  if (!sealed.subarray(0, 3).equals(VERSION)) throw new Error('not a sealed document file');
  const iv = sealed.subarray(3, 15);
  const tag = sealed.subarray(15, 31);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(fileId));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(31)), decipher.final()]);
}
