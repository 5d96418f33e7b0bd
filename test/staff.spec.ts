import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { AuditService } from '../src/audit/audit.service';
import { PROJECT_ROOT } from '../src/config/paths';
import { StaffService } from '../src/staff/staff.service';
import { startTestApp, type TestApp } from './harness/app';
import { codeFor, createAccount, grantRoles, passwordSignIn, signIn, type TestPerson } from './harness/accounts';
import { csrfOf } from './harness/forms';
import { lastEmailTo } from './harness/outbox';
import { inContext as inAppContext } from './harness/calls';

let t: TestApp;
let n = 0;
const newEmail = (who: string) => `${who}${++n}.${Date.now()}@example.org`;
type Browser = ReturnType<TestApp['browser']>;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

async function staffBrowser(roles: Parameters<typeof grantRoles>[2]): Promise<{ person: TestPerson; browser: Browser }> {
  const person = await createAccount(t, newEmail(roles.join('-') || 'applicant'));
  if (roles.length) await grantRoles(t, person.email, roles);
  return { person, browser: await signIn(t, person) };
}

const inContext = <T>(work: () => Promise<T>): Promise<T> => inAppContext(t, work);

describe('each role reaches only its pages', () => {
  it.each([
    [[], { '/admin/staff': 403, '/supervisor/audit': 403 }],
    [['reviewer'], { '/admin/staff': 403, '/supervisor/audit': 403 }],
    [['supervisor'], { '/admin/staff': 403, '/supervisor/audit': 200 }],
    [['admin'], { '/admin/staff': 200, '/supervisor/audit': 200 }],
  ] as const)('%j', async (roles, expected) => {
    const { browser } = await staffBrowser([...roles]);
    for (const [path, status] of Object.entries(expected)) {
      const res = await browser.get(path);
      expect(`${path} ${res.status}`).toBe(`${path} ${status}`);
      if (status === 403) expect(res.text).toContain('This page is for Referee staff with another role.');
    }
  });

  it('sends someone signed out to sign in first', async () => {
    const res = await t.browser().get('/admin/staff');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/sign-in?next=%2Fadmin%2Fstaff');
  });
});

