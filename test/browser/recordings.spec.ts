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

/**
 * An 80 s WebM (VP8 and Opus, which every Chromium plays) of about 40 MB: 20 s encoded, then
 * repeated without re-encoding. Far too large to be read whole before a seek to its middle.
 */
async function makeVideo(dir: string): Promise<Buffer> {
  const piece = join(dir, 'piece.webm');
  const file = join(dir, 'call.webm');
  const ffmpeg = (args: string[]) => new Promise<void>((resolve, reject) => execFile('ffmpeg', ['-loglevel', 'error', '-y', ...args], (error, _out, stderr) => (error ? reject(new Error(stderr)) : resolve())));
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc2=duration=20:size=640x360:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=20'],
    ...['-vf', 'noise=alls=60:allf=t', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '4M', '-minrate', '4M', '-maxrate', '4M', '-c:a', 'libopus', '-shortest', piece],
  ]);
  await ffmpeg(['-stream_loop', '3', '-i', piece, '-c', 'copy', file]);
  return readFileSync(file);
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

      // Seeking to the middle, before much is read: the player asks for the bytes from there, and gets them as a 206.
      const startOf = (range?: string) => Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1] ?? -1);
      // (Not the player's look at the file's end for its index: from the middle part only.)
      const inMiddle = (range?: string) => startOf(range) >= video.length / 4 && startOf(range) <= (video.length * 3) / 4;
      const fromMiddle = page.waitForResponse((r) => r.url().includes(`/recordings/${sent.body.id}/video`) && inMiddle(r.request().headers().range));
      const duration = await player.evaluate(async (v: HTMLVideoElement) => {
        if (v.readyState < 1) await new Promise((resolve) => v.addEventListener('loadedmetadata', resolve, { once: true }));
        const done = new Promise((resolve) => v.addEventListener('seeked', resolve, { once: true }));
        v.currentTime = v.duration / 2;
        await done;
        return v.duration;
      });
      expect(duration).toBeGreaterThan(75);
      expect(duration).toBeLessThan(85);
      // Then it plays from there (muted: a page may not start sound by itself).
      const playing = await player.evaluate(async (v: HTMLVideoElement) => {
        v.muted = true;
        await v.play();
        await new Promise((resolve) => v.addEventListener('timeupdate', resolve, { once: true }));
        v.pause();
        return v.currentTime;
      });
      expect(playing).toBeGreaterThan(35);
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
