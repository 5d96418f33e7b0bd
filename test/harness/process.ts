import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { PROJECT_ROOT } from '../../src/config/paths';
import type { TestApp } from './app';
import { freePort } from './ports';

type Browser = ReturnType<TestApp['browser']>;

/** Referee as its own OS process (`node dist/src/main.js`), so a signal to it is a real one. */
export interface RefereeProcess {
  /** http://127.0.0.1:<port>; the same across restarts. */
  base: string;
  child: ChildProcess;
  /** Milliseconds from spawn to "Referee is running" of the latest start. */
  startMs: number;
  output(): string;
  /** SIGKILL, then wait for the exit: resolves with the milliseconds the kill took. */
  kill(): Promise<number>;
  /** A new process on the same port, database and folders (after kill()). */
  restart(): Promise<void>;
  /** SIGTERM, or SIGKILL if still running after 10 s. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/**
 * Starts Referee apart from the test's process, on the test app's database, secrets and data
 * folder (hence its document store): as a second instance behind a load balancer, whose
 * sessions and files the test app shares.
 */
export async function startRefereeProcess(t: TestApp, env: Record<string, string> = {}): Promise<RefereeProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const fullEnv = { ...t.env, PATH: process.env.PATH!, PORT: String(port), BASE_URL: base, DEMO_ORGANIZATION: 'off', ...env };
  let out = '';
  const launch = () =>
    new Promise<{ child: ChildProcess; ms: number }>((resolve, reject) => {
      const started = Date.now();
      const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/src/main.js')], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const onData = (d: Buffer) => {
        out += d;
        if (out.includes('Referee is running')) {
          out = '';
          resolve({ child, ms: Date.now() - started });
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`Referee exited with ${code} before it was ready: ${out}`)));
    });
  const first = await launch();
  const p: RefereeProcess = {
    base,
    child: first.child,
    startMs: first.ms,
    output: () => out,
    async kill() {
      const at = Date.now();
      p.child.kill('SIGKILL');
      await exited(p.child);
      return Date.now() - at;
    },
    async restart() {
      const next = await launch();
      p.child = next.child;
      p.startMs = next.ms;
    },
    async stop() {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      await exited(p.child);
      clearTimeout(timer);
    },
  };
  return p;
}

/** A browser talking to `base`, carrying the session of `browser` (sessions live in the shared database). */
export function sameSessionOn(browser: Browser, base: string): Browser {
  const cookie = browser.jar.getCookie('referee', { domain: '127.0.0.1', path: '/', secure: false, script: false });
  if (!cookie) throw new Error('no session cookie');
  const agent = request.agent(base);
  agent.jar.setCookie(`referee=${cookie.value}`, '127.0.0.1', '/');
  return agent;
}
