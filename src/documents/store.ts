import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../config/config';

/** Where encrypted document files live. Keys are opaque ids; values are already encrypted. */
export interface DocumentStore {
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
}

export const DOCUMENT_STORE = Symbol('DOCUMENT_STORE');

const KEY = /^[0-9a-f-]{36}$/;

/** A local folder (default DATA_DIR/documents), files mode 0600, written atomically (temp file, then rename). */
export class LocalDocumentStore implements DocumentStore {
  constructor(private readonly dir: string) {}

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error('bad storage key');
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

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}

/** An S3-compatible bucket (@aws-sdk/client-s3), loaded only when S3_BUCKET is set. */
export class S3DocumentStore implements DocumentStore {
  private client: any;
  private sdk: any;

  constructor(private readonly settings: NonNullable<Config['documents']['s3']>) {}

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
    return { client: this.client, sdk: this.sdk };
  }

  async put(key: string, data: Buffer): Promise<void> {
    const { client, sdk } = await this.s3();
    await client.send(new sdk.PutObjectCommand({ Bucket: this.settings.bucket, Key: `documents/${key}`, Body: data, ContentType: 'application/octet-stream' }));
  }

  async get(key: string): Promise<Buffer> {
    const { client, sdk } = await this.s3();
    const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: `documents/${key}` }));
    return Buffer.from(await out.Body.transformToByteArray());
  }

  async delete(key: string): Promise<void> {
    const { client, sdk } = await this.s3();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: `documents/${key}` }));
  }
}

export function createDocumentStore(config: Config): DocumentStore {
  return config.documents.s3 ? new S3DocumentStore(config.documents.s3) : new LocalDocumentStore(config.documents.dir);
}

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
