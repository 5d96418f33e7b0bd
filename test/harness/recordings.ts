import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { TestApp } from './app';

/** The recording settings of a test app that receives recordings from Jibri and JaaS (a download host on the loopback). */
export const RECORDINGS = {
  RECORDING_UPLOAD_SECRET: 'the-recording-upload-secret-of-this-test-run',
  JAAS_WEBHOOK_SECRET: 'the-jaas-endpoint-secret-of-this-test',
};

/**
 * A small real recording as Jibri makes them: H.264 and AAC in MP4, every frame a key frame (so
 * it spans several encrypted chunks), made with ffmpeg (.ci/run installs it).
 */
export async function testVideo(seconds = 6): Promise<Buffer> {
  const work = mkdtempSync(join(tmpdir(), 'referee-video-'));
  try {
    const file = join(work, 'call.mp4');
    const made = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        'ffmpeg',
        [
          ...['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=duration=${seconds}:size=320x240:rate=10`, '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`],
          ...['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '1', '-c:a', 'aac', '-shortest', file],
        ],
        { env: { PATH: process.env.PATH! } },
        (error, _stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    if (made.code !== 0) throw new Error(`ffmpeg could not make the test recording (is it installed? .ci/run installs it): ${made.stderr}`);
    return readFileSync(file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A POST to /recordings/jibri as the finalize script makes it, signed with `secret` at `timestamp` (or not signed). */
export function uploadRecording(t: TestApp, room: string, body: Buffer, options: { secret?: string; timestamp?: number; sign?: boolean } = {}) {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const hash = createHash('sha256').update(body).digest('hex');
  const signature = createHmac('sha256', options.secret ?? RECORDINGS.RECORDING_UPLOAD_SECRET).update(`${timestamp}.${room}.${hash}`).digest('hex');
  const req = request(t.app.getHttpServer()).post('/recordings/jibri').set('Content-Type', 'application/octet-stream').set('X-Referee-Room', room);
  if (options.sign !== false) req.set('X-Referee-Timestamp', timestamp).set('X-Referee-Signature', signature);
  return req.send(body);
}

/** JaaS's RECORDING_UPLOADED webhook body for a room, with its pre-authenticated download link. */
export function jaasEvent(room: string, key: string, link: string): Buffer {
  return Buffer.from(JSON.stringify({ idempotencyKey: key, customerId: 'c', appId: 'vpaas-magic-cookie-test', eventType: 'RECORDING_UPLOADED', sessionId: 's', timestamp: Date.now(), fqn: `vpaas-magic-cookie-test/${room}`, data: { preAuthenticatedLink: link } }));
}

/** X-Jaas-Signature as 8x8 signs a webhook. */
export function jaasSignature(body: Buffer, secret = RECORDINGS.JAAS_WEBHOOK_SECRET, t0 = Math.floor(Date.now() / 1000)): string {
  return `t=${t0},v1=${createHmac('sha256', secret).update(`${t0}.`).update(body).digest('base64')}`;
}

/** A POST to /recordings/jaas, signed with `signature` when given. */
export function jaasWebhook(t: TestApp, body: Buffer, signature?: string) {
  const req = request(t.app.getHttpServer()).post('/recordings/jaas').set('Content-Type', 'application/json');
  if (signature) req.set('X-Jaas-Signature', signature);
  return req.send(body.toString('utf8')); // as text: superagent would send a Buffer as JSON of its bytes
}
