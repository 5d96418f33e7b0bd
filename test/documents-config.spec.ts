import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/config';
import { STATIC_DIR } from '../src/config/paths';
import { LocalDocumentStore, createDocumentStore, openFile, sealFile, S3DocumentStore } from '../src/documents/store';
import { randomBytes } from 'node:crypto';

const dataDir = mkdtempSync(join(tmpdir(), 'referee-docs-config-'));
const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'test', ...env });

describe('document storage settings', () => {
  it('defaults to DATA_DIR/documents, never under static/', () => {
    expect(load({}).documents).toEqual({ dir: join(dataDir, 'documents') });
    expect(() => load({ DOCUMENTS_DIR: join(STATIC_DIR, 'uploads') })).toThrow(ConfigError);
    expect(createDocumentStore(load({}))).toBeInstanceOf(LocalDocumentStore);
  });

  it('uses an S3-compatible bucket when S3_BUCKET is set, and refuses half-set S3 settings', () => {
    const config = load({ S3_BUCKET: 'referee-docs', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'on', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' });
    expect(config.documents.s3).toMatchObject({ bucket: 'referee-docs', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
    expect(createDocumentStore(config)).toBeInstanceOf(S3DocumentStore);
    expect(() => load({ S3_REGION: 'eu-west-1' })).toThrow(/S3_BUCKET/);
    expect(() => load({ S3_BUCKET: 'Bad_Bucket' })).toThrow(ConfigError);
    expect(() => load({ S3_BUCKET: 'referee-docs', S3_ACCESS_KEY_ID: 'k' })).toThrow(ConfigError);
  });
});

describe('file sealing', () => {
  it('opens only with its key and under its own file id', () => {
    const key = randomBytes(32);
    const sealed = sealFile(key, 'file-a', Buffer.from('image bytes'));
    expect(openFile(key, 'file-a', sealed).toString()).toBe('image bytes');
    expect(() => openFile(key, 'file-b', sealed)).toThrow();
    expect(() => openFile(randomBytes(32), 'file-a', sealed)).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => openFile(key, 'file-a', tampered)).toThrow();
  });
});
