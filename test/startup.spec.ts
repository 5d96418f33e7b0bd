import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { loadConfig, ConfigError } from '../src/config/config';
import { PROJECT_ROOT } from '../src/config/paths';

/** Runs `npm start`'s entry point (built by pretest) with the given environment; resolves when it exits. */
function runMain(env: Record<string, string>, timeoutMs = 20000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/src/main.js')], {
      env: { PATH: process.env.PATH!, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('configuration is checked at start', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT must be a whole number, got "eighty"'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535, got 70000'],
    [{ DATABASE_URL: 'mysql://localhost/referee' }, 'DATABASE_URL must start with postgres:// or postgresql://'],
    [{ BASE_URL: 'not a url' }, 'BASE_URL must be a URL'],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgresql://localhost/referee' }, 'SESSION_SECRET is required in production'],
    [{ SESSION_SECRET: 'c2hvcnQ' }, 'SESSION_SECRET must be at least 32 bytes, base64url-encoded'],
    [{ SESSION_IDLE_MINUTES: '90' }, 'SESSION_IDLE_MINUTES must be between 1 and 60, got 90'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
  ])('refuses %j', (env, message) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'referee-config-'));
    try {
      expect(() => loadConfig({ DATA_DIR: dataDir, ...env })).toThrow(ConfigError);
      expect(() => loadConfig({ DATA_DIR: dataDir, ...env })).toThrow(message);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps a generated development secret across restarts', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'referee-config-'));
    try {
      const first = loadConfig({ DATA_DIR: dataDir }).sessionSecret;
      const second = loadConfig({ DATA_DIR: dataDir }).sessionSecret;
      expect(first.length).toBe(32);
      expect(second.equals(first)).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('exits non-zero naming the bad variable', async () => {
    const run = await runMain({ PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Configuration error: PORT must be a whole number');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits non-zero with a clear message when the database cannot be reached', async () => {
    const run = await runMain({
      DATABASE_URL: 'postgresql://referee:secret@127.0.0.1:1/referee',
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'silent',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Could not prepare the database (postgresql://referee:***@127.0.0.1:1/referee)');
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).not.toContain('secret');
  });
});
