import sharp from 'sharp';
import { createAccount, grantRoles, signIn } from './harness/accounts';
import { startTestApp, type TestApp } from './harness/app';
import { applicantAtDocuments, photo, storedFiles, submitDocuments, uploadAll, uploadFile } from './harness/documents';
import { csrfOf } from './harness/forms';
import { lastEmailTo, lastTextTo } from './harness/outbox';
import { DocumentRetentionService } from '../src/documents/document-retention.service';
import { ReviewDecisionsService } from '../src/documents/review-decisions.service';
import { ReviewQueueService } from '../src/documents/review-queue.service';
import { REJECT_REASONS, reasonText } from '../src/documents/document-review.entity';
import { HINTS, checkFile } from '../src/documents/images';
import { sidesOf } from '../src/documents/sides';
import { LANGUAGE_CODES } from '../src/i18n/languages';
import { Messages } from '../src/i18n/messages';
import { CATALOG, addressProof, supportingDocuments } from '../src/verification/catalog';
import type { Applicant } from './harness/verification';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());


async function fileRows(a: { row(): Promise<Record<string, any>> }) {
  const c = await a.row();
  const { rows } = await t.db.sql.query('select * from document_file where verification_case_id = $1', [c.id]);
  return rows;
}

async function reviewer(label: string) {
  const person = await createAccount(t, `${label}.${Date.now()}@referee.example`);
  await grantRoles(t, person.email, ['reviewer']);
  const browser = await signIn(t, person);
  const post = async (path: string, fields: Record<string, string | string[]> = {}) => {
    const page = await browser.get('/agent/review');
    return browser.post(path).type('form').send({ _csrf: csrfOf(page.text), ...fields });
  };
  return { person, browser, post };
}

describe('image checks', () => {
  it('normalises a real photo: upright, EXIF/GPS stripped, JPEG, with hints for small, dark and blurry ones', async () => {
    const withExif = await sharp(await photo(1200, 800)).withMetadata({ orientation: 6, exif: { IFD0: { Make: 'Phone' } } }).jpeg().toBuffer();
    const checked = await checkFile(withExif, false);
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const meta = await sharp(checked.data).metadata();
    expect([meta.format, meta.width, meta.height, meta.exif, meta.orientation]).toEqual(['jpeg', 800, 1200, undefined, undefined]);
    expect(checked.hints).toEqual([]);
    const small = await checkFile(await photo(600, 400), false);
    expect(small.ok && small.hints).toEqual(['small']);
    const dark = await checkFile(await photo(1600, 1000, { dark: true }), false);
    expect(dark.ok && dark.hints).toContain('dark');
    const blurry = await checkFile(await photo(1600, 1000, { flat: true }), false);
    expect(blurry.ok && blurry.hints).toContain('blurry');
  });

  it('has words in every language for every rejection reason, image hint and document side it shows', () => {
    const messages = new Messages();
    const keys = [
      ...REJECT_REASONS.map(reasonText),
      ...Object.values(HINTS),
      ...[...CATALOG.values()].flatMap((doc) => sidesOf(doc).map((side) => side.text)),
    ];
    expect(keys.length).toBeGreaterThan(15);
    for (const language of LANGUAGE_CODES) for (const key of keys) expect([language, key, messages.has(key, language)]).toEqual([language, key, true]);
    expect(messages.text('fr', reasonText('glare'))).toBe('Reflets');
  });

  it('refuses a PNG declaring 100,000 × 100,000 pixels before decoding it', async () => {
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#888' } }).png().toBuffer();
    // IHDR width and height live at bytes 16–23; the CRC is not checked before the limit.
    png.writeUInt32BE(100_000, 16);
    png.writeUInt32BE(100_000, 20);
    const checked = await checkFile(png, false);
    expect(checked).toMatchObject({ ok: false });
    expect(!checked.ok && checked.message).toMatch(/^documents\.errors\.(tooManyPixels|unreadable)$/);
  });
});

