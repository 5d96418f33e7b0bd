import { startTestApp, type TestApp } from './harness/app';
import { createAccount, grantRoles, signIn, type TestPerson } from './harness/accounts';
import { csrfOf, textOf } from './harness/forms';
import { emailCount, lastEmailTo } from './harness/outbox';

let t: TestApp;
let n = 0;
const newEmail = (who: string) => `${who}${++n}.${Date.now()}@example.org`;
type Browser = ReturnType<TestApp['browser']>;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

async function person(roles: Parameters<typeof grantRoles>[2] = [], who = 'applicant'): Promise<{ person: TestPerson; browser: Browser }> {
  const p = await createAccount(t, newEmail(roles.length ? roles.join('-') : who));
  if (roles.length) await grantRoles(t, p.email, roles);
  return { person: p, browser: await signIn(t, p) };
}

/** Opens `page` and posts its form to `action`, as a person filling it in would. */
async function submit(browser: Browser, page: string, action: string, fields: Record<string, string>) {
  const opened = await browser.get(page);
  return browser.post(action).type('form').send({ _csrf: csrfOf(opened.text), ...fields });
}

async function ask(browser: Browser, fields: Record<string, string>) {
  return submit(browser, '/support', '/support', { category: 'verification', message: 'How long does the document review take?', ...fields });
}

const idFrom = (location: string) => /\/support\/requests\/([0-9a-f-]{36})/.exec(location)![1];

async function auditActions(subject: string): Promise<{ action: string; actor_id: string | null; details: unknown }[]> {
  const { rows } = await t.db.sql.query('select action, actor_id, details from audit_event where subject = $1 order by id', [subject]);
  return rows;
}

