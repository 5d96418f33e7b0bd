import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createAccount, grantRoles, signIn } from '../harness/accounts';
import { callInProgress, JITSI } from '../harness/calls';
import { browserSuite, checkAccessibility, collectPageErrors, shareCookies } from './browser';

const SECRET = 'the-recording-upload-secret-of-the-browser-test';
const suite = browserSuite({ ...JITSI, RECORDING_UPLOAD_SECRET: SECRET });

/** A 20 s WebM (VP8 and Opus, which every Chromium plays) of about 10 MB: too large to be read whole with preload="metadata". */
function makeVideo(dir: string): Promise<Buffer> {
  const file = join(dir, 'call.webm');
  const args = [
    ...['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=duration=20:size=640x360:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=20'],
    ...['-vf', 'noise=alls=60:allf=t', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '4M', '-minrate', '4M', '-maxrate', '4M', '-c:a', 'libopus', '-shortest', file],
  ];
  return new Promise((resolve, reject) => execFile('ffmpeg', args, (error, _out, stderr) => (error ? reject(new Error(stderr)) : resolve(readFileSync(file)))));
}

suite.describe('a call recording in Chromium', () => {
  it('plays for a supervisor from the call record, and seeking to the middle fetches a range (206)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'referee-recording-browser-'));
    try {
      const video = await makeVideo(work);
      const call = await callInProgress(suite.t);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const hash = createHash('sha256').update(video).digest('hex');
      const signature = createHmac('sha256', SECRET).update(`${timestamp}.${call.room}.${hash}`).digest('hex');
      const sent = await request(suite.t.app.getHttpServer())
        .post('/recordings/jibri')
        .set({ 'Content-Type': 'application/octet-stream', 'X-Referee-Room': call.room, 'X-Referee-Timestamp': timestamp, 'X-Referee-Signature': signature })
        .send(video);
      expect(sent.status).toBe(201);

      const email = `supervisor.${Date.now()}@referee.example`;
      const person = await createAccount(suite.t, email);
      await grantRoles(suite.t, email, ['supervisor']);
      const agent = await signIn(suite.t, person);
      const browser = await suite.launch();
      await shareCookies(agent, browser.context, suite.baseUrl);
      const page = await browser.context.newPage();
      const errors = collectPageErrors(page);
      const ranges: { range?: string; status: number }[] = [];
      page.on('response', (response) => {
        if (response.url().includes(`/recordings/${sent.body.id}/video`)) ranges.push({ range: response.request().headers().range, status: response.status() });
      });

      await page.goto(`${suite.baseUrl}/agent/calls/${call.callId}`);
      const player = page.locator('video.referee-recording');
      await expect(player.getAttribute('src')).resolves.toBe(`/recordings/${sent.body.id}/video`);
      await checkAccessibility(page);

      // It plays (muted: a page may not start sound by itself).
      const duration = await player.evaluate(async (v: HTMLVideoElement) => {
        v.muted = true;
        if (v.readyState < 1) await new Promise((resolve) => v.addEventListener('loadedmetadata', resolve, { once: true }));
        await v.play();
        await new Promise((resolve) => v.addEventListener('timeupdate', resolve, { once: true }));
        return v.duration;
      });
      expect(duration).toBeGreaterThan(19);
      expect(duration).toBeLessThan(21);

      // Seeking to the middle: the player asks for the bytes from there, and gets them as a 206.
      const startOf = (range?: string) => Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1] ?? -1);
      const fromMiddle = page.waitForResponse((r) => r.url().includes(`/recordings/${sent.body.id}/video`) && startOf(r.request().headers().range) >= video.length / 4);
      const seeked = await player.evaluate(async (v: HTMLVideoElement) => {
        v.pause();
        const done = new Promise((resolve) => v.addEventListener('seeked', resolve, { once: true }));
        v.currentTime = v.duration / 2;
        await done;
        return v.currentTime;
      });
      expect(seeked).toBeGreaterThan(9);
      const seek = await fromMiddle;
      expect(seek.status()).toBe(206);
      expect(seek.headers()['content-range']).toMatch(new RegExp(`^bytes ${startOf(seek.request().headers().range)}-\\d+/${video.length}$`));
      expect(ranges[0]).toEqual({ range: 'bytes=0-', status: 206 });
      expect(errors).toEqual([]);

      const { rows } = await suite.t.db.sql.query(`select details from audit_event where action = 'recording.viewed' and subject = $1`, [call.callId]);
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(rows[0].details).toMatchObject({ as: 'supervisor', callId: call.callId });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
