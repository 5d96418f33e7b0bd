import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KEY_ID_PATTERN, type PiiKeyRing } from '../crypto/pii-cipher';
import { STATIC_DIR } from './paths';

/**
 * Referee's settings, read once from the environment and validated at start.
 * README.md documents every variable; this file is the single source of their
 * names, defaults and rules.
 */
export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  /** Public address of this site, e.g. https://referee.example (used in emails and links). */
  baseUrl: string;
  /** true when baseUrl is https: cookies get Secure and the __Host- prefix. */
  secureCookies: boolean;
  /** Number of reverse proxies in front of us whose X-Forwarded-For we trust. */
  trustProxy: number;
  /** Set: use this PostgreSQL. Unset: start the embedded one. */
  databaseUrl?: string;
  dataDir: string;
  /** Document images: an encrypted local folder (DOCUMENTS_DIR, default DATA_DIR/documents), or an S3-compatible bucket when S3_BUCKET is set. */
  documents: { dir: string; s3?: { bucket: string; region: string; endpoint?: string; accessKeyId?: string; secretAccessKey?: string; forcePathStyle: boolean } };
  embeddedPostgresPort: number;
  /** Key for HMACs that bind CSRF tokens to the browser session. Shared by all instances. */
  sessionSecret: Buffer;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  smtpUrl?: string;
  mailFrom: string;
  logLevel: string;
  /** Multiplies every rate limit (benchmarks raise it; 1 in normal use). */
  rateLimitScale: number;
  /** SMS and voice codes through Twilio when all three are set; otherwise kept in the outbox. */
  twilio?: { accountSid: string; authToken: string; from: string; apiBase?: string };
  /** ISO 3166 countries we cannot deliver codes to: the person is offered a passkey or an app instead. */
  smsBlockedCountries: string[];
  /** Wraps the per-record keys of encrypted personal data (PII_KEYS; the first key is current, the others decrypt). */
  piiKeys: PiiKeyRing;
  /** Keys the HMAC fingerprints that find the same SSN/ITIN on two accounts (PII_FINGERPRINT_KEY; never rotated). */
  piiFingerprintKey: Buffer;
  /** PII keys generated under DATA_DIR because none were set (development and test only; a warning is logged at start). */
  generatedPiiKeys: string[];
  /** Argon2id cost (OWASP minimum: 19 MiB, 2 passes, 1 lane). */
  argon2: { memoryKiB: number; passes: number; parallelism: number };
  /** Issuer identifier of the OpenID provider mounted at /oidc (ISSUER_URL; default BASE_URL/oidc). */
  issuerUrl: string;
  /** The example organization at /demo (DEMO_ORGANIZATION; off by default in production). */
  demoOrganization: boolean;
  /**
   * How long each kind of personal data is kept. The privacy policy shows these values and the
   * retention jobs delete by them, so what we publish and what we do cannot drift apart.
   */
  retention: {
    /** Document images: days after the verification case ends (verified, not verified or abandoned). */
    documentDays: number;
    /** Video call recordings: days after the call. */
    recordingDays: number;
    /** Audit events: years after the event. */
    auditYears: number;
    /** Support requests and their messages: days after the last message. */
    supportDays: number;
    /** Outbox messages (their encrypted recipient): hours after delivery to the provider. */
    outboxHours: number;
    /** A case neither verified nor failed: days without activity before it is deleted (the applicant is warned 14 days before). */
    unfinishedCaseDays: number;
  };
  /** Jitsi Meet for the video calls (JITSI_DOMAIN; with JITSI_APP_ID and JITSI_APP_SECRET every participant gets a JWT). */
  jitsi: { domain: string; appId?: string; appSecret?: string };
  /**
   * Call recordings: the shared secret of Jibri's finalize script (RECORDING_UPLOAD_SECRET), the
   * JaaS webhook's secret and the only host its download links may name, and the limits of a file.
   */
  recordings: {
    uploadSecret?: string;
    jaasWebhookSecret?: string;
    jaasDownloadHost?: string;
    maxBytes: number;
    downloadTimeoutSeconds: number;
  };
  /** Length of an appointment slot, in minutes (SLOT_MINUTES). */
  slotMinutes: number;
  /** A reviewer's claim on a case lapses after this many seconds without activity (REVIEW_CLAIM_SECONDS), so a crash or a closed tab never holds a case. */
  reviewClaimSeconds: number;
  /** A stored document file with no row is deleted once it is this old (ORPHAN_FILE_GRACE_MINUTES): long enough that an upload still in flight is never touched. */
  orphanFileGraceMinutes: number;
  /** Hours between a person asking to delete their account and its deletion (they may cancel meanwhile); 0 only outside production. */
  accountDeletionWaitHours: number;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Configuration error: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: Env, name: string, fallback: string | undefined, protocols: string[]): string | undefined {
  const raw = env[name] || fallback;
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => p + '//').join(' or ')}`);
  }
  return raw.replace(/\/$/, '');
}

/** A secret from the environment, or in development one generated once and kept under the data folder. */
function secret(env: Env, name: string, appEnv: Config['env'], dataDir: string): Buffer {
  const raw = env[name];
  if (raw) {
    const value = Buffer.from(raw, 'base64url');
    if (value.length < 32) throw new ConfigError(name, 'must be at least 32 bytes, base64url-encoded');
    return value;
  }
  if (appEnv === 'production') throw new ConfigError(name, 'is required in production');
  const file = join(dataDir, 'secrets', `${name.toLowerCase()}.key`);
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  // The data folder stays readable by the embedded PostgreSQL's own user; the secrets folder does not.
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  const value = randomBytes(32);
  writeFileSync(file, value.toString('base64url'), { mode: 0o600 });
  return value;
}

function twilio(env: Env): Config['twilio'] {
  const names = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const;
  const set = names.filter((name) => env[name]);
  if (set.length === 0) return undefined;
  const missing = names.find((name) => !env[name]);
  if (missing) throw new ConfigError(missing, `is required when ${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set`);
  if (!/^\+[1-9]\d{6,14}$/.test(env.TWILIO_FROM!) && !/^[A-Za-z0-9 ]{1,11}$/.test(env.TWILIO_FROM!)) {
    throw new ConfigError('TWILIO_FROM', 'must be a phone number in E.164 form (+15551234567) or an alphanumeric sender id');
  }
  return {
    accountSid: env.TWILIO_ACCOUNT_SID!,
    authToken: env.TWILIO_AUTH_TOKEN!,
    from: env.TWILIO_FROM!,
    apiBase: url(env, 'TWILIO_API_BASE', undefined, ['http:', 'https:']),
  };
}

function countryList(env: Env, name: string): string[] {
  const raw = (env[name] ?? '').trim();
  if (!raw) return [];
  const codes = raw.split(',').map((c) => c.trim().toUpperCase());
  const bad = codes.find((c) => !/^[A-Z]{2}$/.test(c));
  if (bad !== undefined) throw new ConfigError(name, `must be ISO 3166 two-letter country codes separated by commas, got "${bad}"`);
  return codes;
}

/** Reads (or creates, mode 0600) a development secret file under DATA_DIR/secrets. */
function developmentSecretFile(dataDir: string, fileName: string, make: () => string): string {
  const file = join(dataDir, 'secrets', fileName);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  const value = make();
  writeFileSync(file, value, { mode: 0o600 });
  return value;
}

/**
 * PII_KEYS: "id:key,id:key,…", each key 32 random bytes in base64url; the first wraps new
 * values, the others stay to decrypt older ones (rotation). Unset outside production: one
 * key generated once under DATA_DIR/secrets. PII_FINGERPRINT_KEY: 32+ bytes, same rules.
 */
function piiKeys(env: Env, appEnv: Config['env'], dataDir: string): Pick<Config, 'piiKeys' | 'piiFingerprintKey' | 'generatedPiiKeys'> {
  const generated: string[] = [];
  let raw = (env.PII_KEYS ?? '').trim();
  if (!raw) {
    if (appEnv === 'production') throw new ConfigError('PII_KEYS', 'is required in production');
    raw = developmentSecretFile(dataDir, 'pii_keys.key', () => `dev1:${randomBytes(32).toString('base64url')}`);
    generated.push('PII_KEYS');
  }
  const keys: Record<string, Buffer> = {};
  let currentId = '';
  for (const entry of raw.split(',').map((e) => e.trim())) {
    const match = /^([^:]+):([A-Za-z0-9_-]+)$/.exec(entry);
    if (!match || !KEY_ID_PATTERN.test(match[1])) {
      throw new ConfigError('PII_KEYS', 'must be a comma-separated list of id:key (ids of letters, digits, _ or -; keys base64url)');
    }
    const [, id, encoded] = match;
    const key = Buffer.from(encoded, 'base64url');
    if (key.length !== 32) throw new ConfigError('PII_KEYS', `key "${id}" must be exactly 32 bytes, base64url-encoded`);
    if (keys[id]) throw new ConfigError('PII_KEYS', `has the key id "${id}" twice`);
    keys[id] = key;
    currentId ||= id;
  }
  if (!env.PII_FINGERPRINT_KEY) generated.push('PII_FINGERPRINT_KEY');
  return {
    piiKeys: { currentId, keys },
    piiFingerprintKey: secret(env, 'PII_FINGERPRINT_KEY', appEnv, dataDir),
    generatedPiiKeys: generated,
  };
}

export function loadConfig(env: Env = process.env): Config {
  const appEnv = (env.NODE_ENV || 'development') as Config['env'];
  if (!['development', 'test', 'production'].includes(appEnv)) {
    throw new ConfigError('NODE_ENV', 'must be development, test or production');
  }
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const baseUrl = url(env, 'BASE_URL', `http://localhost:${port}`, ['http:', 'https:'])!;
  const dataDir = resolve(env.DATA_DIR || '.data');
  const logLevel = env.LOG_LEVEL || (appEnv === 'test' ? 'silent' : 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', 'must be one of fatal, error, warn, info, debug, trace, silent');
  }
  const mailFrom = env.MAIL_FROM || 'Referee <no-reply@referee.localhost>';
  if (!/@/.test(mailFrom)) throw new ConfigError('MAIL_FROM', 'must contain an email address');
  return {
    env: appEnv,
    port,
    baseUrl,
    secureCookies: baseUrl.startsWith('https:'),
    trustProxy: integer(env, 'TRUST_PROXY', 0, 0, 10),
    databaseUrl: url(env, 'DATABASE_URL', undefined, ['postgres:', 'postgresql:']),
    dataDir,
    documents: documentsStorage(env, dataDir),
    embeddedPostgresPort: integer(env, 'EMBEDDED_POSTGRES_PORT', 54329, 1024, 65535),
    sessionSecret: secret(env, 'SESSION_SECRET', appEnv, dataDir),
    ...piiKeys(env, appEnv, dataDir),
    sessionIdleMinutes: integer(env, 'SESSION_IDLE_MINUTES', 30, 1, 60),
    sessionAbsoluteHours: integer(env, 'SESSION_ABSOLUTE_HOURS', 12, 1, 24),
    smtpUrl: url(env, 'SMTP_URL', undefined, ['smtp:', 'smtps:']),
    mailFrom,
    logLevel,
    rateLimitScale: integer(env, 'RATE_LIMIT_SCALE', 1, 1, 100000),
    twilio: twilio(env),
    smsBlockedCountries: countryList(env, 'SMS_BLOCKED_COUNTRIES'),
    argon2: { memoryKiB: 19456, passes: 2, parallelism: 1 },
    issuerUrl: issuerUrl(env, baseUrl),
    // A production Referee serves real organizations only, unless the operator asks for the demo.
    demoOrganization: onOff(env, 'DEMO_ORGANIZATION', appEnv !== 'production'),
    retention: {
      documentDays: integer(env, 'DOCUMENT_RETENTION_DAYS', 30, 1, 3650),
      recordingDays: integer(env, 'RECORDING_RETENTION_DAYS', 90, 1, 3650),
      auditYears: integer(env, 'AUDIT_RETENTION_YEARS', 7, 1, 100),
      supportDays: integer(env, 'SUPPORT_RETENTION_DAYS', 365, 1, 3650),
      outboxHours: integer(env, 'OUTBOX_RETENTION_HOURS', 72, 1, 720),
      // At least 30: the warning goes 14 days before, and should not come soon after the last step.
      unfinishedCaseDays: integer(env, 'UNFINISHED_CASE_DAYS', 180, 30, 3650),
    },
    jitsi: jitsi(env),
    recordings: recordings(env),
    slotMinutes: integer(env, 'SLOT_MINUTES', 20, 5, 120),
    reviewClaimSeconds: integer(env, 'REVIEW_CLAIM_SECONDS', 1200, 5, 86_400),
    orphanFileGraceMinutes: integer(env, 'ORPHAN_FILE_GRACE_MINUTES', 60, 10, 10_080),
    accountDeletionWaitHours: accountDeletionWaitHours(env, appEnv),
  };
}