describe('applicant uploads', () => {
  it('stores a checked photo encrypted, records its SHA-256, shows it only to its owner with no-store', async () => {
    const a = await applicantAtDocuments(t, 'up');
    const page = await a.browser.get('/documents');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Foreign (non-U.S.) passport');
    expect(page.text).toContain('enctype="multipart/form-data"');
    const image = await photo();
    const res = await uploadFile(a, 'first', 'photo_page', image);
    expect(res.status).toBe(303);
    const [row] = await fileRows(a);
    expect(row).toMatchObject({ item: 'first', side: 'photo_page', mime: 'image/jpeg' });
    expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    // On disk: ciphertext only, never under static/. (Any 3 bytes, such as the JPEG marker, turn
    // up by chance in random bytes of this size; 32-byte runs of the image never do.)
    const onDisk = storedFiles(t).find((p) => p.endsWith(row.storage_key))!;
    expect(onDisk).toBeDefined();
    const { readFileSync } = await import('node:fs');
    const sealed = readFileSync(onDisk);
    const mine = await a.browser.get(`/documents/file/${row.id}`);
    expect(mine.status).toBe(200);
    const plain = mine.body as Buffer;
    expect(sealed.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
    for (const at of [0, 100, Math.floor(plain.length / 2), plain.length - 32]) {
      expect(sealed.includes(plain.subarray(at, at + 32))).toBe(false);
    }
    expect(mine.headers['cache-control']).toBe('no-store');
    expect(mine.headers['content-type']).toBe('image/jpeg');
    expect((await sharp(mine.body).metadata()).format).toBe('jpeg');
    // Another applicant: 404.
    const other = await applicantAtDocuments(t, 'other');
    expect((await other.browser.get(`/documents/file/${row.id}`)).status).toBe(404);
  });

  it('refuses malicious and broken files with a clear message, storing nothing', async () => {
    const a = await applicantAtDocuments(t, 'bad');
    const before = storedFiles(t).length;
    const html = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
    const cases: [Buffer, number, RegExp][] = [
      [html, 415, /not a photo we can read/],
      [Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(2000, 1)]), 415, /not a photo we can read/],
      [(await photo()).subarray(0, 20_000), 400, /damaged|incomplete/],
      [Buffer.alloc(16 * 1024 * 1024, 0xff), 413, /larger than 15 MB/],
    ];
    for (const [data, status, message] of cases) {
      const res = await uploadFile(a, 'first', 'photo_page', data, 'passport.jpg');
      expect([res.status, message.test(res.text)]).toEqual([status, true]);
      expect(res.text).toContain('Error:');
    }
    const bomb = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#888' } }).png().toBuffer();
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    const bombRes = await uploadFile(a, 'first', 'photo_page', bomb, 'bomb.png');
    expect(bombRes.status).toBe(400);
    expect(await fileRows(a)).toEqual([]);
    expect(storedFiles(t).length).toBe(before);
  });

  it('refuses a multipart upload without the CSRF field before the file', async () => {
    const a = await applicantAtDocuments(t, 'csrf');
    const res = await a.browser.post('/documents/upload/first/photo_page').attach('file', await photo(), 'p.jpg');
    expect(res.status).toBe(403);
    expect(await fileRows(a)).toEqual([]);
  });

  it('holds at most 40 files per case', async () => {
    const a = await applicantAtDocuments(t, 'quota');
    const c = await a.row();
    await t.db.sql.query(
      `insert into document_file (id, verification_case_id, item, document_type, side, storage_key, wrapped_key, sha256, mime, bytes, hints, via, created_at)
       select gen_random_uuid(), $1, 'second', 'utility_bill', 'old' || n, gen_random_uuid()::text, 'x', 'x', 'image/jpeg', 1, '[]', 'upload', now()
       from generate_series(1, 40) n`,
      [c.id],
    );
    const res = await uploadFile(a, 'first', 'photo_page', await photo());
    expect(res.status).toBe(429);
    expect(res.text).toContain('40 files');
  });

  it('does not submit until every required side is sent', async () => {
    const a = await applicantAtDocuments(t, 'missing');
    const res = await submitDocuments(a);
    expect(res.status).toBe(400);
    expect(res.text).toContain('before you continue');
  });
});

