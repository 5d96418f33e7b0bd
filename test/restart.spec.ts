import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { PROJECT_ROOT } from '../src/config/paths';
import { freePort } from './harness/app';
import { csrfOf } from './harness/forms';

/**
 * `npm start` with its embedded PostgreSQL, stopped cleanly and killed outright (SIGKILL)
 * in turn: no data lost, no postgres process left behind, no "lock file exists" on start.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'referee-restart-'));
chmodSync(dataDir, 0o755);
let env: Record<string, string>;
let base: string;

function start(): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/src/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes('Referee is running')) resolve({ child, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));
}

/** postgres processes using this test's data folder. */
function postgresProcesses(): Promise<number> {
  return new Promise((resolve) => {
    const ps = spawn('pgrep', ['-f', `postgres -D ${join(dataDir, 'postgres')}`]);
    let out = '';
    ps.stdout.on('data', (d) => (out += d));
    ps.on('exit', () => resolve(out.trim() ? out.trim().split('\n').length : 0));
  });
}

beforeAll(async () => {
  const [port, pgPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  env = { PATH: process.env.PATH!, PORT: String(port), EMBEDDED_POSTGRES_PORT: String(pgPort), DATA_DIR: dataDir, LOG_LEVEL: 'error', BASE_URL: base, DEMO_ORGANIZATION: 'off' };
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('keeps its data across a clean stop and a SIGKILL, and leaves no postgres behind', async () => {
  let server = await start();
  const browser = request.agent(base);
  const page = await browser.get('/sign-up');
  expect((await browser.post('/sign-up').type('form').send({ _csrf: csrfOf(page.text), email: 'kept@example.org', password: 'correct horse battery staple 42' })).status).toBe(200);

  // Killed outright: its PostgreSQL is orphaned, and the next start must take over.
  server.child.kill('SIGKILL');
  await exited(server.child);
  server = await start();
  const signIn = async () => {
    const agent = request.agent(base);
    const form = await agent.get('/sign-in');
    return agent.post('/sign-in').type('form').send({ _csrf: csrfOf(form.text), email: 'kept@example.org', password: 'correct horse battery staple 42' });
  };
  expect((await signIn()).text).toContain('You need to confirm your email address'); // the account is still there

  // Stopped cleanly: exit 0 and no postgres left running.
  server.child.kill('SIGTERM');
  expect(await exited(server.child)).toBe(0);
  expect(await postgresProcesses()).toBe(0);

  server = await start();
  expect((await signIn()).text).toContain('You need to confirm your email address');
  server.child.kill('SIGINT');
  expect(await exited(server.child)).toBe(0);
  expect(await postgresProcesses()).toBe(0);
}, 90_000);
