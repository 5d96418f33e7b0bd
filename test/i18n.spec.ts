import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { PROJECT_ROOT, VIEWS_DIR } from '../src/config/paths';
import { formatDate, formatNumber } from '../src/i18n/formats';
import { LANGUAGE_CODES } from '../src/i18n/languages';
import { Messages, readCatalogs } from '../src/i18n/messages';
import { createAccount, passwordSignIn, signIn } from './harness/accounts';
import { startTestApp, type TestApp } from './harness/app';
import { csrfOf } from './harness/forms';
import { untranslatedIn } from './harness/untranslated';

/** The argument and tag names a message uses: a translation must use the same ones. */
function placeholders(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.argument || element.type === TYPE.number || element.type === TYPE.date || element.type === TYPE.time) into.add(element.value);
    if (element.type === TYPE.tag) {
      into.add(`<${element.value}>`);
      placeholders(element.children, into);
    }
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      into.add(element.value);
      for (const option of Object.values(element.options)) placeholders(option.value, into);
    }
  }
  return into;
}

describe('message catalogs', () => {
  const catalogs = readCatalogs();
  const english = catalogs.get('en')!;

  it('has English messages for every page part', () => {
    expect(english.size).toBeGreaterThan(50);
  });

  it.each(LANGUAGE_CODES.filter((l) => l !== 'en'))('%s has every message English has, and no other', (language) => {
    const translated = catalogs.get(language)!;
    const missing = [...english.keys()].filter((key) => !translated.has(key));
    const extra = [...translated.keys()].filter((key) => !english.has(key));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it.each(LANGUAGE_CODES)('every %s message is valid ICU and uses the same placeholders as English', (language) => {
    const problems: string[] = [];
    for (const [key, source] of catalogs.get(language)!) {
      try {
        const own = [...placeholders(parse(source))].sort();
        const base = [...placeholders(parse(english.get(key) ?? source))].sort();
        if (own.join() !== base.join()) problems.push(`${key}: ${own.join(' ')} ≠ English ${base.join(' ')}`);
      } catch (error) {
        problems.push(`${key}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('uses the language’s own plural forms (Arabic has six)', () => {
    const messages = new Messages(catalogs);
    expect(messages.text('en', 'form.problems', { count: 1 })).toBe('There is a problem');
    expect(messages.text('en', 'form.problems', { count: 3 })).toBe('There are 3 problems');
    // Arabic: zero, one, two, few (3–10), many (11–99), other (100…): six different sentences.
    const arabic = [0, 1, 2, 3, 11, 100].map((count) => messages.text('ar', 'form.problems', { count }));
    expect(arabic[2]).toBe('توجد مشكلتان');
    expect(new Set(arabic).size).toBe(6);
    expect(arabic[3]).toMatch(/ 3 مشكلات$/); // few: the plural noun
    expect(arabic[4]).toMatch(/ 11 مشكلة$/); // many: the singular noun, as Arabic counts
  });

  it('gives every Arabic count all six plural forms, so a wait of up to 2 minutes reads as دقيقتين', () => {
    const lacking: string[] = [];
    const walk = (key: string, elements: MessageFormatElement[]) => {
      for (const element of elements) {
        if (element.type === TYPE.plural) {
          const forms = Object.keys(element.options);
          const missing = ['zero', 'one', 'two', 'few', 'many', 'other'].filter((form) => !forms.includes(form) && !(form === 'zero' && forms.includes('=0')));
          if (missing.length) lacking.push(`${key} lacks ${missing.join(', ')}`);
        }
        if (element.type === TYPE.plural || element.type === TYPE.select) for (const option of Object.values(element.options)) walk(key, option.value);
        if (element.type === TYPE.tag) walk(key, element.children);
      }
    };
    for (const [key, text] of catalogs.get('ar')!) walk(key, parse(text));
    expect(lacking).toEqual([]);

    const messages = new Messages(catalogs);
    expect(messages.text('ar', 'call.wait.minutes', { low: 1, high: 2 })).toContain('دقيقتين');
    expect(messages.text('ar', 'documents.hold.replaceHeading', { count: 2 })).toBe('يُرجى استبدال مستندين');
  });

  it('keeps left-to-right numbers and codes in their order in Arabic: the SSN example, phone numbers, the masked phone', () => {
    // Isolated (U+2068…U+2069); digits alone have no strong direction, so a left-to-right mark inside makes the isolate left to right.
    const messages = new Messages(catalogs);
    expect(messages.text('ar', 'verification.ssn.hint')).toContain('\u2068\u200e123-45-6789\u2069');
    expect(messages.text('ar', 'verification.errors.usPhone.format')).toContain('\u2068\u200e(202) 555-0125\u2069');
    expect(messages.html('ar', 'mfa.common.sentTo', { hint: '(•••) •••-0125', minutes: 10 })).toContain('<strong>\u2068\u200e(•••) •••-0125\u2069</strong>');
  });

  it('names our staff member موظف Referee in Arabic, never وكيل (which reads as the person’s own agent)', () => {
    const messages = new Messages(catalogs);
    expect(messages.text('ar', 'call.fraud.body', { site: 'referee.example' })).toContain('موظف Referee');
    const agent = [...catalogs.get('ar')!].filter(([, text]) => text.includes('وكيل')).map(([key]) => key);
    expect(agent).toEqual([]);
  });

  it('escapes values placed into a page and refuses keys English lacks', () => {
    const messages = new Messages(catalogs);
    expect(messages.html('en', 'errors.tooManyAttempts', { minutes: 2 })).toContain('2 minutes');
    expect(messages.html('en', { key: 'form.characterLimit', values: { max: 5000 } })).toContain('5,000');
    expect(messages.html('fr', { key: 'form.characterLimit', values: { max: 5000 } })).toMatch(/5\s000/);
    expect(() => messages.html('en', 'form.noSuchMessage')).toThrow(/No English message/);
  });
});

describe('templates', () => {
  const folders = readdirSync(VIEWS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

  it.each(folders)('views/%s has no text written into the template (it comes from the catalogs)', (folder) => {
    expect(untranslatedIn(join(VIEWS_DIR, folder), PROJECT_ROOT)).toEqual([]);
  });
});

describe('dates and numbers', () => {
  const moment = new Date('2026-03-05T14:30:00Z');

  it('writes dates, times and numbers the way each language does', () => {
    expect(formatDate('en', moment, 'dateLong')).toBe('March 5, 2026');
    expect(formatDate('es', moment, 'dateLong')).toBe('5 de marzo de 2026');
    expect(formatDate('fr', moment, 'dateLong')).toBe('5 mars 2026');
    expect(formatDate('ar', moment, 'dateLong')).toContain('مارس');
    expect(formatDate('en', moment, 'time', 'Asia/Tokyo')).toBe('11:30 PM');
    expect(formatDate('fr', moment, 'time', 'Europe/Paris')).toBe('15:30');
    expect(formatNumber('en', 1234567)).toBe('1,234,567');
    expect(formatNumber('es', 1234567)).toBe('1.234.567');
    expect(formatNumber('fr', 1234567)).toMatch(/^1\s234\s567$/);
  });
});

describe('the language of a page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('follows the browser’s Accept-Language, else English', async () => {
    const spanish = await t.browser().get('/').set('Accept-Language', 'es-MX,es;q=0.9,en;q=0.5');
    expect(spanish.text).toContain('<html lang="es" dir="ltr">');
    expect(spanish.text).toContain('Demuestre quién es');
    const german = await t.browser().get('/').set('Accept-Language', 'de-DE,de;q=0.9');
    expect(german.text).toContain('<html lang="en" dir="ltr">');
    const none = await t.browser().get('/');
    expect(none.text).toContain('Prove who you are');
  });

  it('lays Arabic out right to left', async () => {
    const arabic = await t.browser().get('/').set('Accept-Language', 'ar');
    expect(arabic.text).toContain('<html lang="ar" dir="rtl">');
    expect(arabic.text).toContain('إثبات هويتك');
  });

  it('offers a switcher on every page that keeps the choice in this browser over Accept-Language', async () => {
    const browser = t.browser();
    const page = await browser.get('/help').set('Accept-Language', 'en');
    for (const name of ['English', 'Español', 'Français', 'العربية']) expect(page.text).toContain(name);
    const chosen = await browser.post('/language').type('form').send({ _csrf: csrfOf(page.text), language: 'fr', returnTo: '/help' });
    expect(chosen.status).toBe(303);
    expect(chosen.headers.location).toBe('/help');
    const after = await browser.get('/').set('Accept-Language', 'en');
    expect(after.text).toContain('<html lang="fr" dir="ltr">');
    expect(after.text).toContain('Prouvez votre identité');
  });

  it('refuses a language it does not speak and a return address off the site', async () => {
    const browser = t.browser();
    const page = await browser.get('/');
    const odd = await browser.post('/language').type('form').send({ _csrf: csrfOf(page.text), language: 'xx', returnTo: '//evil.example/' });
    expect(odd.status).toBe(303);
    expect(odd.headers.location).toBe('/');
    expect((await browser.get('/')).text).toContain('<html lang="en"');
  });

  it('keeps a signed-in person’s choice on their account, so it follows them to another browser', async () => {
    const person = await createAccount(t, 'i18n-account@example.com');
    const first = t.browser();
    await signIn(t, person, first);
    const page = await first.get('/account');
    await first.post('/language').type('form').send({ _csrf: csrfOf(page.text), language: 'ar', returnTo: '/account' });
    const second = t.browser();
    await signIn(t, person, second);
    const elsewhere = await second.get('/').set('Accept-Language', 'es');
    expect(elsewhere.text).toContain('<html lang="ar" dir="rtl">');
    const { rows } = await t.db.sql.query('select language from account where email = $1', [person.email]);
    expect(rows[0].language).toBe('ar');
  });

  it('asks for the second factor in the account’s language as soon as the password is accepted', async () => {
    const person = await createAccount(t, 'i18n-halfway@example.com');
    const first = t.browser();
    await signIn(t, person, first);
    await first.post('/language').type('form').send({ _csrf: csrfOf((await first.get('/account')).text), language: 'ar', returnTo: '/account' });
    const elsewhere = t.browser();
    const password = await passwordSignIn(elsewhere, person);
    expect(password.status).toBe(303);
    const challenge = await elsewhere.get('/mfa/challenge').set('Accept-Language', 'es');
    expect(challenge.text).toContain('<html lang="ar" dir="rtl">');
  });

  it('answers errors in the reader’s language too', async () => {
    const missing = await t.browser().get('/no/such/page').set('Accept-Language', 'es');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('Página no encontrada');
  });
});