/** ACCOUNT_DELETION_WAIT_HOURS: default 24; 0 (deleted by the job's next run) lets tests and trials watch a deletion, never in production. */
function accountDeletionWaitHours(env: Env, appEnv: Config['env']): number {
  const hours = integer(env, 'ACCOUNT_DELETION_WAIT_HOURS', 24, 0, 720);
  if (hours === 0 && appEnv === 'production') {
    throw new ConfigError('ACCOUNT_DELETION_WAIT_HOURS', 'must be at least 1 in production (0 deletes an account before its owner can read the email that lets them cancel)');
  }
  return hours;
}

/** JITSI_DOMAIN: a host name (with an optional port); JITSI_APP_ID and JITSI_APP_SECRET together or not at all. */
function jitsi(env: Env): Config['jitsi'] {
  const domain = (env.JITSI_DOMAIN || 'meet.jit.si').trim();
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i.test(domain)) throw new ConfigError('JITSI_DOMAIN', `must be a host name such as meet.example.org, got "${domain}"`);
  const appId = env.JITSI_APP_ID || undefined;
  const appSecret = env.JITSI_APP_SECRET || undefined;
  if (!!appId !== !!appSecret) throw new ConfigError(appId ? 'JITSI_APP_SECRET' : 'JITSI_APP_ID', `is required when ${appId ? 'JITSI_APP_ID' : 'JITSI_APP_SECRET'} is set`);
  if (appSecret && appSecret.length < 32) throw new ConfigError('JITSI_APP_SECRET', 'must be at least 32 characters');
  return { domain, appId, appSecret };
}

