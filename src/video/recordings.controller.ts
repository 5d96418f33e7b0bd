import { Controller, Get, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { actorOf } from '../audit/audit.service';
import type { WebRequest } from '../web/request';
import { RecordingsService, WEBHOOK_MAX_BYTES, type Refusal } from './recordings.service';

/** What the sender of a refused recording reads (a script or a webhook: plain words, no personal data). */
const REFUSALS: Record<Refusal['reason'], string> = {
  signature: 'The signature is missing, wrong or too old (the timestamp must be within 5 minutes of our clock).',
  'unknown-room': 'No call took place in this room.',
  'no-consent': 'The applicant did not consent to recording this call.',
  'too-late': 'The recording arrived more than 24 hours after its call ended.',
  type: 'A recording must be an MP4 or WebM video (read from its bytes).',
  'too-large': 'The recording is larger than this site accepts (RECORDING_MAX_MB).',
  incomplete: 'The upload was cut before its end.',
  'not-configured': 'Recordings are not accepted from this source here.',
  'bad-event': 'The event is not a recording announcement this site can read.',
  host: 'The download link is not on the host this site downloads recordings from (JAAS_DOWNLOAD_HOST).',
};

const header = (req: Request, name: string) => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Recordings: the two ways they arrive (Jibri's finalize script, the JaaS webhook; machine to
 * machine, authenticated by their signatures, outside the session and form middleware), and the
 * route a `<video>` element plays them from.
 */
@Controller('recordings')
export class RecordingsController {
  constructor(private readonly recordings: RecordingsService) {}

  /** The file as the request's body (streamed to the store, never held in memory). */
  @Post('jibri')
  async jibri(@Req() req: Request, @Res() res: Response): Promise<void> {
    const result = await this.recordings.receiveJibri(
      { room: header(req, 'x-referee-room'), timestamp: header(req, 'x-referee-timestamp'), signature: header(req, 'x-referee-signature') },
      req,
      req.ip,
    );
    if (!result.ok) {
      // The rest of a refused body is not read: close the connection once the answer is sent.
      if (!req.readableEnded) res.setHeader('Connection', 'close');
      res.status(result.status).json({ error: result.reason, message: REFUSALS[result.reason] });
      return;
    }
    res.status(result.duplicate ? 200 : 201).json({ id: result.id, duplicate: result.duplicate, durationSeconds: result.durationSeconds ?? null });
  }

  /** JaaS's webhook: a small JSON body, read raw (the signature is over its exact bytes). */
  @Post('jaas')
  async jaas(@Req() req: Request, @Res() res: Response): Promise<void> {
    const raw = await readSmallBody(req, WEBHOOK_MAX_BYTES);
    if (!raw) {
      res.status(413).json({ error: 'too-large' });
      return;
    }
    const result = await this.recordings.receiveJaasEvent(header(req, 'x-jaas-signature'), raw, req.ip);
    if (!result.ok) {
      res.status(result.status).json({ error: result.reason, message: REFUSALS[result.reason] });
      return;
    }
    res.status(result.queued ? 202 : 200).json({ queued: result.queued });
  }

  /** The recording, decrypted as it streams, with ranges (seeking); 404 for anyone who may not watch it. */
  @Get(':id/video')
  async video(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const viewerId = req.viewer?.accountId;
    const viewable = viewerId && (await this.recordings.viewable(viewerId, id));
    if (!viewable) throw new NotFoundException();
    const out = await this.recordings.open({ ...actorOf(req), actorId: viewerId }, viewable, header(req, 'range'), req.method === 'HEAD');
    res.status(out.status).set(out.headers);
    if (!out.body || req.method === 'HEAD') {
      res.end();
      return;
    }
    // A player that seeks closes the request it no longer needs: stop reading and decrypting.
    res.once('close', () => out.body!.destroy());
    out.body.pipe(res);
  }
}

/** The body if it is at most `limit` bytes; undefined when larger. */
async function readSmallBody(req: Request, limit: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const data of req) {
    size += (data as Buffer).length;
    if (size > limit) return undefined;
    parts.push(data as Buffer);
  }
  return Buffer.concat(parts);
}
