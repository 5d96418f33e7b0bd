import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { backoffMs, NotificationsService } from '../src/notifications/notifications.service';
import { ConfigError, loadConfig } from '../src/config/config';
import { startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { submitForm } from './harness/forms';
import { messagesTo } from './harness/outbox';

/** The mail provider is outside this machine: a local SMTP server stands in for it at the network edge. */
function startSmtp(fail: () => boolean, before: () => Promise<void> = async () => undefined) {
  const received: { to: string[]; data: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk) => (data += chunk));
      stream.on('end', async () => {
        await before();
        if (fail()) return callback(new Error('mailbox unavailable'));
        // Undo quoted-printable line wrapping, as a mail client would.
        const text = data.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), data: text });
        callback();
      });
    },
  });
  return new Promise<{ url: string; received: typeof received; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.server.address() as AddressInfo;
      resolve({ url: `smtp://127.0.0.1:${port}`, received, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** Waits until `ready` holds: a sign-up's email is handed to the provider just after the answer. */
async function until(ready: () => Promise<boolean> | boolean) {
  for (let tries = 0; !(await ready()); tries++) {
    if (tries === 200) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('email through SMTP when SMTP_URL is set', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let failing = false;

  beforeAll(async () => {
    smtp = await startSmtp(() => failing);
    t = await startTestApp({ SMTP_URL: smtp.url, MAIL_FROM: 'Referee <no-reply@referee.example>', BASE_URL: 'http://referee.example' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('delivers the confirmation email and keeps no copy of its link', async () => {
    await submitForm(t.browser(), '/sign-up', '/sign-up', { email: 'smtp-user@example.org', password: 'correct horse battery staple 42' });
    const status = async () => (await messagesTo(t.db.sql, 'smtp-user@example.org'))[0]?.status;
    await until(async () => (await status()) === 'sent');
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0].to).toEqual(['smtp-user@example.org']);
    expect(smtp.received[0].data).toContain('Subject: Confirm your email address for Referee');
    expect(smtp.received[0].data).toMatch(/http:\/\/referee\.example\/sign-up\/confirm\?token=/);
    const rows = await messagesTo(t.db.sql, 'smtp-user@example.org');
    expect(rows[0].status).toBe('sent');
    expect(rows[0].sent_at).not.toBeNull();
    expect(rows[0].body).not.toContain('token=');
  });

  it('sends attachments with the email (an appointment\'s calendar file)', async () => {
    const notifications = t.app.get(NotificationsService);
    await RequestContext.create(t.app.get(MikroORM).em, async () => {
      notifications.queueEmail({
        to: 'calendar@example.org',
        subject: 'Your Referee video call is booked',
        text: 'See the attached calendar file.',
        attachments: [{ filename: 'referee-video-call.ics', contentType: 'text/calendar; charset=utf-8', content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' }],
      });
      await t.app.get(MikroORM).em.flush(); // sent once it commits
    });
    await notifications.settled();
    const mail = smtp.received.find((m) => m.to.includes('calendar@example.org'))!;
    expect(mail.data).toMatch(/Content-Type: text\/calendar; charset=utf-8/);
    expect(mail.data).toContain('filename=referee-video-call.ics');
  });

  it('keeps a message queued when the provider refuses it, and the retry job sends it later', async () => {
    failing = true;
    const res = await submitForm(t.browser(), '/sign-up', '/sign-up', { email: 'later@example.org', password: 'correct horse battery staple 42' });
    expect(res.status).toBe(200); // the person is not blocked by the mail provider
    const attempts = async () => (await messagesTo(t.db.sql, 'later@example.org'))[0]?.attempts;
    await until(async () => (await attempts()) === 1);
    let rows = await messagesTo(t.db.sql, 'later@example.org');
    expect(rows[0]).toMatchObject({ status: 'queued', attempts: 1 });

    failing = false;
    // A minute on, past its backoff.
    await t.db.sql.query(`update outbox_message set created_at = now() - interval '1 minute', next_attempt_at = now() - interval '1 second' where id = $1`, [rows[0].id]);
    await t.app.get(NotificationsService).retryQueued();
    rows = await messagesTo(t.db.sql, 'later@example.org');
    expect(rows[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.received.some((m) => m.to.includes('later@example.org'))).toBe(true);
  });
});

describe('email delivery after commit', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let failing = false;
  /** While set, the provider takes a message only when `release` is called (a slow provider). */
  let hold: { reached: () => void; released: Promise<void> } | undefined;

  beforeAll(async () => {
    smtp = await startSmtp(
      () => failing,
      async () => {
        if (!hold) return;
        hold.reached();
        await hold.released;
      },
    );
    t = await startTestApp({ SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const em = () => t.app.get(MikroORM).em;
  const queue = (to: string) => t.app.get(NotificationsService).queueEmail({ to, subject: 'Hello', text: 'Hi' });
  const receivedBy = (to: string) => smtp.received.filter((m) => m.to.includes(to)).length;

  it('sends an email written in a transaction once the transaction commits, with no call to send it; never one written in a transaction rolled back', async () => {
    await RequestContext.create(em(), async () => {
      await em().transactional(async (tx) => {
        queue('committed@example.org');
        await tx.flush();
        // A savepoint released, and one rolled back, inside the transaction.
        await tx.transactional(async () => void queue('savepoint-kept@example.org'));
        await tx
          .transactional(async (inner) => {
            queue('savepoint-undone@example.org');
            await inner.flush();
            throw new Error('undone');
          })
          .catch(() => undefined);
        expect(receivedBy('committed@example.org') + receivedBy('savepoint-kept@example.org')).toBe(0); // not before the commit
      });
      await expect(
        em().transactional(async (tx) => {
          queue('rolled-back@example.org');
          await tx.flush();
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
    });
    await t.app.get(NotificationsService).settled(); // the commit does not wait for the mail server
    expect(receivedBy('committed@example.org')).toBe(1);
    expect(receivedBy('savepoint-kept@example.org')).toBe(1);
    expect((await messagesTo(t.db.sql, 'committed@example.org'))[0]).toMatchObject({ status: 'sent', attempts: 1 });
    // Nothing of the rolled-back work is left for the retry job either.
    await t.db.sql.query(`update outbox_message set created_at = now() - interval '5 minutes'`);
    await t.app.get(NotificationsService).retryQueued();
    expect(receivedBy('rolled-back@example.org') + receivedBy('savepoint-undone@example.org')).toBe(0);
    expect(await messagesTo(t.db.sql, 'rolled-back@example.org')).toEqual([]);
  });

  it('sends a message once when another instance looks for unsent messages while it is being sent', async () => {
    const other = await startAnotherInstance(t);
    let reached!: () => void;
    const atProvider = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    hold = { reached, released: new Promise<void>((resolve) => (release = resolve)) };
    try {
      // Written a while ago as far as the retry job can tell, and being sent after its commit right now.
      const committing = RequestContext.create(em(), () =>
        em().transactional(async () => {
          queue('once@example.org').createdAt = new Date(Date.now() - 5 * 60_000);
        }),
      );
      await atProvider;
      // Claimed by the first: skipped, not waited for.
      const skipped = await Promise.race([other.app.get(NotificationsService).retryQueued(), new Promise((resolve) => setTimeout(resolve, 5000, 'waited'))]);
      expect(skipped).toBe(0);
      release();
      await committing;
      await t.app.get(NotificationsService).settled();
      hold = undefined;
      expect(await other.app.get(NotificationsService).retryQueued()).toBe(0); // sent: nothing left
    } finally {
      hold = undefined;
      release?.();
      await other.close();
    }
    expect(receivedBy('once@example.org')).toBe(1);
    expect((await messagesTo(t.db.sql, 'once@example.org'))[0]).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('retries an email the provider refused, waiting longer after each attempt, until it is sent (or gives up after 5)', async () => {
    failing = true;
    const retry = () => t.app.get(NotificationsService).retryQueued();
    const row = async (to: string) => (await t.db.sql.query(`select m.*, extract(epoch from next_attempt_at - now()) as wait from outbox_message m where id = $1`, [(await messagesTo(t.db.sql, to))[0].id])).rows[0];
    try {
      await RequestContext.create(em(), async () => {
        queue('backoff@example.org');
        await em().flush();
      });
      await t.app.get(NotificationsService).settled();
      let r = await row('backoff@example.org');
      expect(r).toMatchObject({ status: 'queued', attempts: 1 });
      expect(Number(r.wait)).toBeGreaterThan(backoffMs(1) / 1000 - 10);
      // Written long ago, but its next attempt is not due: the retry job leaves it.
      await t.db.sql.query(`update outbox_message set created_at = now() - interval '10 minutes' where id = $1`, [r.id]);
      await retry();
      expect(await row('backoff@example.org')).toMatchObject({ attempts: 1 });
      // Due: tried again, and refused again, it waits twice as long.
      await t.db.sql.query(`update outbox_message set next_attempt_at = now() - interval '1 second' where id = $1`, [r.id]);
      await retry();
      r = await row('backoff@example.org');
      expect(r).toMatchObject({ status: 'queued', attempts: 2 });
      expect(Number(r.wait)).toBeGreaterThan(backoffMs(2) / 1000 - 10);
      expect(backoffMs(2)).toBe(2 * backoffMs(1));
      // The provider is back: the next due attempt sends it.
      failing = false;
      await t.db.sql.query(`update outbox_message set next_attempt_at = now() - interval '1 second' where id = $1`, [r.id]);
      await retry();
      expect(await row('backoff@example.org')).toMatchObject({ status: 'sent', attempts: 3, next_attempt_at: null });
      expect(receivedBy('backoff@example.org')).toBe(1);
      // A fifth refusal leaves the message failed, for a person to look at.
      failing = true;
      await RequestContext.create(em(), async () => {
        queue('gives-up@example.org');
        await em().flush();
      });
      await t.app.get(NotificationsService).settled(); // its first refusal, after the commit
      await t.db.sql.query(`update outbox_message set attempts = 4, next_attempt_at = now() - interval '1 second', created_at = now() - interval '1 hour' where id = $1`, [(await row('gives-up@example.org')).id]);
      await retry();
      expect(await row('gives-up@example.org')).toMatchObject({ status: 'failed', attempts: 5 });
    } finally {
      failing = false;
    }
  });
});

describe('the development outbox', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('shows messages that were not sent, with their links clickable and their text escaped', async () => {
    await submitForm(t.browser(), '/sign-up', '/sign-up', { email: 'outbox<b>@example.org', password: 'correct horse battery staple 42' });
    await submitForm(t.browser(), '/sign-up', '/sign-up', { email: 'outbox@example.org', password: 'correct horse battery staple 42' });
    const page = await t.browser().get('/dev/outbox');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Confirm your email address for Referee');
    expect(page.text).toMatch(/<a class="usa-link" href="http:\/\/localhost:3000\/sign-up\/confirm\?token=[A-Za-z0-9_-]{43}">/);
    expect(page.text).not.toContain('outbox<b>'); // refused by validation, and never rendered raw
    expect(page.text).toContain('outbox@example.org'); // the recipient, decrypted for the page
  });

  it('does not exist in production', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production', LOG_LEVEL: 'silent' });
    try {
      expect((await prod.browser().get('/dev/outbox')).status).toBe(404);
    } finally {
      await prod.close();
    }
  });
});

describe('outbox retention', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_RETENTION_HOURS: '24' });
  });
  afterAll(() => t?.close());

  async function message(status: string, createdHoursAgo: number, sentHoursAgo?: number): Promise<string> {
    const { rows } = await t.db.sql.query(
      `insert into outbox_message (id, channel, recipient, body, status, attempts, created_at, sent_at)
       values (gen_random_uuid(), 'email', 'pii1.a.b.c.d.e', 'Hi', $1, 1, now() - make_interval(hours => $2), now() - make_interval(hours => $3))
       returning id`,
      [status, createdHoursAgo, sentHoursAgo ?? null],
    );
    return rows[0].id;
  }

  it('deletes messages delivered longer ago than OUTBOX_RETENTION_HOURS, once across instances, and keeps the others', async () => {
    const other = await startAnotherInstance(t);
    const old = [await message('sent', 30, 25), await message('kept', 25)];
    const kept = [
      await message('sent', 30, 23), // sent after several tries, within the period
      await message('kept', 2),
      await message('queued', 48), // not delivered yet: the retry job still needs it
      await message('failed', 48), // left for a person to look at
    ];
    try {
      const counts = await Promise.all([t.app.get(NotificationsService).deleteDelivered(), other.app.get(NotificationsService).deleteDelivered()]);
      expect(counts.sort()).toEqual([0, 2]);
    } finally {
      await other.close();
    }
    const { rows } = await t.db.sql.query('select id from outbox_message');
    const left = rows.map((r) => r.id);
    expect(left).toEqual(expect.arrayContaining(kept));
    for (const id of old) expect(left).not.toContain(id);
  });

  it('refuses a retention setting that is not a whole number of hours in range', () => {
    expect(t.config.retention.outboxHours).toBe(24);
    const base = { NODE_ENV: 'test', SESSION_SECRET: 'x'.repeat(43), DATA_DIR: t.config.dataDir };
    expect(loadConfig(base).retention.outboxHours).toBe(72);
    expect(() => loadConfig({ ...base, OUTBOX_RETENTION_HOURS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, OUTBOX_RETENTION_HOURS: 'a day' })).toThrow('OUTBOX_RETENTION_HOURS must be a whole number');
    expect(() => loadConfig({ ...base, OUTBOX_RETENTION_HOURS: '721' })).toThrow('OUTBOX_RETENTION_HOURS must be between 1 and 720');
  });
});
