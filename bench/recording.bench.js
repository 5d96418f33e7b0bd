'use strict';
/**
 * recording.ingest: a 500 MB call recording (a real MP4: H.264 and AAC made with ffmpeg, then
 * repeated to size without re-encoding) taken through what arriving from Jibri or JaaS does
 * before its checks (storeSealed: SHA-256, size, first bytes, duration read by music-metadata
 * alongside, AES-256-GCM in 64 KiB chunks, written to the local recording store), read from a
 * file. In-process (no HTTP, no database: one row and one audit event per file are
 * negligible next to 500 MB), so the figure is the pipeline's own cost.
 *
 * Reported: MB/s, with `cp` of the same file measured in the same run as the baseline (target:
 * at least half its speed), and the peak growth of this process's memory (RSS) during the
 * ingest (target: under 64 MB, whatever the size). BENCH_RECORDING_MB changes the size.
 */
const { execFileSync } = require('node:child_process');
const { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { randomBytes, randomUUID } = require('node:crypto');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { requireDist } = require('./lib');

const SIZE_MB = Number(process.env.BENCH_RECORDING_MB) > 0 ? Number(process.env.BENCH_RECORDING_MB) : 500;

/** A real MP4 of about `mb` MB: 20 s encoded once, then looped with stream copy (fast). */
function makeRecording(dir, mb) {
  const piece = join(dir, 'piece.mp4');
  const file = join(dir, 'recording.mp4');
  execFileSync('ffmpeg', [
    ...['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=duration=20:size=640x360:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=20'],
    ...['-vf', 'noise=alls=60:allf=t', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '8M', '-maxrate', '8M', '-bufsize', '8M', '-c:a', 'aac', '-shortest', piece],
  ]);
  const loops = Math.max(0, Math.ceil((mb * 1024 * 1024) / statSync(piece).size) - 1);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-stream_loop', String(loops), '-i', piece, '-c', 'copy', file]);
  return file;
}

function seconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

module.exports = {
  name: 'recording.ingest',
  figures: ['recording.ingest', 'recording.ingest.memory'],

  async run(ctx) {
    const { LocalDocumentStore } = requireDist('src/documents/store.js');
    const { storeSealed } = requireDist('src/video/recording-intake.js');
    const dir = mkdtempSync(join(tmpdir(), 'referee-bench-recording-'));
    ctx.cleanup.add('recording bench files', async () => rmSync(dir, { recursive: true, force: true }));
    let file;
    try {
      file = makeRecording(dir, SIZE_MB);
    } catch {
      // No ffmpeg: random bytes of the same size (the duration parser then stops at once: a little faster).
      file = join(dir, 'recording.bin');
      writeFileSync(file, Buffer.alloc(0));
      for (let i = 0; i < SIZE_MB; i++) require('node:fs').appendFileSync(file, randomBytes(1024 * 1024));
      console.log('  (ffmpeg not found: random bytes instead of an MP4)');
    }
    const bytes = statSync(file).size;
    const mb = bytes / (1024 * 1024);
    const store = new LocalDocumentStore(join(dir, 'store'));

    // Baseline: cp of the same file to the same disk, in the same run (warm cache for both: the file was just written).
    execFileSync('cp', [file, join(dir, 'warm.copy')]);
    rmSync(join(dir, 'warm.copy'));
    const cpStart = process.hrtime.bigint();
    execFileSync('cp', [file, join(dir, 'copy.mp4')]);
    const cpSeconds = seconds(cpStart);
    rmSync(join(dir, 'copy.mp4'));
    // For scale (printed, not a figure): hashing alone, as coreutils does it.
    const hashStart = process.hrtime.bigint();
    execFileSync('sha256sum', [file]);
    const hashSeconds = seconds(hashStart);

    // Warm-up: a first small recording loads the parsers (music-metadata, file-type), as a running server has.
    const warm = join(dir, 'warm.bin');
    const head = Buffer.alloc(8 * 1024 * 1024);
    const fd = require('node:fs').openSync(file, 'r');
    require('node:fs').readSync(fd, head, 0, head.length, 0);
    require('node:fs').closeSync(fd);
    writeFileSync(warm, head);
    await (await storeSealed(store, randomUUID(), createReadStream(warm), randomBytes(32), randomUUID(), 64 * 1024 * 1024)).duration;

    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const start = process.hrtime.bigint();
    const fileKey = randomBytes(32);
    const meter = await storeSealed(store, randomUUID(), createReadStream(file, { highWaterMark: 1024 * 1024 }), fileKey, randomUUID(), 64 * 1024 * 1024 * 1024);
    const duration = await meter.duration;
    const ingestSeconds = seconds(start);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (meter.bytes !== bytes) throw new Error(`ingested ${meter.bytes} bytes of ${bytes}`);

    const cpRate = mb / cpSeconds;
    ctx.report.add({ name: 'recording.ingest', value: Math.round(mb / ingestSeconds), unit: 'MB/s', baseline: { name: 'cp', value: Math.round(cpRate) }, target: { of: 'ratio', min: 0.5 } });
    ctx.report.add({ name: 'recording.ingest.memory', value: Math.round((peak - before) / (1024 * 1024)), unit: 'MB', target: { of: 'value', max: 64 } });
    console.log(`  (${mb.toFixed(0)} MB ${file.endsWith('.mp4') ? 'MP4' : 'file'}, duration read: ${duration === undefined ? 'none' : `${Math.round(duration)} s`}; cp ${cpSeconds.toFixed(2)} s, sha256sum alone ${hashSeconds.toFixed(2)} s, ingest ${ingestSeconds.toFixed(2)} s)`);
  },
};