describe('managing staff', () => {
  it('lets an admin add a new staff member, who is emailed a link to choose a password', async () => {
    const { browser } = await staffBrowser(['admin']);
    const page = await browser.get('/admin/staff');
    const email = newEmail('new.referee');
    const bad = await browser.post('/admin/staff').type('form').send({ _csrf: csrfOf(page.text), email: 'nope', role: 'wizard' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Choose a role');
    const res = await browser.post('/admin/staff').type('form').send({ _csrf: csrfOf(page.text), email, role: 'referee' });
    expect(res.headers.location).toBe('/admin/staff?notice=invited');
    expect((await lastEmailTo(t.db.sql, email))?.subject).toBe('Reset your Referee password');
    const list = await browser.get('/admin/staff');
    expect(list.text).toContain(email);
    expect(list.text).toContain('not certified');
    expect(await inContext(async () => t.app.get(StaffService).rolesOf((await t.db.sql.query('select id from account where email = $1', [email])).rows[0].id))).toEqual(['referee']);
  });

  it('lets a referee take calls only with a current certification', async () => {
    const { person } = await staffBrowser(['referee']);
    const { rows } = await t.db.sql.query('select id from account where email = $1', [person.email]);
    const staff = t.app.get(StaffService);
    expect(await inContext(() => staff.canTakeCalls(rows[0].id))).toBe(false);
    await inContext(() => staff.certify(rows[0].id, new Date()));
    expect(await inContext(() => staff.canTakeCalls(rows[0].id))).toBe(true);
    const nextYear = new Date();
    nextYear.setUTCFullYear(nextYear.getUTCFullYear() + 1, nextYear.getUTCMonth(), nextYear.getUTCDate() + 1);
    expect(await inContext(() => staff.canTakeCalls(rows[0].id, nextYear))).toBe(false);
  });
});

describe('staff forms with missing or odd fields', () => {
  it('say what is wrong and change nothing, never a 500', async () => {
    const { browser: admin } = await staffBrowser(['admin']);
    const { person: referee } = await staffBrowser(['referee']);
    const { rows } = await t.db.sql.query('select id from account where email = $1', [referee.email]);
    const id: string = rows[0].id;
    const page = await admin.get('/admin/staff');
    for (const fields of [{}, { trainedOn: '2999-01-01' }, { trainedOn: '2026-02-31' }, { trainedOn: 'yesterday' }]) {
      const res = await admin.post(`/admin/staff/${id}/certify`).type('form').send({ _csrf: csrfOf(page.text), ...fields });
      expect(res.headers.location).toBe('/admin/staff?notice=bad-date');
    }
    const listed = (body: object) => admin.post(`/admin/staff/${id}/certify`).set('X-CSRF-Token', csrfOf(page.text)).send(body);
    expect((await listed({ trainedOn: ['2026-01-01'] })).headers.location).toBe('/admin/staff?notice=bad-date');
    expect((await listed([])).headers.location).toBe('/admin/staff?notice=bad-date');
    expect((await admin.get('/admin/staff?notice=bad-date')).text).toContain('Enter the training date as a past date.');
    // A list where the form's fields belong is a form with none: each field says what it needs.
    const grant = await admin.post('/admin/staff').set('X-CSRF-Token', csrfOf(page.text)).send([referee.email, 'admin']);
    expect(grant.status).toBe(400);
    expect(grant.text).toContain('id="email-error" role="alert">Enter your email address<');
    expect(grant.text).toContain('Choose a role');
    expect(grant.text).not.toContain('Invalid input');
    const revoked = await admin.post(`/admin/staff/${id}/revoke`).type('form').send({ _csrf: csrfOf(page.text) });
    expect(revoked.headers.location).toBe('/admin/staff');
    const staff = t.app.get(StaffService);
    expect(await inContext(() => staff.rolesOf(id))).toEqual(['referee']);
    expect(await inContext(() => staff.canTakeCalls(id))).toBe(false);

    const { browser: supervisor } = await staffBrowser(['supervisor']);
    // A field sent twice is not one value: the search runs without it.
    const search = await supervisor.get(`/supervisor/audit?case=a&case=b&actor=${encodeURIComponent(referee.email)}&actor=x`);
    expect(search.status).toBe(200);
    expect(search.text).not.toContain(`value="${referee.email}"`);
  });
});

describe('the staff consoles in the reader’s language', () => {
  it('shows the staff page and the review queue in Spanish, role names and errors included', async () => {
    const { browser } = await staffBrowser(['admin', 'reviewer']);
    const page = await browser.get('/admin/staff').set('Accept-Language', 'es');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html lang="es" dir="ltr">');
    expect(page.text).toContain('<h1>Personal</h1>');
    expect(page.text).toContain('<caption>Cuentas del personal y sus roles</caption>');
    expect(page.text).toContain('<option value="reviewer">Revisor de documentos</option>');
    expect(page.text).toContain('<option value="admin">Administrador</option>');
    expect(page.text).not.toContain('Document reviewer');
    const bad = await browser.post('/admin/staff').set('Accept-Language', 'es').type('form').send({ _csrf: csrfOf(page.text), email: newEmail('es'), role: 'wizard' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Elija un rol');

    const queue = await browser.get('/agent/review').set('Accept-Language', 'es');
    expect(queue.text).toContain('<h1>Fila de revisión de documentos</h1>');
    expect(queue.text).toMatch(/<caption>(No hay casos en espera|\d+ casos? en espera, (el más antiguo|los más antiguos) primero)\. Un caso asignado vuelve a la fila tras 20 minutos sin actividad\.<\/caption>/);
    expect(queue.text).toContain('>Siguiente caso</button>');
  });
});

describe('the audit log', () => {
  it('records sign-ins and second-factor changes with who, when and from where, but no personal data', async () => {
    const { person } = await staffBrowser([]);
    const { rows: [account] } = await t.db.sql.query('select id from account where email = $1', [person.email]);
    const { rows } = await t.db.sql.query('select action, ip, details from audit_event where actor_id = $1 order by id', [account.id]);
    expect(rows.map((r) => r.action)).toEqual(['sign_in.password_accepted', 'mfa.method_added', 'sign_in.completed', 'mfa.backup_codes_generated']);
    expect(rows[0].ip).toMatch(/127\.0\.0\.1/);
    const everything = JSON.stringify((await t.db.sql.query('select * from audit_event')).rows);
    expect(everything).not.toContain(person.email);
    expect(everything).not.toContain(person.password);
  });

  it('refuses to change or delete a row, whatever the database role', async () => {
    await expect(t.db.sql.query(`update audit_event set action = 'nothing'`)).rejects.toThrow('audit_event is append-only: UPDATE refused');
    await expect(t.db.sql.query(`delete from audit_event`)).rejects.toThrow('audit_event is append-only: DELETE refused');
    await expect(t.db.sql.query(`truncate audit_event`)).rejects.toThrow('audit_event is append-only: TRUNCATE refused');
  });

  it('lets a supervisor search it by agent', async () => {
    const { person: agent } = await staffBrowser(['reviewer']);
    const { browser } = await staffBrowser(['supervisor']);
    const res = await browser.get(`/supervisor/audit?actor=${encodeURIComponent(agent.email)}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('sign_in.password_accepted');
    const unknown = await browser.get('/supervisor/audit?actor=nobody%40example.org');
    expect(unknown.text).toContain('No account has that email address');
  });

  it('stays verifiable when the database reorders an event\'s details (jsonb keeps shorter keys first)', async () => {
    const audit = t.app.get(AuditService);
    await audit.record({ action: 'documents.reviewed', details: { outcome: 'approved', decisions: { first: { decision: 'accepted', reasons: [] }, 'supporting:x': { decision: 'rejected', reasons: ['glare'] } } } });
    const { rows: [row] } = await t.db.sql.query(`select details::text from audit_event order by id desc limit 1`);
    expect(row.details).toContain('{"reasons": [], "decision": "accepted"}'); // read back in another order than written
    expect((await audit.verifyChain()).brokenAt).toBeNull();
  });

  it('stays verifiable whatever the order of an event\'s details (PostgreSQL reorders them)', async () => {
    const audit = t.app.get(AuditService);
    // As a call outcome and a refused passkey record them: keys jsonb stores in another order, one undefined.
    await audit.record({ action: 'video.outcome', details: { callId: 'c-1', room: 'r', recordingStartedAt: undefined, fraudSuspected: false, reason: 'ok', checked: ['a', 'b'] } });
    await audit.record({ action: 'sign_in.passkey_refused', ip: '203.0.113.9', details: { passwordless: true, reason: 'unknown', nested: { zeta: 1, a: [{ long: 1, s: 2 }] } } });
    expect(await audit.verifyChain()).toMatchObject({ brokenAt: null });
  });

  it('is chained: `npm run audit:verify` reports it intact, and names the first row changed behind its back', async () => {
    const audit = t.app.get(AuditService);
    expect((await audit.verifyChain()).brokenAt).toBeNull();
    const run = (): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/src/audit/audit-cli.js')], {
          env: { PATH: process.env.PATH!, DATABASE_URL: t.db.url, SESSION_SECRET: 'x'.repeat(43), LOG_LEVEL: 'silent' },
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const intact = await run();
    expect(intact.code).toBe(0);
    expect(intact.out).toMatch(/Audit chain intact: \d+ events checked\./);

    // Someone with the database owner's powers edits a row, bypassing the trigger.
    const { rows } = await t.db.sql.query(`select id from audit_event order by id limit 1 offset 2`);
    await t.db.sql.query(`alter table audit_event disable trigger append_only`);
    await t.db.sql.query(`update audit_event set action = 'sign_out' where id = $1`, [rows[0].id]);
    await t.db.sql.query(`alter table audit_event enable trigger append_only`);
    const broken = await run();
    expect(broken.code).toBe(2);
    expect(broken.out).toContain(`Audit chain BROKEN at event ${rows[0].id}: its content does not match its hash`);
  });
});

describe('development staff', () => {
  it('are created once at the first start in development, one per role, certified', async () => {
    const dev = await startTestApp({ NODE_ENV: 'development' });
    try {
      const { rows } = await dev.db.sql.query(`select a.email, s.role from staff_role s join account a on a.id = s.account_id order by s.role`);
      expect(rows.map((r) => r.role)).toEqual(['admin', 'referee', 'reviewer', 'supervisor', 'support']);
      expect(rows.every((r) => r.email === `${r.role}@referee.localhost`)).toBe(true);
      const certs = await dev.db.sql.query(`select count(*)::int as n from referee_certification`);
      expect(certs.rows[0].n).toBe(1);
    } finally {
      await dev.close();
    }
  });
});

describe('staff sign-in', () => {
  it('never skips the second factor for staff, even on a browser they ask to remember', async () => {
    const { person } = await staffBrowser(['reviewer']);
    const browser = t.browser();
    await passwordSignIn(browser, person);
    const page = await browser.get('/mfa/challenge');
    const { rows } = await t.db.sql.query(`select m.id from mfa_method m join account a on a.id = m.account_id where a.email = $1 and kind = 'totp'`, [person.email]);
    const res = await browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrfOf(page.text), method: rows[0].id, code: await codeFor(person.totpSecret!, 1), remember: 'yes' });
    expect(res.status).toBe(303);
    expect(String(res.headers['set-cookie'] ?? '')).not.toContain('referee-remember=');
  });
});

describe('staff in production', () => {
  it('sign in with a passkey or security key only: codes are refused and only passkeys can be set up', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production', LOG_LEVEL: 'silent', DEMO_ORGANIZATION: 'off' });
    try {
      const person = await createAccount(prod, `prod-staff.${Date.now()}@example.org`);
      await signIn(prod, person); // set up a code generator app while still an applicant
      await grantRoles(prod, person.email, ['reviewer']);

      const browser = prod.browser();
      await passwordSignIn(browser, person);
      const challenge = await browser.get('/mfa/challenge');
      expect(challenge.status).toBe(403);
      expect(challenge.text).toContain('Staff sign in with a passkey or security key');
      const { rows } = await prod.db.sql.query(`select m.id from mfa_method m join account a on a.id = m.account_id where a.email = $1 and kind = 'totp'`, [person.email]);
      const page = await browser.get('/sign-in');
      const code = await browser.post('/mfa/challenge/totp').type('form').send({ _csrf: csrfOf(page.text), method: rows[0].id, code: await codeFor(person.totpSecret!, 1) });
      expect(code.status).toBe(403);
      expect((await browser.get('/account')).status).toBe(303); // not signed in

      // New staff set up a passkey, nothing else.
      const newcomer = await createAccount(prod, `prod-newcomer.${Date.now()}@example.org`);
      await grantRoles(prod, newcomer.email, ['referee']);
      const n = prod.browser();
      await passwordSignIn(n, newcomer);
      const choices = await n.get('/mfa/setup');
      expect(choices.text).toContain('Set up a passkey');
      expect(choices.text).not.toContain('Set up a code generator app');
      expect((await n.get('/mfa/setup/totp')).headers.location).toBe('/mfa/setup/passkey');

      // An applicant in production keeps every kind of method.
      const applicant = await createAccount(prod, `prod-applicant.${Date.now()}@example.org`);
      const a = prod.browser();
      await passwordSignIn(a, applicant);
      const setup = await a.get('/mfa/setup');
      expect(setup.text).toContain('Set up a code generator app');
    } finally {
      await prod.close();
    }
  });
});
