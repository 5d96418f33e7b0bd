import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { NotificationsService } from '../src/notifications/notifications.service';
import { ConfigError, loadConfig } from '../src/config/config';
import { startAnotherInstance, startTestApp, type TestApp } from './harness/app';
import { submitForm } from './harness/forms';
import { messagesTo } from './harness/outbox';

/** The mail provider is outside this machine: a local SMTP server stands in for it at the network edge. */
function startSmtp(fail: () => boolean) {
  const received: { to: string[]; data: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk) => (data += chunk));
      stream.on('end', () => {
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
      const message = notifications.queueEmail({
        to: 'calendar@example.org',
        subject: 'Your Referee video call is booked',
        text: 'See the attached calendar file.',
        attachments: [{ filename: 'referee-video-call.ics', contentType: 'text/calendar; charset=utf-8', content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' }],
      });
      await t.app.get(MikroORM).em.flush();
      await notifications.deliver([message]);
    });
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
    await t.db.sql.query(`update outbox_message set created_at = now() - interval '1 minute' where id = $1`, [rows[0].id]);
    await t.app.get(NotificationsService).retryQueued();
    rows = await messagesTo(t.db.sql, 'later@example.org');
    expect(rows[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.received.some((m) => m.to.includes('later@example.org'))).toBe(true);
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