/** RECORDING_UPLOAD_SECRET and JAAS_WEBHOOK_SECRET (32+ characters each when set), JAAS_DOWNLOAD_HOST, RECORDING_MAX_MB, RECORDING_DOWNLOAD_TIMEOUT_SECONDS. */
function recordings(env: Env): Config['recordings'] {
  const uploadSecret = env.RECORDING_UPLOAD_SECRET || undefined;
  if (uploadSecret && uploadSecret.length < 32) throw new ConfigError('RECORDING_UPLOAD_SECRET', 'must be at least 32 characters');
  const jaasWebhookSecret = env.JAAS_WEBHOOK_SECRET || undefined;
  if (jaasWebhookSecret && jaasWebhookSecret.length < 16) throw new ConfigError('JAAS_WEBHOOK_SECRET', 'must be the endpoint secret shown in the JaaS console (16+ characters)');
  const jaasDownloadHost = (env.JAAS_DOWNLOAD_HOST || '').trim().toLowerCase() || undefined;
  if (jaasDownloadHost && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/.test(jaasDownloadHost)) throw new ConfigError('JAAS_DOWNLOAD_HOST', `must be a host name (with an optional port), got "${jaasDownloadHost}"`);
  if (jaasWebhookSecret && !jaasDownloadHost) throw new ConfigError('JAAS_DOWNLOAD_HOST', 'is required when JAAS_WEBHOOK_SECRET is set (recordings are downloaded only from that host)');
  return {
    uploadSecret,
    jaasWebhookSecret,
    jaasDownloadHost,
    maxBytes: integer(env, 'RECORDING_MAX_MB', 4096, 1, 65_536) * 1024 * 1024,
    downloadTimeoutSeconds: integer(env, 'RECORDING_DOWNLOAD_TIMEOUT_SECONDS', 1800, 1, 86_400),
  };
}