describe('the upload page (one form per document, photos held for a check, the bill as proof of address)', () => {
  /** Sends a document's form as the page does: the CSRF field, then a file per side, named by the side. */
  async function sendDocument(a: Applicant, item: string, files: Record<string, Buffer>) {
    const page = await a.browser.get('/documents');
    let req = a.browser.post(`/documents/upload/${item}`).field('_csrf', csrfOf(page.text));
    for (const [side, data] of Object.entries(files)) req = req.attach(side, data, { filename: `${side}.jpg`, contentType: 'image/jpeg' });
    return req;
  }

  it('offers Take Photo and Choose Image for each side, one Send per document, the optional pages folded away, and the phone number given', async () => {
    const a = await applicantAtDocuments(t, 'page');
    const page = await a.browser.get('/documents');
    // One form per document (passport, bill), each with one submit button.
    expect(page.text.match(/action="\/documents\/upload\/[^"]+"/g)).toEqual(['action="/documents/upload/first"', 'action="/documents/upload/second"']);
    expect(page.text.match(/>Send photos</g)).toHaveLength(2);
    expect(page.text).not.toContain('>Upload<');
    // Take Photo opens the camera; Choose Image the files; both labelled, in the page's words.
    expect(page.text).toContain('<input class="usa-sr-only referee-pickers__input" type="file" id="photo-0-photo_page" name="photo_page" accept="image/*" capture="environment"');
    expect(page.text).toMatch(/<label class="usa-button referee-pickers__button referee-pickers__take" for="photo-0-photo_page">Take Photo<\/label>/);
    expect(page.text).toMatch(/for="file-0-photo_page">Choose Image<\/label>/);
    // The bill's pages 2 and 3 are folded under "Add another page (optional)", page 1 is not.
    const details = /<details class="referee-more-pages">([\s\S]*?)<\/details>/.exec(page.text)![1];
    expect(details).toContain('Add another page (optional)');
    expect(details).toContain('id="file-1-page2"');
    expect(details).not.toContain('id="file-1-page1"');
    // Tips with drawings, each described.
    for (const tip of ['good', 'glare', 'edges', 'blur']) expect(page.text).toMatch(new RegExp(`src="/static/img/photo-tips/${tip}.svg" alt="Drawing of [^"]+"`));
    // "Text me a link": the number given with the details.
    expect(page.text).toMatch(/<option value="FR" selected/);
    expect(page.text).toContain('value="01 42 68 53 00"');
    // Both pages of the bill in one post.
    const both = await sendDocument(a, 'second', { page1: await photo(), page2: await photo(1400, 1800) });
    expect(both.status).toBe(303);
    expect((await fileRows(a)).map((r) => r.side).sort()).toEqual(['page1', 'page2']);
    // A page with a photo stays unfolded.
    expect((await a.browser.get('/documents')).text).toContain('<details class="referee-more-pages" open>');
  });

  it('holds a dark photo: not sent until "Use this photo anyway"; "Take another photo" deletes it', async () => {
    const a = await applicantAtDocuments(t, 'held');
    const dark = await photo(1600, 1000, { dark: true });
    expect((await sendDocument(a, 'first', { photo_page: dark })).status).toBe(303);
    expect((await sendDocument(a, 'second', { page1: await photo() })).status).toBe(303);
    let page = await a.browser.get('/documents');
    expect(page.text).toContain('This photo is not sent yet: check it first.');
    expect(page.text).toContain('This photo looks dark.');
    const [held] = (await fileRows(a)).filter((r) => r.item === 'first');
    expect(held.held).toBe(true);
    // Held: Continue still asks for the passport.
    const early = await submitDocuments(a);
    expect(early.status).toBe(400);
    expect(early.text).toContain('Send your passport before you continue');
    // "Take another photo": gone, and the page offers the camera again.
    const retake = await a.post(`/documents/held/${held.id}`, { choice: 'retake' });
    expect([retake.status, retake.headers.location]).toEqual([303, '/documents#photo-0-photo_page']);
    expect((await fileRows(a)).filter((r) => r.item === 'first')).toEqual([]);
    expect((await a.browser.get(`/documents/file/${held.id}`)).status).toBe(404);
    // Again dark, and this time "Use this photo anyway": it counts, and Continue goes on.
    expect((await sendDocument(a, 'first', { photo_page: dark })).status).toBe(303);
    const [again] = (await fileRows(a)).filter((r) => r.item === 'first');
    expect((await a.post(`/documents/held/${again.id}`, { choice: 'use' })).status).toBe(303);
    page = await a.browser.get('/documents');
    expect(page.text).not.toContain('This photo is not sent yet');
    expect((await submitDocuments(a)).headers.location).toBe('/documents/review');
    // Someone else's file: 404.
    const other = await applicantAtDocuments(t, 'held-other');
    expect((await other.post(`/documents/held/${again.id}`, { choice: 'use' })).status).toBe(404);
  });

  it('a bill or statement showing a non-U.S. address is also the proof of that address; the reviewer is told to compare it', async () => {
    // The catalog's rule: bills and statements of the last 90 days, for people living outside the U.S.
    const outside = { residesOutsideUs: true };
    expect(['utility_bill', 'pay_stub', 'medical_bill', 'bank_statement'].map((k) => addressProof(CATALOG.get(k), outside))).toEqual([true, true, true, true]);
    expect(addressProof(CATALOG.get('w2_form'), outside)).toBe(false);
    expect(addressProof(CATALOG.get('bank_statement'), { residesOutsideUs: false })).toBe(false);
    expect(supportingDocuments({ identifier: 'none', nameChanged: false, nameDiffers: false, addressProven: true }).map((d) => d.key)).toEqual([]);
    expect(supportingDocuments({ identifier: 'none', nameChanged: false, nameDiffers: false, addressProven: false }).map((d) => d.key)).toEqual(['proof_of_non_us_address']);

    // The passport and a utility bill, living in France: no separate proof of address asked.
    const a = await applicantAtDocuments(t, 'proof');
    const page = await a.browser.get('/documents');
    expect(page.text).not.toContain('Proof of a non-U.S. address');
    expect(page.text).toContain('this document is also your proof of address');
    await uploadAll(a);
    expect((await submitDocuments(a)).headers.location).toBe('/documents/review');
    await t.db.sql.query(`update document_review set decided_at = now() where decided_at is null and case_id <> $1`, [(await a.row()).id]);
    const r = await reviewer('rev-proof');
    const next = await r.post('/agent/review/next');
    const review = await r.browser.get(next.headers.location);
    expect(review.text).toContain('This document is also the proof of the applicant’s non-U.S. address: compare the address on it with the address entered.');
    expect(review.text.match(/data-proof-of-address/g)).toHaveLength(1);
  });
});

describe('Take Photo (a one-time link by SMS)', () => {
  it('texts a link; the phone page (no sign-in) uploads; the desktop page shows the photo; the link expires; 5 sends per 10 minutes', async () => {
    const a = await applicantAtDocuments(t, 'phone');
    const sent = await a.post('/documents/phone', { country: 'FR', number: '06 12 34 56 78' });
    expect(sent.status).toBe(303);
    const sms = [(await lastTextTo(t.db.sql, '+33612345678'))!];
    const link = /\/capture\/([A-Za-z0-9_-]{43})/.exec(sms[0].body)!;
    expect(link).toBeTruthy();
    // The token is stored only hashed.
    const { rows: links } = await t.db.sql.query(`select token_hash from link where purpose = 'capture_photos'`);
    expect(links.some((l: any) => l.token_hash === link[1])).toBe(false);
    const desktop = await a.browser.get('/documents');
    expect(desktop.text).toContain('phone ending in 5678');
    expect(desktop.text).toContain('hx-trigger="every 3s"');

    const phone = t.browser();
    const page = await phone.get(`/capture/${link[1]}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('capture="environment"');
    const up = await phone.post(`/capture/${link[1]}/upload/first/photo_page`).field('_csrf', csrfOf(page.text)).attach('file', await photo(), 'IMG_0001.jpg');
    expect(up.status).toBe(303);
    const [row] = await fileRows(a);
    expect(row).toMatchObject({ item: 'first', side: 'photo_page', via: 'phone' });
    // The desktop page's poll (htmx fragment) now shows it.
    const poll = await a.browser.get('/documents').set('HX-Request', 'true');
    expect(poll.text).toContain(`/documents/file/${row.id}`);
    expect(poll.text).not.toContain('<html');
    // Another's token shape, a wrong token, an expired link: the expired page.
    expect((await phone.get('/capture/not-a-token')).status).toBe(404);
    await t.db.sql.query(`update link set expires_at = now() - interval '1 second' where purpose = 'capture_photos'`);
    expect((await phone.get(`/capture/${link[1]}`)).status).toBe(404);
    // Four more sends are fine, the sixth in ten minutes is refused.
    for (let i = 0; i < 4; i++) expect((await a.post('/documents/phone', { country: 'FR', number: '06 12 34 56 78' })).status).toBe(303);
    expect((await a.post('/documents/phone', { country: 'FR', number: '06 12 34 56 78' })).status).toBe(429);
  });
});

describe('review', () => {
  it('two reviewers claiming at once never get the same case', async () => {
    const applicants = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => applicantAtDocuments(t, `race${n}`)));
    for (const a of applicants) {
      await uploadAll(a);
      expect((await submitDocuments(a)).headers.location).toBe('/documents/review');
    }
    const service = t.app.get(ReviewQueueService);
    const [r1, r2] = await Promise.all([reviewer('rev-a'), reviewer('rev-b')]);
    const ids = await Promise.all([r1, r2].map(async (r) => {
      const { rows } = await t.db.sql.query('select id from account where email = $1', [r.person.email]);
      return rows[0].id as string;
    }));
    // Both at once, several rounds: never the same case for two reviewers.
    for (let round = 0; round < 3; round++) {
      const claims = await Promise.all(ids.map((id) => service.claimNext({ actorId: id })));
      expect(claims[0]).toBeDefined();
      expect(claims[1]).toBeDefined();
      expect(claims[0]).not.toBe(claims[1]);
      // Asking again keeps one's own claim.
      expect(await service.claimNext({ actorId: ids[0] })).toBe(claims[0]);
      await t.db.sql.query('update document_review set decided_at = now() where case_id = any($1)', [claims]);
    }
    const { rows } = await t.db.sql.query(`select status from verification_case where id = any($1)`, [await Promise.all(applicants.map(async (a) => (await a.row()).id))]);
    expect(rows.every((r: any) => r.status === 'in_review')).toBe(true);
  });

  it('the whole loop: submit, reject the bill for glare, replace just it, approve; the applicant sees each state', async () => {
    // Clear older queued cases of this file's other tests out of the way: a supervisor drains them.
    await t.db.sql.query(`update document_review set decided_at = now() where decided_at is null`);
    const a = await applicantAtDocuments(t, 'loop');
    await uploadAll(a);
    const submitted = await submitDocuments(a);
    expect(submitted.headers.location).toBe('/documents/review');
    const hold = await a.browser.get('/documents/review');
    expect(hold.text).toContain('waiting for review');
    expect(hold.text).toContain('hx-trigger="every 3s"');

    const r = await reviewer('rev');
    expect((await a.browser.get('/agent/review')).status).toBe(403);
    const next = await r.post('/agent/review/next');
    expect(next.status).toBe(303);
    const casePath = next.headers.location;
    const caseId = casePath.split('/').pop();
    expect(caseId).toBe((await a.row()).id);
    const page = await r.browser.get(casePath);
    expect(page.text).toContain('Amélie');
    expect(page.text).toContain('12 rue de Rivoli');
    const img = /src="(\/agent\/review\/[^"]+\/file\/[^"]+)"/.exec(page.text)![1];
    const viewed = await r.browser.get(img);
    expect([viewed.status, viewed.headers['cache-control']]).toEqual([200, 'no-store']);
    const { rows: audits } = await t.db.sql.query(`select action from audit_event where case_id = $1 order by id`, [caseId]);
    expect(audits.map((x: any) => x.action)).toEqual(expect.arrayContaining(['documents.case_claimed', 'documents.details_viewed', 'documents.image_viewed']));
    // The applicant's status fragment while in review.
    const status = await a.browser.get('/documents/review/status').set('HX-Request', 'true');
    expect(status.text).toContain('A reviewer is checking');

    // Reject without a reason: refused; then reject the bill for glare.
    const bad = await r.post(casePath, { 'decision-0': 'accepted', 'decision-1': 'rejected', 'decision-2': 'accepted' });
    expect(bad.status).toBe(400);
    const decided = await r.post(casePath, { 'decision-0': 'accepted', 'decision-1': 'rejected', 'reasons-1': 'glare', 'note-1': 'Light on the address', 'decision-2': 'accepted' });
    expect(decided.headers.location).toBe('/agent/review?decided=documents_rejected');
    expect((await a.row()).status).toBe('documents_rejected');
    const email = await lastEmailTo(t.db.sql, 'amelie@example.fr');
    expect(email?.body).toContain('Utility bill: Glare');
    const rejectedStatus = await a.browser.get('/documents/review/status').set('HX-Request', 'true');
    expect(rejectedStatus.text).toContain('Replace your utility bill');

    // Only the bill may be replaced; submitting before replacing it is refused.
    const uploadPage = await a.browser.get('/documents');
    expect(uploadPage.text).toContain('action="/documents/upload/second"');
    expect(uploadPage.text).not.toContain('action="/documents/upload/first"');
    expect((await submitDocuments(a)).status).toBe(400);
    expect((await uploadFile(a, 'first', 'photo_page', await photo())).status).toBe(409);
    expect((await uploadFile(a, 'second', 'page1', await photo())).status).toBe(303);
    expect((await submitDocuments(a)).headers.location).toBe('/documents/review');

    const again = await r.post('/agent/review/next');
    expect(again.headers.location).toBe(casePath);
    const approved = await r.post(casePath, { 'decision-0': 'accepted', 'decision-1': 'accepted', 'decision-2': 'accepted' });
    expect(approved.headers.location).toBe('/agent/review?decided=approved');
    expect((await a.row()).status).toBe('approved');
    const done = await a.browser.get('/documents/review/status').set('HX-Request', 'true');
    expect(done.text).toContain('href="/call"');
    expect(done.text).toContain('href="/call/schedule"');
    expect(done.text).not.toContain('hx-trigger');
    expect((await lastEmailTo(t.db.sql, 'amelie@example.fr'))?.subject).toContain('approved');
    // The reviewer's claim ended with the decision.
    expect((await r.browser.get(casePath)).status).toBe(404);
  });
});

describe("in the applicant's language", () => {
  it('shows the upload page in Arabic (right to left) and in Spanish, with Spanish errors on Continue', async () => {
    const a = await applicantAtDocuments(t, 'langs');
    const arabic = await a.browser.get('/documents').set('Accept-Language', 'ar');
    expect(arabic.text).toContain('<html lang="ar" dir="rtl">');
    expect(arabic.text).toContain('<h1>إرسال مستنداتك</h1>');
    expect(arabic.text).toContain('التقاط صورة بهاتفك');
    expect(arabic.text).toContain('صفحة الصورة'); // the passport's side
    expect(arabic.text).toContain('data-preview-text="معاينة الصورة المختارة"'); // for upload-progress.js
    expect(arabic.text).not.toContain('Choose Image');

    const spanish = await a.browser.get('/documents').set('Accept-Language', 'es');
    expect(spanish.text).toContain('<html lang="es" dir="ltr">');
    expect(spanish.text).toContain('<h1>Envíe sus documentos</h1>');
    expect(spanish.text).toContain('Elegir imagen');
    expect(spanish.text).toContain('JPEG, PNG, HEIC o WebP; hasta 15 MB.');
    const refused = await a.browser.post('/documents').set('Accept-Language', 'es').type('form').send({ _csrf: csrfOf(spanish.text) });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/Envíe su [^<]+ antes de continuar/);
    expect(refused.text).toContain('Confirme que sus documentos cumplen los requisitos');
    expect(refused.text).toMatch(/<a class="usa-link" href="#[^"]+">Envíe su [^<]+ antes de continuar/); // the error summary gives the field's own message, in Spanish
  });

  it('explains in French why an upload was refused for its type', async () => {
    const a = await applicantAtDocuments(t, 'francais');
    const page = await a.browser.get('/documents').set('Accept-Language', 'fr');
    const send = (data: Buffer, name: string) =>
      a.browser.post('/documents/upload/first/photo_page').set('Accept-Language', 'fr').field('_csrf', csrfOf(page.text)).attach('file', data, { filename: name, contentType: 'image/jpeg' });
    // A PDF for the passport: photos only for a primary document, and the page says so.
    const pdf = await send(Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'), 'passport.pdf');
    expect(pdf.status).toBe(415);
    expect(pdf.text).toContain('<html lang="fr" dir="ltr">');
    expect(pdf.text).toContain('Envoyez une photo (JPEG, PNG, HEIC ou WebP) de ce document. Les fichiers PDF ne sont acceptés que pour les documents secondaires et justificatifs.');
    // A web page renamed .jpg: not a photo.
    const html = await send(Buffer.from('<!doctype html><html><body>hi</body></html>'), 'passport.jpg');
    expect(html.status).toBe(415);
    expect(html.text).toContain('Ce fichier n’est pas une photo que nous pouvons lire. Choisissez une image JPEG, PNG, HEIC ou WebP.');
    expect(html.text).toContain('<title>Erreur\u202f: Envoyez vos documents | Referee</title>');
    expect(await fileRows(a)).toEqual([]);
  });

  it("sends the review's outcome in the account's language, and the capture link's SMS in the page's", async () => {
    const a = await applicantAtDocuments(t, 'arabic-mail');
    expect((await a.post('/language', { language: 'ar', returnTo: '/documents' })).status).toBe(303);
    const page = await a.browser.get('/documents');
    expect(page.text).toContain('<html lang="ar" dir="rtl">');
    expect((await a.browser.post('/documents/phone').type('form').send({ _csrf: csrfOf(page.text), country: 'FR', number: '06 98 76 54 32' })).status).toBe(303);
    const sms = [(await lastTextTo(t.db.sql, '+33698765432'))!];
    expect(sms[0].body).toMatch(/^Referee: رابط لالتقاط صور مستنداتك بهذا الهاتف: \S+\/capture\/[A-Za-z0-9_-]{43} \(يعمل لمدة 15 دقيقة\)/);

    await uploadAll(a);
    expect((await submitDocuments(a)).headers.location).toBe('/documents/review');
    await t.db.sql.query(`update document_review set decided_at = now() where decided_at is null and case_id <> $1`, [(await a.row()).id]);
    const service = t.app.get(ReviewQueueService);
    const r = await reviewer('rev-ar');
    const { rows } = await t.db.sql.query('select id from account where email = $1', [r.person.email]);
    const caseId = await service.claimNext({ actorId: rows[0].id });
    expect(caseId).toBe((await a.row()).id);
    await t.app.get(ReviewDecisionsService).decide(caseId!, { actorId: rows[0].id }, {
      first: { decision: 'accepted', reasons: [] },
      second: { decision: 'rejected', reasons: ['glare', 'expired'] },
      'supporting:proof_of_non_us_address': { decision: 'accepted', reasons: [] },
    });
    const email = (await lastEmailTo(t.db.sql, 'amelie@example.fr'))!;
    expect(email.subject).toBe('يُرجى استبدال مستند');
    expect(email.body).toContain('تمت مراجعة مستنداتك. لم نتمكن من قبول:');
    expect(email.body).toContain(': انعكاس ضوئي، منتهي الصلاحية');
    expect(email.body).toMatch(/للاستبدال: \S+\/documents#second/);
    expect(email.body).not.toMatch(/Glare|Expired|Replace/);
    // The hold page says the same, in Arabic.
    const hold = await a.browser.get('/documents/review');
    expect(hold.text).toContain('يُرجى استبدال مستند');
    expect(hold.text).toContain('انعكاس ضوئي، منتهي الصلاحية');
  });
});

describe('retention', () => {
  it('deletes the images of cases decided more than DOCUMENT_RETENTION_DAYS ago, once across instances', async () => {
    const a = await applicantAtDocuments(t, 'retention');
    await uploadAll(a);
    const rows = await fileRows(a);
    expect(rows).toHaveLength(2);
    const c = await a.row();
    const service = t.app.get(DocumentRetentionService);
    await t.db.sql.query(`update verification_case set status = 'verified', updated_at = now() - interval '29 days' where id = $1`, [c.id]);
    expect(await service.deleteExpired()).toBe(0);
    await t.db.sql.query(`update verification_case set updated_at = now() - interval '31 days' where id = $1`, [c.id]);
    // Two runs at once (two instances): the advisory lock lets one do the work.
    const counts = await Promise.all([service.deleteExpired(), service.deleteExpired()]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(2);
    expect(await fileRows(a)).toEqual([]);
    const left = storedFiles(t);
    for (const r of rows) expect(left.some((p) => p.endsWith(r.storage_key))).toBe(false);
  });
});