describe('a support request, from question to answer', () => {
  it('is asked by an applicant, answered by a support agent, and the answer arrives by email and on the account', async () => {
    const { person: applicant, browser } = await person();
    const question = 'My passport photo page is worn. Will the Trusted Referee still accept it?';

    // The applicant asks.
    const form = await browser.get('/support');
    expect(form.status).toBe(200);
    expect(form.text).toContain(`We will answer by email to <strong>${applicant.email}</strong>`);
    expect(form.text).not.toContain('name="email"'); // signed in: the account answers
    expect(form.text).not.toMatch(/type="file"|enctype=/); // no attachments
    const sent = await ask(browser, { category: 'documents', message: question, caseReference: 'case-1234' });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toMatch(/^\/support\/requests\/[0-9a-f-]{36}\?sent=1$/);
    const id = idFrom(sent.headers.location);
    const { rows: [row] } = await t.db.sql.query('select * from support_request where id = $1', [id]);
    expect(row).toMatchObject({ category: 'documents', status: 'open', priority: false, case_reference: 'case-1234', message_count: 1, email_cipher: null });
    expect(row.reference).toMatch(/^RF-[2-9A-HJKMNP-TW-Z]{5}-[2-9A-HJKMNP-TW-Z]{5}$/);

    const received = await lastEmailTo(t.db.sql, applicant.email);
    expect(received!.subject).toBe(`We received your question (${row.reference})`);
    expect(received!.body).toContain(`/support/requests/${id}`);
    expect(received!.body).not.toContain(question); // an email never repeats what was typed into a form

    const mine = await browser.get(sent.headers.location);
    expect(mine.text).toContain('We received your question');
    expect(mine.text).toContain(question.replace(/'/g, '&#39;'));
    expect(textOf(mine.text, 'request-status')).toBe('Waiting for Referee');

    // A support agent finds it in the queue, reads it and answers.
    const { person: agent, browser: agentBrowser } = await person(['support']);
    const queue = await agentBrowser.get('/agent/support');
    expect(queue.status).toBe(200);
    expect(queue.text).toContain(row.reference);
    expect(queue.text).toContain(applicant.email);
    const page = await agentBrowser.get(`/agent/support/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(question.replace(/'/g, '&#39;'));
    expect(page.text).toContain('case-1234');
    const answer = 'Yes, if the photo, name and date of birth are readable.\nBring a second document too, in case.';
    const answered = await agentBrowser.post(`/agent/support/${id}/answer`).type('form').send({ _csrf: csrfOf(page.text), seen: '1', answer });
    expect(answered.status).toBe(303);
    expect(answered.headers.location).toBe(`/agent/support/${id}?answered=1`);

    // The answer reaches the applicant by email...
    const mail = await lastEmailTo(t.db.sql, applicant.email);
    expect(mail!.subject).toBe(`Referee support answered your question (${row.reference})`);
    expect(mail!.body).toContain(answer);
    expect(mail!.body).toContain(`/support/requests/${id}`);

    // ...and on their account.
    const account = await browser.get('/account');
    expect(account.text).toContain('href="/support/requests"');
    const list = await browser.get('/support/requests');
    expect(list.text).toContain(`href="/support/requests/${id}"`);
    expect(list.text).toContain('<strong>Answered</strong>');
    const shown = await browser.get(`/support/requests/${id}`);
    expect(shown.text).toContain('Yes, if the photo, name and date of birth are readable.<br />\nBring a second document too, in case.');
    expect(shown.text).toContain('Referee support');
    expect(textOf(shown.text, 'request-status')).toBe('Answered');

    // A follow-up puts it back in the queue.
    const replied = await submit(browser, `/support/requests/${id}`, `/support/requests/${id}/reply`, { message: 'Thank you. And a driving licence?' });
    expect(replied.headers.location).toBe(`/support/requests/${id}?replied=1`);
    const { rows: [after] } = await t.db.sql.query('select status, message_count from support_request where id = $1', [id]);
    expect(after).toEqual({ status: 'open', message_count: 3 });

    // The audit log: who asked, who read, who answered; no message text, no email address.
    const { rows: [agentRow] } = await t.db.sql.query('select id from account where email = $1', [agent.email]);
    const events = await auditActions(id);
    expect(events.map((e) => e.action)).toEqual(['support.request_created', 'support.request_viewed', 'support.answered']);
    expect(events[1].actor_id).toBe(agentRow.id);
    const log = JSON.stringify((await t.db.sql.query('select * from audit_event')).rows);
    expect(log).not.toContain('passport photo page');
    expect(log).not.toContain(applicant.email);
  });

  it('keeps messages and reply addresses encrypted at rest', async () => {
    const secret = `My ITIN is 912-70-${String(Date.now()).slice(-4)}`;
    const { browser } = await person();
    const sent = await ask(browser, { message: secret });
    const anonymous = await ask(t.browser(), { message: secret, email: 'stranger.cipher@example.org' });
    expect(anonymous.status).toBe(200);
    const { rows } = await t.db.sql.query(`select r.email_cipher, m.body_cipher from support_message m join support_request r on r.id = m.request_id`);
    const everything = JSON.stringify(rows);
    expect(everything).not.toContain('912-70');
    expect(everything).not.toContain('stranger.cipher@example.org');
    expect(rows.every((r) => r.body_cipher.startsWith('pii1.'))).toBe(true);
    expect((await browser.get(sent.headers.location)).text).toContain(secret);
  });
});

describe('what people type', () => {
  it('is shown as text, never as markup, to the person and to staff', async () => {
    const { browser } = await person();
    const typed = '<script>alert(1)</script><img src=x onerror=alert(2)> & "quotes"';
    const id = idFrom((await ask(browser, { message: typed })).headers.location);
    const { browser: agent } = await person(['support']);
    for (const page of [await browser.get(`/support/requests/${id}`), await agent.get(`/agent/support/${id}`)]) {
      expect(page.text).not.toContain('<script>alert(1)');
      expect(page.text).not.toContain('<img src=x');
      expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &quot;quotes&quot;');
    }
  });
});

describe('someone not signed in', () => {
  it('must give an email address, is answered there, and is never tied to an account', async () => {
    const browser = t.browser();
    const form = await browser.get('/support');
    expect(form.text).toContain('name="email"');
    const missing = await ask(browser, { email: '' });
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(/<title>Error: /);
    expect(missing.text).toContain('Enter your email address');

    // An address that has an account: the request still is not the account's.
    const { person: owner, browser: ownerBrowser } = await person();
    const before = await emailCount(t.db.sql, owner.email);
    const sent = await ask(browser, { email: ` ${owner.email.toUpperCase()} `, message: 'I cannot sign in any more.' });
    expect(sent.status).toBe(200);
    const reference = textOf(sent.text, 'support-reference')!;
    expect(reference).toMatch(/^RF-/);
    expect(await emailCount(t.db.sql, owner.email)).toBe(before + 1);
    const ack = await lastEmailTo(t.db.sql, owner.email);
    expect(ack!.body).toContain('If you did not contact Referee, you can ignore this email.');
    expect(ack!.body).not.toContain('I cannot sign in any more.');
    const { rows: [row] } = await t.db.sql.query('select id, account_id from support_request where reference = $1', [reference]);
    expect(row.account_id).toBeNull();
    expect((await ownerBrowser.get('/support/requests')).text).not.toContain(reference);
    expect((await ownerBrowser.get(`/support/requests/${row.id}`)).status).toBe(404);

    // The agent sees it is unconfirmed, and the answer goes to the address given.
    const { browser: agent } = await person(['support']);
    const page = await agent.get(`/agent/support/${row.id}`);
    expect(page.text).toContain('not signed in: this address is not confirmed to belong to any account');
    await agent.post(`/agent/support/${row.id}/answer`).type('form').send({ _csrf: csrfOf(page.text), seen: '1', answer: 'Reset your password from the sign-in page.' });
    const answer = await lastEmailTo(t.db.sql, owner.email);
    expect(answer!.subject).toBe(`Referee support answered your question (${reference})`);
    expect(answer!.body).toContain('Reset your password from the sign-in page.');
    expect(answer!.body).toContain(`give your reference, ${reference}`);
  });
});

describe('privacy between people', () => {
  it("answers 404 to anyone reading or writing to another person's request", async () => {
    const { browser: alice } = await person();
    const { browser: bob } = await person();
    const sent = await ask(alice, { message: 'Private question from Alice' });
    const id = idFrom(sent.headers.location);
    const seen = await bob.get(`/support/requests/${id}`);
    expect(seen.status).toBe(404);
    expect(seen.text).not.toContain('Private question from Alice');
    const page = await bob.get('/support/requests');
    expect(page.text).not.toContain(id);
    const reply = await bob.post(`/support/requests/${id}/reply`).type('form').send({ _csrf: csrfOf(page.text), message: 'Bob was here' });
    expect(reply.status).toBe(404);
    const empty = await bob.post(`/support/requests/${id}/reply`).type('form').send({ _csrf: csrfOf(page.text), message: '' });
    expect(empty.status).toBe(404);
    expect((await bob.get('/support/requests/not-a-uuid')).status).toBe(404);
    const { rows } = await t.db.sql.query('select count(*)::int as n from support_message where request_id = $1', [id]);
    expect(rows[0].n).toBe(1);
  });

  it('sends someone signed out to sign in before their requests', async () => {
    const res = await t.browser().get('/support/requests');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/sign-in?next=%2Fsupport%2Frequests');
  });

  it('keeps the queue and fraud reports to staff with the right role', async () => {
    const { browser: applicant } = await person();
    const { browser: support } = await person(['support']);
    const { browser: supervisor } = await person(['supervisor']);
    const { browser: reviewer } = await person(['reviewer']);
    for (const [browser, expected] of [
      [applicant, { '/agent/support': 403, '/supervisor/fraud-reports': 403 }],
      [reviewer, { '/agent/support': 403, '/supervisor/fraud-reports': 403 }],
      [support, { '/agent/support': 200, '/supervisor/fraud-reports': 403 }],
      [supervisor, { '/agent/support': 200, '/supervisor/fraud-reports': 200 }],
    ] as const) {
      for (const [path, status] of Object.entries(expected)) expect(`${path} ${(await browser.get(path)).status}`).toBe(`${path} ${status}`);
    }
    expect((await t.browser().get('/agent/support')).headers.location).toBe('/sign-in?next=%2Fagent%2Fsupport');
  });
});

describe('forms', () => {
  it('say what is wrong with each field, keeping what was typed', async () => {
    const browser = t.browser();
    const res = await submit(browser, '/support', '/support', { category: 'wizardry', message: 'x'.repeat(5001), caseReference: '<b>', email: 'nope' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Choose what your question is about');
    expect(res.text).toContain('Your message must be 5,000 characters or fewer (it has 5,001)');
    expect(res.text).toContain('Enter the reference as we gave it to you');
    expect(res.text).toContain('Enter an email address in the correct format');
    expect(res.text).toContain('value="&lt;b&gt;"');
    const blank = await submit(browser, '/support', '/support', { category: 'other', message: '   ', email: 'someone@example.org' });
    expect(blank.text).toContain('Enter your question');
  });

  it('answer a form with missing or odd fields with each field’s message next to it, never a 500', async () => {
    const browser = t.browser();
    const opened = await browser.get('/support');
    const empty = await browser.post('/support').type('form').send({ _csrf: csrfOf(opened.text) });
    expect(empty.status).toBe(400);
    expect(textOf(empty.text, 'category-error')).toBe('Choose what your question is about');
    expect(textOf(empty.text, 'message-error')).toBe('Enter your question');
    expect(textOf(empty.text, 'email-error')).toBe('Enter your email address');
    // A script sending lists and objects where text belongs gets the same page, what was text kept.
    const odd = await browser
      .post('/support')
      .set('X-CSRF-Token', csrfOf(opened.text))
      .send({ category: ['other', 'account'], message: { text: 'hi' }, caseReference: 42, email: 'kept@example.org' });
    expect(odd.status).toBe(400);
    expect(textOf(odd.text, 'message-error')).toBe('Enter your question');
    expect(odd.text).toContain('value="kept@example.org"');

    const { browser: applicant } = await person();
    const id = idFrom((await ask(applicant, { message: 'A question to follow up' })).headers.location);
    const reply = await submit(applicant, `/support/requests/${id}`, `/support/requests/${id}/reply`, {});
    expect(reply.status).toBe(400);
    expect(textOf(reply.text, 'message-error')).toBe('Enter your message');
    const { browser: agent } = await person(['support']);
    const answer = await submit(agent, `/agent/support/${id}`, `/agent/support/${id}/answer`, { seen: 'many', close: 'yes' });
    expect(answer.status).toBe(400);
    expect(textOf(answer.text, 'answer-error')).toBe('Enter your answer');
    expect(textOf((await applicant.get(`/support/requests/${id}`)).text, 'request-status')).toBe('Waiting for Referee'); // nothing sent, nothing closed
  });

  it('count a line break as one character, as the browser does', async () => {
    const res = await ask(t.browser(), { message: `${'x'.repeat(2499)}\r\n${'y'.repeat(2500)}`, email: 'line.breaks@example.org' });
    expect(res.status).toBe(200);
  });

  it('refuse a post without the anti-CSRF token', async () => {
    const res = await t.browser().post('/support').type('form').send({ category: 'other', message: 'hello', email: 'csrf@example.org' });
    expect(res.status).toBe(403);
    const fraud = await t.browser().post('/help/report-fraud').type('form').send({ kind: 'video_link', email: 'csrf@example.org' });
    expect(fraud.status).toBe(403);
  });

  it('preselect a category or a kind of fraud from the link', async () => {
    expect((await t.browser().get('/support?category=privacy')).text).toMatch(/<option value="privacy" selected>/);
    expect((await t.browser().get('/help/report-fraud?kind=video_link')).text).toMatch(/value="video_link" checked>/);
    expect((await t.browser().get('/help/report-fraud?kind=%22%3E')).text).not.toMatch(/checked>/);
  });
});

describe('two agents answering at once', () => {
  it('sends only the first answer; the second agent is shown the new message instead', async () => {
    const { person: applicant, browser } = await person();
    const id = idFrom((await ask(browser, { message: 'Two agents, one question' })).headers.location);
    const { browser: first } = await person(['support']);
    const { browser: second } = await person(['support']);
    const firstPage = await first.get(`/agent/support/${id}`);
    const secondPage = await second.get(`/agent/support/${id}`);
    const before = await emailCount(t.db.sql, applicant.email);
    const a = await first.post(`/agent/support/${id}/answer`).type('form').send({ _csrf: csrfOf(firstPage.text), seen: '1', answer: 'First answer' });
    const b = await second.post(`/agent/support/${id}/answer`).type('form').send({ _csrf: csrfOf(secondPage.text), seen: '1', answer: 'Second answer' });
    expect(a.status).toBe(303);
    expect(b.status).toBe(409);
    expect(b.text).toContain('New messages arrived while you were writing');
    expect(b.text).toContain('First answer');
    expect(b.text).toContain('>Second answer</textarea>'); // the draft is kept
    expect(await emailCount(t.db.sql, applicant.email)).toBe(before + 1);
  });

  it('lets an agent close a request without answering', async () => {
    const { browser } = await person();
    const id = idFrom((await ask(browser, { message: 'Please ignore' })).headers.location);
    const { browser: agent } = await person(['support']);
    const page = await agent.get(`/agent/support/${id}`);
    const closed = await agent.post(`/agent/support/${id}/close`).type('form').send({ _csrf: csrfOf(page.text) });
    expect(closed.headers.location).toBe(`/agent/support/${id}?closed=1`);
    expect(textOf((await browser.get(`/support/requests/${id}`)).text, 'request-status')).toBe('Closed');
    expect((await auditActions(id)).map((e) => e.action)).toContain('support.closed');
  });
});

describe('fraud reports', () => {
  it('"Someone sent me a video call link": a priority request for supervisors, an audit event, and next steps for the person', async () => {
    const { person: reporter, browser } = await person();
    // An older ordinary question, to see the report overtake it in the queue.
    await ask(browser, { message: 'An ordinary question, asked first' });
    const page = await browser.get('/help/report-fraud?kind=video_link');
    expect(page.status).toBe(200);
    const res = await browser.post('/help/report-fraud').type('form').send({ _csrf: csrfOf(page.text), kind: 'video_link', details: 'A WhatsApp message with a meet link' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('We received your report');
    expect(res.text).toContain('Do not open the link');
    expect(res.text).toContain('href="/password-reset"');
    const reference = textOf(res.text, 'support-reference')!;

    const { rows: [row] } = await t.db.sql.query('select * from support_request where reference = $1', [reference]);
    expect(row).toMatchObject({ category: 'fraud', fraud_kind: 'video_link', priority: true, status: 'open', reviewed_at: null });
    const events = await auditActions(row.id);
    expect(events).toEqual([expect.objectContaining({ action: 'fraud.reported', details: { kind: 'video_link', signedIn: true } })]);
    const mail = await lastEmailTo(t.db.sql, reporter.email);
    expect(mail!.subject).toBe(`We received your fraud report (${reference})`);
    expect(mail!.body).toContain('What to do now:');
    expect(mail!.body).toContain('1. Do not open the link');
    expect(mail!.body).toContain(`${t.config.baseUrl}/password-reset`);
    expect(mail!.body).not.toContain('WhatsApp');

    // First in the support queue, and listed for supervisors.
    const { browser: agent } = await person(['support']);
    const queue = (await agent.get('/agent/support')).text;
    const position = (ref: string) => queue.indexOf(ref);
    const { rows: [ordinary] } = await t.db.sql.query(`select reference from support_request where account_id = $1 and category <> 'fraud'`, [row.account_id]);
    expect(position(reference)).toBeGreaterThan(-1);
    expect(position(reference)).toBeLessThan(position(ordinary.reference));
    const fraudOnly = (await agent.get('/agent/support?fraud=1')).text;
    expect(fraudOnly).toContain(reference);
    expect(fraudOnly).not.toContain(ordinary.reference);

    const { person: supervisorPerson, browser: supervisor } = await person(['supervisor']);
    const list = await supervisor.get('/supervisor/fraud-reports');
    expect(list.text).toContain(reference);
    expect(list.text).toContain('Someone sent me a video call link');
    const marked = await supervisor.post(`/supervisor/fraud-reports/${row.id}/reviewed`).type('form').send({ _csrf: csrfOf(list.text) });
    expect(marked.headers.location).toBe('/supervisor/fraud-reports?notice=reviewed');
    const { rows: [supervisorRow] } = await t.db.sql.query('select id from account where email = $1', [supervisorPerson.email]);
    const { rows: [reviewed] } = await t.db.sql.query('select reviewed_at, reviewed_by from support_request where id = $1', [row.id]);
    expect(reviewed.reviewed_by).toBe(supervisorRow.id);
    expect((await auditActions(row.id)).map((e) => e.action)).toEqual(['fraud.reported', 'fraud.report_reviewed']);

    // The reporter follows it on their account.
    expect((await browser.get('/support/requests')).text).toContain(reference);
  });

  it('"I think someone is verifying as me", from someone who cannot sign in: an email is required, and the steps arrive there', async () => {
    const browser = t.browser();
    const page = await browser.get('/help/report-fraud');
    expect(page.text).toContain('I think someone is verifying as me');
    const noEmail = await browser.post('/help/report-fraud').type('form').send({ _csrf: csrfOf(page.text), kind: 'someone_verifying_as_me' });
    expect(noEmail.status).toBe(400);
    expect(noEmail.text).toContain('Enter your email address');
    const noKind = await browser.post('/help/report-fraud').type('form').send({ _csrf: csrfOf(page.text), email: 'victim@example.org' });
    expect(noKind.text).toContain('Choose what happened');

    const res = await browser.post('/help/report-fraud').type('form').send({ _csrf: csrfOf(page.text), kind: 'someone_verifying_as_me', email: 'victim@example.org' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Change your password');
    expect(res.text).toContain('href="https://www.identitytheft.gov/"');
    const reference = textOf(res.text, 'support-reference')!;
    const mail = await lastEmailTo(t.db.sql, 'victim@example.org');
    expect(mail!.subject).toBe(`We received your fraud report (${reference})`);
    const { rows: [row] } = await t.db.sql.query('select id, account_id, priority from support_request where reference = $1', [reference]);
    expect(row).toMatchObject({ account_id: null, priority: true });
    expect((await auditActions(row.id))[0]).toMatchObject({ action: 'fraud.reported', actor_id: null, details: { kind: 'someone_verifying_as_me', signedIn: false } });
  });
});

describe('in the reader’s language', () => {
  it('shows the contact page in Arabic, right to left, and in Spanish, its choices translated too', async () => {
    const arabic = await t.browser().get('/support').set('Accept-Language', 'ar');
    expect(arabic.text).toContain('<html lang="ar" dir="rtl">');
    expect(arabic.text).toMatch(/<h1>الاتصال بالدعم<\/h1>/);
    expect(arabic.text).toContain('<option value="documents">مستنداتك</option>');
    expect(arabic.text).toContain('<label class="usa-label" for="message">سؤالك</label>');
    expect(arabic.text).toContain('<a class="usa-link" href="/help">مركز المساعدة</a>');
    expect(arabic.text).not.toContain('Contact support</h1>');

    const spanish = await t.browser().get('/support?category=privacy').set('Accept-Language', 'es-MX,es;q=0.9');
    expect(spanish.text).toContain('<html lang="es" dir="ltr">');
    expect(spanish.text).toContain('<h1>Contactar con soporte</h1>');
    expect(spanish.text).toContain('<option value="privacy" selected>La privacidad y sus datos, incluida la solicitud de que los eliminemos</option>');
    expect(spanish.text).toContain('Nunca envíe su contraseña');
    expect(spanish.text).toContain('>Enviar</button>');
    expect(spanish.text).not.toContain('What is it about?');
  });

  it('says what is wrong in French, next to the field it is about', async () => {
    const browser = t.browser();
    const page = await browser.get('/support').set('Accept-Language', 'fr');
    const res = await browser
      .post('/support')
      .set('Accept-Language', 'fr')
      .type('form')
      .send({ _csrf: csrfOf(page.text), category: 'wizardry', message: 'x'.repeat(5001), caseReference: '<b>', email: 'french.errors@example.org' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<title>Erreur\u202f: /);
    // Each message sits in its field's group, and the field points at it.
    expect(textOf(res.text, 'category-error')).toBe('Choisissez le sujet de votre question');
    expect(textOf(res.text, 'message-error')).toMatch(/^Votre message doit compter 5\s000 caractères au plus \(il en compte 5\s001\)$/u);
    expect(textOf(res.text, 'caseReference-error')).toContain('Saisissez la référence telle que nous vous l’avons donnée');
    expect(res.text).toMatch(/<textarea [^>]*id="message"[^>]*aria-describedby="message-info message-hint message-error"/);
    expect(res.text).toMatch(/<a class="usa-link" href="#message">Votre message doit compter/);
    expect(res.text).not.toContain('Choose what your question is about');
  });

  it('answers a signed-in person in their account’s language', async () => {
    const { person: asker, browser } = await person();
    const account = await browser.get('/account');
    await browser.post('/language').type('form').send({ _csrf: csrfOf(account.text), language: 'es', returnTo: '/account' });
    const sent = await ask(browser, { category: 'documents', message: '¿Sirve un pasaporte caducado?' });
    const id = idFrom(sent.headers.location);
    const { rows: [row] } = await t.db.sql.query('select reference from support_request where id = $1', [id]);

    const received = await lastEmailTo(t.db.sql, asker.email);
    expect(received!.subject).toBe(`Recibimos su consulta (${row.reference})`);
    expect(received!.body).toContain('Gracias por ponerse en contacto con el soporte de Referee sobre: Sus documentos.');
    expect(received!.body).toContain(`/support/requests/${id}`);

    // The agent works in English; the answer goes out in Spanish.
    const { browser: agent } = await person(['support']);
    const page = await agent.get(`/agent/support/${id}`).set('Accept-Language', 'en');
    expect(page.text).toContain('Your documents');
    await agent.post(`/agent/support/${id}/answer`).type('form').send({ _csrf: csrfOf(page.text), seen: '1', answer: 'No, debe estar vigente.' });
    const answer = await lastEmailTo(t.db.sql, asker.email);
    expect(answer!.subject).toBe(`El soporte de Referee respondió a su consulta (${row.reference})`);
    expect(answer!.body).toContain(`El soporte de Referee respondió a su consulta (${row.reference}):\n\nNo, debe estar vigente.`);
    expect(answer!.body).toContain(`Léala en su cuenta y responda allí si lo necesita:\n${t.config.baseUrl}/support/requests/${id}`);
    expect(answer!.body).toContain('El personal de Referee nunca le pedirá su contraseña');
    expect(answer!.body).not.toContain('Referee support answered');

    // Their own page is in Spanish too.
    const shown = await browser.get(`/support/requests/${id}`);
    expect(textOf(shown.text, 'request-status')).toBe('Respondida');
  });

  it('answers someone without an account in the language of the page they asked from', async () => {
    const browser = t.browser();
    const email = newEmail('arabic.stranger');
    const page = await browser.get('/support').set('Accept-Language', 'ar');
    const sent = await browser
      .post('/support')
      .set('Accept-Language', 'ar')
      .type('form')
      .send({ _csrf: csrfOf(page.text), category: 'video_call', message: 'متى يمكنني حجز موعد؟', email });
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('<h1>تلقّينا سؤالك</h1>');
    const reference = textOf(sent.text, 'support-reference')!;
    const { rows: [row] } = await t.db.sql.query('select id, language from support_request where reference = $1', [reference]);
    expect(row.language).toBe('ar');
    const received = await lastEmailTo(t.db.sql, email);
    expect(received!.subject).toBe(`تلقّينا سؤالك (\u2068\u200e${reference}\u2069)`);
    expect(received!.body).toContain('إن لم يكن التواصل مع Referee منك، فيمكنك تجاهل هذه الرسالة.');

    const { browser: agent } = await person(['support']);
    // An agent may read Arabic too: the queue speaks it, and the request is shown as not signed in.
    const queue = await agent.get(`/agent/support?reference=${reference}`).set('Accept-Language', 'ar');
    expect(queue.text).toContain('<h1>قائمة انتظار الدعم</h1>');
    expect(queue.text).toContain(`الطلبات ذات الرقم المرجعي \u2068\u200e<bdi class="referee-reference">${reference}</bdi>\u2069`);
    expect(queue.text).toContain('>مكالمات الفيديو والمواعيد</td>');
    expect(queue.text).toContain('>لم يسجّل الدخول</td>');
    expect(queue.text).toContain('>بانتظار Referee</td>');
    const agentPage = await agent.get(`/agent/support/${row.id}`);
    await agent.post(`/agent/support/${row.id}/answer`).type('form').send({ _csrf: csrfOf(agentPage.text), seen: '1', answer: 'Book from your account.' });
    const answer = await lastEmailTo(t.db.sql, email);
    expect(answer!.subject).toBe(`ردّ دعم Referee على سؤالك (\u2068\u200e${reference}\u2069)`);
    expect(answer!.body).toContain('Book from your account.');
    expect(answer!.body).toContain(`للرد، يُرجى التواصل معنا مرة أخرى عبر ${t.config.baseUrl}/support وذكر رقمك المرجعي، \u2068\u200e${reference}\u2069.`);
  });

  it('sends the steps after a fraud report in the language of the report form', async () => {
    const browser = t.browser();
    const email = newEmail('french.victim');
    const page = await browser.get('/help/report-fraud').set('Accept-Language', 'fr');
    expect(page.text).toContain('Quelqu’un m’a envoyé un lien d’appel vidéo');
    // The person's browser says English when they send it: the page they filled in was French.
    const res = await browser.post('/help/report-fraud').type('form').send({ _csrf: csrfOf(page.text), kind: 'video_link', email, language: 'fr' });
    expect(res.status).toBe(200);
    const reference = textOf(res.text, 'support-reference')!;
    const mail = await lastEmailTo(t.db.sql, email);
    expect(mail!.subject).toBe(`Nous avons reçu votre signalement de fraude (${reference})`);
    expect(mail!.body).toContain('Que faire maintenant\u202f:\n1. N’ouvrez pas le lien');
    expect(mail!.body).toContain(`Réinitialiser votre mot de passe\u202f: ${t.config.baseUrl}/password-reset`);
    expect(mail!.body).not.toContain('Do not open the link');

    // Supervisors see the report listed in their own language.
    const { browser: supervisor } = await person(['supervisor']);
    const list = await supervisor.get('/supervisor/fraud-reports').set('Accept-Language', 'es');
    expect(list.text).toContain('<h1>Denuncias de fraude</h1>');
    expect(list.text).toMatch(new RegExp(`${reference}</bdi></a></th>\\s*<td data-label="Qué ocurrió">Alguien me envió un enlace de videollamada</td>`));
    expect(list.text).toContain('Marcar como revisada');
  });
});

describe('rate limits', () => {
  it('stop a flood of requests from one person, and of fraud reports, separately', async () => {
    const own = await startTestApp();
    try {
      const person = await createAccount(own, newEmail('flood'));
      const browser = await signIn(own, person);
      const page = await browser.get('/support');
      const post = () => browser.post('/support').type('form').send({ _csrf: csrfOf(page.text), category: 'other', message: 'again' });
      for (let i = 0; i < 5; i++) expect((await post()).status).toBe(303);
      const blocked = await post();
      expect(blocked.status).toBe(429);
      expect(blocked.headers['retry-after']).toBeDefined();
      // Fraud reports still get through.
      const fraud = await browser.post('/help/report-fraud').type('form').send({ _csrf: csrfOf(page.text), kind: 'video_link' });
      expect(fraud.status).toBe(200);
      const { rows } = await own.db.sql.query('select count(*)::int as n from support_request');
      expect(rows[0].n).toBe(6);
    } finally {
      await own.close();
    }
  });
});