/** An https URL (http only for localhost), without query or fragment: the issuer identifier of OpenID Connect. */
function issuerUrl(env: Env, baseUrl: string): string {
  const value = url(env, 'ISSUER_URL', `${baseUrl}/oidc`, ['http:', 'https:'])!;
  const parsed = new URL(value);
  if (parsed.search || parsed.hash) throw new ConfigError('ISSUER_URL', 'must not have a query or fragment');
  if (!parsed.pathname.endsWith('/oidc')) throw new ConfigError('ISSUER_URL', 'must end with /oidc (where the provider is mounted)');
  return value;
}

/** Where document images go: S3_BUCKET (with S3_REGION, optional S3_ENDPOINT and keys) or a local folder. */
function documentsStorage(env: Env, dataDir: string): Config['documents'] {
  const dir = resolve(env.DOCUMENTS_DIR || join(dataDir, 'documents'));
  if ((dir + '/').startsWith(STATIC_DIR + '/')) throw new ConfigError('DOCUMENTS_DIR', 'must not be under static/ (images are served only through an authorized route)');
  if (!env.S3_BUCKET) {
    for (const name of ['S3_REGION', 'S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']) {
      if (env[name]) throw new ConfigError(name, 'is set but S3_BUCKET is not');
    }
    return { dir };
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(env.S3_BUCKET)) throw new ConfigError('S3_BUCKET', 'must be a valid bucket name');
  if (!!env.S3_ACCESS_KEY_ID !== !!env.S3_SECRET_ACCESS_KEY) throw new ConfigError('S3_ACCESS_KEY_ID', 'and S3_SECRET_ACCESS_KEY must be set together');
  return {
    dir,
    s3: {
      bucket: env.S3_BUCKET,
      region: env.S3_REGION || 'us-east-1',
      endpoint: url(env, 'S3_ENDPOINT', undefined, ['http:', 'https:']),
      accessKeyId: env.S3_ACCESS_KEY_ID || undefined,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY || undefined,
      forcePathStyle: onOff(env, 'S3_FORCE_PATH_STYLE', false),
    },
  };
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(name, `must be on or off, got "${raw}"`);
}

export const CONFIG = Symbol('CONFIG');
