import { ReviewDecisionsService } from '../../src/documents/review-decisions.service';
import { ReviewQueueService } from '../../src/documents/review-queue.service';
import { applicantAtDocuments, pdfBill, pdfBytes, photo } from '../harness/documents';
import { lastTextTo } from '../harness/outbox';
import { browserSuite, checkAccessibility, clickAndLoad, collectPageErrors, screenshot, shareCookies } from './browser';

const suite = browserSuite();

/**
 * Documents as a new user sends them: the passport by "Choose Image" on the computer, the
 * bill (also the proof of the non-U.S. address) by "Take Photo" on a phone (a second, phone-sized browser)
 * from the texted link; the computer's page shows the phone's photos without a reload;
 * Continue; the hold page follows the review live until "Join a video call".
 */
suite.describe('documents in Chromium', () => {
  it('Choose Image on the computer, Take Photo on a phone, the live hold page', async () => {
    // The intake (covered by the verification journeys) through the HTTP API; then the same session in Chromium.
    const a = await applicantAtDocuments(suite.t, 'chromium');
    const desktop = await suite.launch();
    await shareCookies(a.browser, desktop.context, suite.baseUrl);
    const page = desktop.page;
    const errors = collectPageErrors(page);
    await page.goto(`${suite.baseUrl}/documents`);
    expect(await page.locator('h1').innerText()).toBe('Send your documents');
    await checkAccessibility(page);

    // Choose Image (htmx upload with a progress bar): the thumbnail appears in place.
    const passport = await photo(1600, 1100);
    await page.locator('#file-0-photo_page').setInputFiles({ name: 'passport.jpg', mimeType: 'image/jpeg', buffer: passport });
    await page.locator('#first').getByText('Selected (not sent yet): passport.jpg').waitFor();
    await page.locator('#first').getByRole('button', { name: 'Send photos' }).click();
    await page.locator('#first img.referee-thumb').waitFor({ timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe('/documents');

    // Take Photo on a computer: the text-a-link form opens, with the number given in the details.
    await page.locator('label[for="photo-1-page1"]').click();
    expect(await page.locator('#take-photo').evaluate((d: HTMLDetailsElement) => d.open)).toBe(true);
    expect(await page.getByLabel('Phone number').inputValue()).toBe('01 42 68 53 00');
    await page.getByLabel('Phone number').fill('+33 6 12 34 56 78');
    await clickAndLoad(page, page.getByRole('button', { name: 'Send link' }));
    await page.getByText('phone ending in 5678').waitFor();
    const link = /https?:\/\/\S+\/capture\/[A-Za-z0-9_-]{43}/.exec((await lastTextTo(suite.t.db.sql, '+33612345678'))!.body)![0];

    const phone = await suite.launch({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const phoneErrors = collectPageErrors(phone.page);
    await phone.page.goto(link);
    expect(await phone.page.locator('h1').innerText()).toBe('Take photos of your documents');
    expect(await phone.page.locator('input[type=file][capture=environment]').count()).toBeGreaterThan(0);
    await checkAccessibility(phone.page);
    await screenshot(phone.page, 'documents-phone');
    const bill = await photo(1400, 1800);
    // A dark photo is held on the phone, with its problem and the two choices; "Use this photo anyway" counts it.
    await phone.page.locator('#photo-1-page1').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: await photo(1400, 1800, { dark: true }) });
    await clickAndLoad(phone.page, phone.page.locator('#second .referee-upload__send'));
    await phone.page.getByText('This photo is not sent yet: check it first.').waitFor();
    expect(await phone.page.getByText('Photo sent').count()).toBe(0);
    await checkAccessibility(phone.page);
    await screenshot(phone.page, 'documents-phone-held');
    await clickAndLoad(phone.page, phone.page.getByRole('button', { name: 'Use this photo anyway' }));
    expect(await phone.page.getByText('This photo is not sent yet').count()).toBe(0);
    await phone.page.locator('#photo-1-page1').setInputFiles({ name: 'IMG_0002.jpg', mimeType: 'image/jpeg', buffer: bill });
    await clickAndLoad(phone.page, phone.page.locator('#second .referee-upload__send'));
    await phone.page.getByText('Photo sent').waitFor();

    // The computer's page shows it by itself (polling every 3 s).
    await page.locator('#second img.referee-thumb').waitFor({ timeout: 15_000 });
    await screenshot(page, 'documents-desktop');

    // Confirm and Continue: the hold page.
    await page.getByText('My documents meet the requirements above').click();
    await clickAndLoad(page, page.getByRole('button', { name: 'Continue' }));
    expect(new URL(page.url()).pathname).toBe('/documents/review');
    await page.getByText('waiting for review').waitFor();
    await checkAccessibility(page);

    // A reviewer approves everything; the hold page changes without a reload.
    const service = suite.t.app.get(ReviewQueueService);
    const { rows: who } = await suite.t.db.sql.query(`select id from account limit 1`);
    const reviewerId = who[0].id as string;
    const caseId = await service.claimNext({ actorId: reviewerId });
    expect(caseId).toBe((await a.row()).id);
    await page.getByText('A reviewer is checking your documents').waitFor({ timeout: 15_000 });
    await suite.t.app.get(ReviewDecisionsService).decide(caseId!, { actorId: reviewerId }, {
      first: { decision: 'accepted', reasons: [] },
      second: { decision: 'accepted', reasons: [] },
    });
    await page.getByRole('link', { name: 'Join a video call' }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('link', { name: 'Schedule an appointment' }).first().getAttribute('href')).toBe('/call/schedule');
    expect([...errors, ...phoneErrors]).toEqual([]);
    // Two browsers and a held photo's round trip on top of the journey.
  }, 240_000);

  it('in Arabic: right to left and axe-clean, the preview of a chosen image and a refused file explained in Arabic', async () => {
    const a = await applicantAtDocuments(suite.t, 'chromium-ar');
    expect((await a.post('/language', { language: 'ar', returnTo: '/documents' })).status).toBe(303);
    const desktop = await suite.launch();
    await shareCookies(a.browser, desktop.context, suite.baseUrl);
    const page = desktop.page;
    const errors = collectPageErrors(page);
    await page.goto(`${suite.baseUrl}/documents`);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(await page.locator('h1').innerText()).toBe('إرسال مستنداتك');
    await checkAccessibility(page);

    // The preview upload-progress.js adds is described in the page's language.
    await page.locator('#file-0-photo_page').setInputFiles({ name: 'passport.jpg', mimeType: 'image/jpeg', buffer: await photo(1600, 1100) });
    expect(await page.locator('#first img.referee-preview').getAttribute('alt')).toBe('معاينة الصورة المختارة');
    // A web page renamed .jpg, sent with htmx: refused in place, in Arabic.
    await page.locator('#file-0-photo_page').setInputFiles({ name: 'passport.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('<!doctype html><p>not a photo</p>') });
    await page.locator('#first').getByRole('button', { name: 'إرسال الصور' }).click();
    await page.locator('#file-0-photo_page-error').getByText('هذا الملف ليس صورة يمكننا قراءتها').waitFor({ timeout: 15_000 });
    await checkAccessibility(page);
    // Chromium logs the refusal's 415 (the answer the page shows in place); nothing else went wrong.
    expect(errors.filter((e) => !e.includes('status of 415'))).toEqual([]);
  });

  it('a bill sent as a PDF comes back as a picture of its pages; a damaged PDF is refused next to its field', async () => {
    const a = await applicantAtDocuments(suite.t, 'chromium-pdf');
    const desktop = await suite.launch();
    await shareCookies(a.browser, desktop.context, suite.baseUrl);
    const page = desktop.page;
    const errors = collectPageErrors(page);
    await page.goto(`${suite.baseUrl}/documents`);
    const send = async (field: string, name: string, buffer: Buffer) => {
      await page.locator(field).setInputFiles({ name, mimeType: 'application/pdf', buffer });
      await page.locator(field).locator('xpath=ancestor::form').locator('.referee-upload__send').click();
    };
    await send('#file-1-page1', 'bill.pdf', await pdfBytes(await pdfBill(2)));
    await page.locator('#second img.referee-thumb').waitFor({ timeout: 15_000 });
    const shown = await page.locator('#second img.referee-thumb').evaluate((img: HTMLImageElement) => [img.complete, img.naturalWidth, img.naturalHeight]);
    expect(shown).toEqual([true, 1275, 2 * 1650 + 16]);
    await screenshot(page, 'documents-pdf');

    await send('#file-1-page2', 'page2.pdf', Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'));
    await page.locator('#file-1-page2-error').getByText('We could not open this PDF').waitFor({ timeout: 15_000 });
    await checkAccessibility(page);
    await screenshot(page, 'documents-pdf-refused');
    // Chromium logs the refusal's 400 (the answer the page shows in place); nothing else went wrong.
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  });

  it('what people see at 1280 and 390 px, in English and Arabic: nothing wider than the screen, tips described, a held photo with its two choices', async () => {
    const a = await applicantAtDocuments(suite.t, 'chromium-widths');
    const page0 = await a.browser.get('/documents');
    const dark = await photo(1600, 1000, { dark: true });
    const held = await a.browser.post('/documents/upload/first').field('_csrf', /name="_csrf" value="([^"]+)"/.exec(page0.text)![1]).attach('photo_page', dark, { filename: 'dark.jpg', contentType: 'image/jpeg' });
    expect(held.status).toBe(303);
    for (const language of ['en', 'ar']) {
      expect((await a.post('/language', { language, returnTo: '/documents' })).status).toBe(303);
      for (const width of [1280, 390]) {
        const b = await suite.launch({ viewport: { width, height: 900 }, ...(width < 600 ? { isMobile: true, hasTouch: true } : {}) });
        await shareCookies(a.browser, b.context, suite.baseUrl);
        const errors = collectPageErrors(b.page);
        await b.page.goto(`${suite.baseUrl}/documents`);
        const [scrollWidth, innerWidth, height] = await b.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth, document.documentElement.scrollHeight]);
        // Measured for the record: the page's height (it was about 4,300 px at 1280 with one photo sent).
        console.log(`upload page ${language} ${width}px: ${height}px tall`);
        expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
        expect(await b.page.locator('.referee-photo-tips img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0 && !!i.getAttribute('alt')))).toEqual([true, true, true, true]);
        expect(await b.page.locator('.referee-held button').count()).toBe(2);
        await checkAccessibility(b.page);
        await screenshot(b.page, `documents-upload-${language}-${width}`);
        expect(errors).toEqual([]);
      }
    }
    // Four browsers, each page checked with axe: more than one journey's time.
  }, 300_000);
});
