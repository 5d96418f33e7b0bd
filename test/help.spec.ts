import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/config';
import { CONTENT_DIR, contentLanguages, contentVariables, HelpContent, REFERENCE_LANGUAGE } from '../src/help/content';
import { HelpController } from '../src/help/help.controller';
import { LEARN_MORE } from '../src/help/links';
import { renderMarkdown } from '../src/help/markdown';
import { search } from '../src/help/search';
import { LanguageResolver } from '../src/i18n/language';
import { LANGUAGE_CODES, type Language } from '../src/i18n/languages';
import { Messages } from '../src/i18n/messages';
import { SupportService } from '../src/support/support.service';
import { RateLimits } from '../src/web/rate-limits';
import { Renderer } from '../src/web/renderer';
import type { WebRequest } from '../src/web/request';
import type { View } from '../src/web/view';
import { startTestApp, type TestApp } from './harness/app';
import { createAccount, passwordSignIn } from './harness/accounts';
import { csrfOf, textOf } from './harness/forms';

let t: TestApp;
let content: HelpContent;

beforeAll(async () => {
  t = await startTestApp();
  content = t.app.get(HelpContent);
});
afterAll(() => t?.close());

/** Every language Referee speaks (src/i18n/languages.ts) must have the help centre in it. */
const LANGUAGES: Language[] = [...LANGUAGE_CODES];

/** A page as a reader of this language gets it (Accept-Language; English sends none). */
const getIn = (lang: Language, path: string) => {
  const req = t.browser().get(path);
  return lang === REFERENCE_LANGUAGE ? req : req.set('Accept-Language', lang);
};

const decode = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/**
 * What no rendered page may show: leftovers of a template or a missing value. Random tokens (the
 * form's CSRF token, the script nonce: long base64url runs) are left out first: one may hold
 * "NaN" by chance (it did, once in CI).
 */
function expectNoMissingKeys(html: string, where: string) {
  const page = html.replace(/[A-Za-z0-9_-]{20,}/g, '');
  for (const leftover of ['{{', '}}', '{%', 'undefined', '[object Object]', 'NaN']) {
    expect(`${where}: ${page.includes(leftover) ? leftover : 'clean'}`).toBe(`${where}: clean`);
  }
}

describe('help articles and policies, in every language', () => {
  it('has a folder for every language Referee speaks, and none other', () => {
    expect(contentLanguages()[0]).toBe(REFERENCE_LANGUAGE);
    expect([...content.languages].sort()).toEqual([...LANGUAGES].sort());
  });

  // Policies are translated separately (content/policies); until then they show in English with a note.
  it.each(LANGUAGES)('%s has every article that English has', (lang) => {
    expect(content.missing(lang, 'article')).toEqual([]);
    for (const article of content.list('article', lang)) expect(`${article.slug}: ${article.lang}`).toBe(`${article.slug}: ${lang}`);
  });

  it('has the articles the help centre promises', () => {
    expect(content.list('article').map((a) => a.slug)).toEqual([
      'extended-video-call',
      'short-video-call',
      'non-us-passport',
      'itin',
      'joining-the-video-call',
      'appointments',
      'helpers-and-interpreters',
      'troubleshooting-international',
      'sign-in-methods',
      'video-call-scams',
    ]);
    expect(content.list('policy').map((p) => p.slug)).toEqual(['terms', 'privacy', 'fair-credit-reporting-act', 'accessibility']);
  });

  it.each(LANGUAGES)('%s: every article renders completely, in its language, with its sections and related articles', async (lang) => {
    for (const article of content.list('article', lang)) {
      const res = await getIn(lang, article.url);
      expect(`${article.url} ${res.status}`).toBe(`${article.url} 200`);
      expect(decode(textOf(res.text, 'article-title') ?? '')).toBe(article.title);
      expect(res.text).toContain(`<html lang="${lang}" dir="${article.dir}">`);
      expect(res.text).toContain(`<article lang="${lang}" dir="${article.dir}"`);
      expect(res.text).not.toContain('id="in-english"');
      expectNoMissingKeys(res.text, `${lang} ${article.url}`);
      for (const heading of article.headings) expect(res.text).toContain(`id="${heading.id}"`);
      for (const slug of article.related) expect(res.text).toContain(`href="/help/${slug}"`);
      expect(article.summary.length).toBeGreaterThan(20);
    }
  });

  it.each(LANGUAGES)('%s: every policy renders completely, in its language or in English with a note', async (lang) => {
    for (const policy of content.list('policy', lang)) {
      const res = await getIn(lang, policy.url);
      expect(`${policy.url} ${res.status}`).toBe(`${policy.url} 200`);
      expect(decode(textOf(res.text, 'policy-title') ?? '')).toBe(policy.title);
      expect(res.text).toContain(`<html lang="${lang}"`);
      expect(res.text).toContain(`<article lang="${policy.lang}" dir="${policy.dir}"`);
      expect(res.text.includes('id="in-english"')).toBe(policy.lang !== lang);
      expectNoMissingKeys(res.text, `${lang} ${policy.url}`);
    }
  });

  it.each(LANGUAGES)('%s: the help centre and policy lists name every page', async (lang) => {
    const index = await getIn(lang, '/help');
    const policies = await getIn(lang, '/policies');
    for (const doc of content.list('article', lang)) expect(index.text).toContain(`href="${doc.url}" lang="${lang}"`);
    for (const doc of content.list('policy', lang)) {
      expect(index.text).toContain(`href="${doc.url}" lang="${doc.lang}"`);
      expect(policies.text).toContain(`href="${doc.url}" lang="${doc.lang}"`);
    }
    expectNoMissingKeys(index.text, `${lang} /help`);
    expectNoMissingKeys(policies.text, `${lang} /policies`);
  });

  it('every link inside the content leads to a page of Referee that exists', async () => {
    const paths = new Set<string>();
    for (const lang of LANGUAGES) {
      for (const doc of [...content.list('article', lang), ...content.list('policy', lang)]) {
        for (const href of doc.links) {
          if (href.startsWith('/')) paths.add(href.split('#')[0]);
          else expect(href).toMatch(/^(#|https:\/\/)/);
        }
      }
    }
    for (const path of paths) {
      const res = await t.browser().get(path);
      // Pages for signed-in people send a stranger to sign in first; none may be missing.
      expect(`${path} ${res.status}`).toMatch(new RegExp(`^${path.replace(/[?]/g, '\\?')} (200|303)$`));
    }
  });

  it('answers an unknown article, policy or language with 404 or English', async () => {
    expect((await t.browser().get('/help/no-such-article')).status).toBe(404);
    expect((await t.browser().get('/policies/no-such-policy')).status).toBe(404);
    expect((await t.browser().get('/help/..%2Fpackage.json')).status).toBe(404);
    expect((await t.browser().get('/help/ITIN')).status).toBe(404);
    const unknownLanguage = await t.browser().get('/help/itin').set('Accept-Language', 'de-DE,de;q=0.9');
    expect(unknownLanguage.status).toBe(200);
    expect(unknownLanguage.text).toContain('<article lang="en"');
  });
});

describe('the help centre in the reader’s language', () => {
  it('shows /help and an article in Arabic, right to left', async () => {
    const index = await getIn('ar', '/help');
    expect(index.text).toContain('<html lang="ar" dir="rtl">');
    expect(index.text).toContain('<h1>مركز المساعدة</h1>');
    expect(index.text).toContain('<label class="usa-label" for="q">البحث في مركز المساعدة</label>');
    expect(index.text).toMatch(/href="\/help\/itin" lang="ar" dir="rtl">استخدام رقم ITIN للتحقق من الهوية<\/a>/);
    expect(index.text).toContain('id="still-need-help">هل ما زلت بحاجة إلى مساعدة؟</h2>');

    const article = await getIn('ar', '/help/itin');
    expect(article.status).toBe(200);
    expect(article.text).toContain('<html lang="ar" dir="rtl">');
    expect(article.text).toContain('<article lang="ar" dir="rtl"');
    expect(decode(textOf(article.text, 'article-title') ?? '')).toBe('استخدام رقم ITIN للتحقق من الهوية');
    expect(article.text).toContain('<title>استخدام رقم ITIN للتحقق من الهوية - مركز المساعدة | Referee</title>');
    expect(article.text).toContain('<h2 id="proof-of-itin">إثبات رقم ITIN</h2>');
    expect(article.text).toContain('<h2 class="font-heading-md" id="on-this-page">في هذه الصفحة</h2>');
    expect(article.text).toContain('<a href="/help" class="usa-breadcrumb__link"><span>مركز المساعدة</span></a>');
    expect(article.text).not.toContain('Using your ITIN to verify');
  });

  it('shows /help and an article in Spanish, with the translated article', async () => {
    const index = await getIn('es', '/help');
    expect(index.text).toContain('<html lang="es" dir="ltr">');
    expect(index.text).toContain('<h1>Centro de ayuda</h1>');
    expect(index.text).toContain('<h2 class="margin-top-5">Artículos</h2>');

    const article = await getIn('es', '/help/helpers-and-interpreters');
    expect(article.text).toContain('<article lang="es" dir="ltr"');
    expect(decode(textOf(article.text, 'article-title') ?? '')).toBe('Cómo pueden ayudarle los acompañantes y los intérpretes durante una videollamada');
    expect(article.text).toContain('<strong>No pueden responder por usted</strong>');
    expect(article.text).toContain('id="related-articles">Artículos relacionados</h2>');
    expect(article.text).toMatch(/href="\/help\/joining-the-video-call">Cómo unirse a la videollamada<\/a>/);
  });

  it('follows the language chosen with the switcher, over the browser’s', async () => {
    const browser = t.browser();
    const page = await browser.get('/help/appointments').set('Accept-Language', 'en');
    expect(decode(textOf(page.text, 'article-title') ?? '')).toBe('Scheduling, changing and canceling appointments');
    const chosen = await browser.post('/language').type('form').send({ _csrf: csrfOf(page.text), language: 'fr', returnTo: '/help/appointments' });
    expect(chosen.headers.location).toBe('/help/appointments');
    const after = await browser.get('/help/appointments').set('Accept-Language', 'en');
    expect(after.text).toContain('<article lang="fr" dir="ltr"');
    expect(decode(textOf(after.text, 'article-title') ?? '')).toBe('Prendre, modifier et annuler un rendez-vous');
  });
});

describe('"Learn more" links for the steps', () => {
  it.each(LANGUAGES)('%s: every link the steps use leads to an article and section that exist', async (lang) => {
    for (const link of LEARN_MORE) {
      expect(`${link.page} → ${link.href}: ${content.linkProblem(link.href, lang) ?? 'ok'}`).toBe(`${link.page} → ${link.href}: ok`);
      const [path, anchor] = link.href.split('#');
      const res = await getIn(lang, path);
      expect(`${link.href} ${res.status}`).toBe(`${link.href} 200`);
      if (anchor) expect(res.text).toContain(`id="${anchor}"`);
    }
  });
});

describe('search', () => {
  it('is a plain GET form, so it works without JavaScript', async () => {
    const res = await t.browser().get('/help');
    expect(res.text).toMatch(/<form class="usa-search" role="search" method="get" action="\/help\/search">/);
    expect(res.text).toContain('<label class="usa-label" for="q">Search the Help Center</label>');
    expect(res.text).toMatch(/<input class="usa-input" id="q" type="search" name="q"/);
  });

  it('finds an article by a word that is only in its body', async () => {
    const itin = content.find('article', 'itin')!;
    expect(itin.index.title.concat(itin.index.summary)).not.toContain('cp565');
    const res = await t.browser().get('/help/search?q=CP565');
    expect(res.status).toBe(200);
    expect(res.text).toContain('1 page matches your search.');
    expect(res.text).toContain('href="/help/itin"');
    expect(res.text).toContain('<mark>CP565</mark>');
  });

  it.each(LANGUAGES)('%s: finds every article by some word of its body that no other page has', (lang) => {
    const docs = [...content.list('article', lang), ...content.list('policy', lang)];
    for (const doc of content.list('article', lang)) {
      const elsewhere = new Set(docs.filter((d) => d !== doc).flatMap((d) => [...d.index.title, ...d.index.summary, ...d.index.bodyWords.map((w) => w.folded)]));
      const own = new Set([...doc.index.title, ...doc.index.summary]);
      const word = doc.index.bodyWords.map((w) => w.folded).find((w) => w.length >= 6 && !own.has(w) && ![...elsewhere].some((e) => e.startsWith(w)));
      expect(`${doc.slug}: ${word ? 'has a word' : 'none'}`).toBe(`${doc.slug}: has a word`);
      expect(search(docs, word!, lang).map((hit) => hit.doc.slug)).toEqual([doc.slug]);
    }
  });

  it('searches the reader’s language: finds a Spanish article by a Spanish word, marked in the excerpt', async () => {
    const res = await getIn('es', '/help/search?q=itinerancia');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="es" dir="ltr">');
    expect(res.text).toContain('<h1>Resultados de la búsqueda de «itinerancia»</h1>');
    expect(res.text).toContain('1 página coincide con su búsqueda.');
    expect(res.text).toMatch(/href="\/help\/troubleshooting-international" lang="es" dir="ltr">Solución de problemas de la verificación internacional<\/a>/);
    expect(res.text).toContain('<mark>itinerancia</mark>');
    // The same word means nothing to an English reader.
    expect((await t.browser().get('/help/search?q=itinerancia')).text).toContain('No pages match your search.');
    const none = await getIn('es', '/help/search?q=zzqxw');
    expect(none.text).toContain('Ninguna página coincide con su búsqueda.');
    expect(none.text).toContain('<a class="usa-link" href="/help">consulte todos los artículos</a>');
  });

  it('ranks in Spanish, French and Arabic, ignoring each language’s filler words and Arabic’s article and marks', () => {
    const docs = (lang: Language) => [...content.list('article', lang), ...content.list('policy', lang)];
    const first = (lang: Language, query: string) => search(docs(lang), query, lang)[0]?.doc.slug;
    expect(first('es', '¿Cómo puedo cancelar mi cita?')).toBe('appointments');
    expect(first('es', 'INTERPRETE')).toBe('helpers-and-interpreters');
    expect(first('es', 'contrasena')).toBe('sign-in-methods');
    expect(first('fr', 'Comment annuler mon rendez-vous ?')).toBe('appointments');
    expect(first('fr', 'interprete')).toBe('helpers-and-interpreters');
    expect(first('ar', 'كيف ألغي الموعد؟')).toBe('appointments');
    expect(first('ar', 'مُتَرْجِم')).toBe('helpers-and-interpreters');
    expect(first('ar', 'الجواز')).toBe('non-us-passport');
    expect(first('ar', 'جواز')).toBe('non-us-passport');
    expect(search(docs('es'), 'de la y el', 'es').length).toBeGreaterThan(0); // only filler words: searched as they are
  });

  it('ranks by the words found, folds case and accents, matches from three letters on, and ignores filler words', () => {
    const docs = [...content.list('article'), ...content.list('policy')];
    expect(search(docs, 'How do I use an INTERPRETER?', 'en')[0].doc.slug).toBe('helpers-and-interpreters');
    expect(search(docs, 'interpret', 'en')[0].doc.slug).toBe('helpers-and-interpreters');
    expect(search(docs, 'TEXT messages abroad roaming', 'en')[0].doc.slug).toBe('troubleshooting-international');
    expect(search(docs, 'cancel appointment', 'en')[0].doc.slug).toBe('appointments');
    expect(search(docs, 'privacy délété', 'en')[0].doc.slug).toBe('privacy');
    expect(search(docs, 'zzzzqqq', 'en')).toEqual([]);
    expect(search(docs, '   ', 'en')).toEqual([]);
  });

  it('says so when nothing matches, and shows the query back escaped', async () => {
    const res = await t.browser().get('/help/search?q=%3Cscript%3Eqzxw()%3C%2Fscript%3E');
    expect(res.status).toBe(200);
    expect(res.text).toContain('No pages match your search.');
    expect(res.text).not.toContain('<script>qzxw()</script>');
    expect(res.text).toContain('&lt;script&gt;qzxw()&lt;/script&gt;');
    const empty = await t.browser().get('/help/search');
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('<h1>Search the Help Center</h1>');
  });
});

describe('the fraud report form', () => {
  it('answers missing or odd fields with each field’s message next to it, in the page’s language, never a 500', async () => {
    const browser = t.browser();
    const page = await browser.get('/help/report-fraud').set('Accept-Language', 'fr');
    const empty = await browser.post('/help/report-fraud').set('Accept-Language', 'fr').type('form').send({ _csrf: csrfOf(page.text), details: 'Un appel étrange' });
    expect(empty.status).toBe(400);
    expect(textOf(empty.text, 'kind-error')).toBe('Choisissez ce qui s’est passé');
    expect(textOf(empty.text, 'email-error')).toBe('Saisissez votre adresse e-mail');
    expect(empty.text).toContain('>Un appel étrange</textarea>'); // what was typed is kept
    const odd = await browser
      .post('/help/report-fraud')
      .set('X-CSRF-Token', csrfOf(page.text))
      .send({ kind: ['video_link'], details: { a: 1 }, email: ['someone@example.org'], language: 7 });
    expect(odd.status).toBe(400);
    expect(textOf(odd.text, 'kind-error')).toBe('Choose what happened');
    expect(textOf(odd.text, 'email-error')).toBe('Enter your email address');
  });
});

describe('policies', () => {
  function retentionRows(html: string): Record<string, string> {
    const table = /<h2 id="retention">[\s\S]*?<table[\s\S]*?<\/table>/.exec(html)![0];
    const rows: Record<string, string> = {};
    for (const row of table.matchAll(/<tr><th scope="row"[^>]*>([\s\S]*?)<\/th><td[^>]*>([\s\S]*?)<\/td><\/tr>/g)) rows[decode(row[1])] = decode(row[2]);
    return rows;
  }

  it('shows the retention periods the configuration sets, and follows the setting when it changes', async () => {
    const AUDIT = 'Audit records (security events and staff access, without your documents or recordings)';
    const UNFINISHED = 'A verification you started but did not finish (the details you entered and the photos of your documents)';
    const defaults = retentionRows((await t.browser().get('/policies/privacy')).text);
    expect(defaults['Photos of your identity documents']).toMatch(/^30 days after/);
    expect(defaults['Video call recordings']).toContain('deleted 90 days after the call; sooner, with your account, if you delete it.');
    expect(defaults['Video call recordings']).not.toContain('does not store');
    expect(defaults[AUDIT]).toMatch(/^7 years after the event/);
    expect(defaults['Support requests and their messages']).toMatch(/^365 days after/);
    expect(defaults['Addresses and phone numbers of the emails and text messages we send you']).toMatch(/^72 hours after/);
    expect(defaults[UNFINISHED]).toMatch(/^180 days after its last activity.*We email you 14 days before/);
    expect(defaults['Which organization sent you to Referee, so that you can go back to it']).toMatch(/^180 days after/);

    const other = await startTestApp({ DOCUMENT_RETENTION_DAYS: '14', RECORDING_RETENTION_DAYS: '180', AUDIT_RETENTION_YEARS: '10', SUPPORT_RETENTION_DAYS: '90', OUTBOX_RETENTION_HOURS: '24', UNFINISHED_CASE_DAYS: '97' });
    try {
      expect(other.config.retention).toEqual({ documentDays: 14, recordingDays: 180, auditYears: 10, supportDays: 90, outboxHours: 24, unfinishedCaseDays: 97 });
      const changed = retentionRows((await other.browser().get('/policies/privacy')).text);
      expect(changed['Photos of your identity documents']).toMatch(/^14 days after/);
      expect(changed['Video call recordings']).toContain('deleted 180 days after the call');
      expect(changed[AUDIT]).toMatch(/^10 years after the event/);
      expect(changed['Support requests and their messages']).toMatch(/^90 days after/);
      expect(changed['Addresses and phone numbers of the emails and text messages we send you']).toMatch(/^24 hours after/);
      expect(changed[UNFINISHED]).toMatch(/^97 days after its last activity/);
      // Every language reads the same settings: each number is in its table, and a default no longer is.
      for (const lang of LANGUAGES) {
        const req = other.browser().get('/policies/privacy');
        const page = await (lang === REFERENCE_LANGUAGE ? req : req.set('Accept-Language', lang));
        expect(page.text).toContain(`<html lang="${lang}"`);
        const cells = Object.values(retentionRows(page.text)).join(' | ');
        for (const n of ['14', '180', '10', '90', '24', '97']) expect([lang, n, cells.includes(n)]).toEqual([lang, n, true]);
        expect([lang, cells.includes('72')]).toEqual([lang, false]); // OUTBOX_RETENTION_HOURS's default
      }
    } finally {
      await other.close();
    }
  });

  it('refuses retention settings that are not whole numbers in range', () => {
    const base = { NODE_ENV: 'test', SESSION_SECRET: 'x'.repeat(43), DATA_DIR: t.config.dataDir };
    expect(() => loadConfig({ ...base, DOCUMENT_RETENTION_DAYS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, RECORDING_RETENTION_DAYS: 'ninety' })).toThrow('RECORDING_RETENTION_DAYS must be a whole number');
    expect(() => loadConfig({ ...base, AUDIT_RETENTION_YEARS: '101' })).toThrow('AUDIT_RETENTION_YEARS must be between 1 and 100');
    expect(() => loadConfig({ ...base, SUPPORT_RETENTION_DAYS: '-5' })).toThrow(ConfigError);
    // The warning goes 14 days before: a period shorter than 30 days would warn right after the last step.
    expect(() => loadConfig({ ...base, UNFINISHED_CASE_DAYS: '29' })).toThrow('UNFINISHED_CASE_DAYS must be between 30 and 3650');
  });

  it('are linked from the footer of every page', async () => {
    for (const path of ['/', '/sign-in', '/help', '/policies/privacy', '/no/such/page']) {
      const res = await t.browser().get(path);
      const footer = /<footer[\s\S]*<\/footer>/.exec(res.text)![0];
      for (const [href, label] of [
        ['/policies/terms', 'Terms of Service'],
        ['/policies/privacy', 'Privacy Policy'],
        ['/policies/fair-credit-reporting-act', 'Fair Credit Reporting Act notice'],
        ['/policies/accessibility', 'Accessibility'],
        ['/help', 'Help'],
        ['/support', 'Contact support'],
      ]) {
        expect(footer).toContain(`href="${href}">${label}</a>`);
      }
    }
  });

  it('explains the Fair Credit Reporting Act in plain words, for the SSN screen to link to', async () => {
    const res = await t.browser().get('/policies/fair-credit-reporting-act');
    expect(res.status).toBe(200);
    expect(res.text).toContain('does not affect your credit score');
    expect(res.text).toContain('id="your-rights"');
  });
});

describe('content files', () => {
  it('render Markdown safely: raw HTML is shown as text, only safe links are links, headings get stable ids', () => {
    const out = renderMarkdown(
      '## Codes abroad {#sms-abroad}\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[bad](javascript:alert(1)) [ok](/help/itin) [web](https://example.org) [proto](//evil.example)\n\n## Codes abroad\n\n![alt text](https://example.org/x.png)\n',
    );
    expect(out.html).not.toMatch(/<script|<img|javascript:|href="\/\/evil/);
    expect(out.html).toContain('&lt;script&gt;');
    expect(out.html).toContain('<h2 id="sms-abroad">Codes abroad</h2>');
    expect(out.html).toContain('<h2 id="codes-abroad">Codes abroad</h2>');
    expect(out.html).toContain('<a class="usa-link" href="/help/itin">ok</a>');
    expect(out.html).toContain('rel="noreferrer"');
    expect(out.html).toContain('alt text');
    expect(out.headings.map((h) => h.id)).toEqual(['sms-abroad', 'codes-abroad']);
  });

  describe('a content folder with mistakes or a new language', () => {
    let root: string;
    const variables = () => contentVariables(t.config);
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'referee-content-'));
      cpSync(CONTENT_DIR, root, { recursive: true });
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    const write = (path: string, text: string) => writeFileSync(join(root, path), text);
    const article = (body: string, header = 'title: A title\nsummary: A summary of the page') => `---\n${header}\n---\n${body}\n`;

    it.each([
      ['an unknown placeholder', 'help/en/extra.md', article('Kept for {{ forever }} days.'), 'unknown placeholder {{ forever }}'],
      ['no title', 'help/en/extra.md', article('Text.', 'summary: A summary'), 'header "title" is missing'],
      ['a second page title', 'help/en/extra.md', article('# Another title'), 'the body starts at ##'],
      ['a link to a missing article', 'help/en/extra.md', article('[x](/help/nowhere)'), 'link /help/nowhere: no such page'],
      ['a link to a missing section', 'help/en/extra.md', article('[x](/help/itin#nowhere)'), 'no section #nowhere'],
    ])('refuses %s, naming the file', (_, path, text, message) => {
      write(path, text);
      expect(() => new HelpContent(variables(), root)).toThrow(message);
    });

    /** Only English, as before any translation: the cases below add a language of their own. */
    const onlyEnglish = () => {
      for (const kind of ['help', 'policies']) for (const lang of LANGUAGES) if (lang !== REFERENCE_LANGUAGE) rmSync(join(root, kind, lang), { recursive: true, force: true });
    };

    it('refuses a translated page that has no English original', () => {
      write('help/es/solo-en-espanol.md', article('Hola.'));
      expect(() => new HelpContent(variables(), root)).toThrow('has no English original');
    });

    it('refuses policies in a language that has no help articles', () => {
      cpSync(join(root, 'policies/en'), join(root, 'policies/pt'), { recursive: true });
      expect(() => new HelpContent(variables(), root)).toThrow('has no help articles: add content/help/pt too');
    });

    it('refuses a translation that loses a section English has (a "Learn more" link would land nowhere)', () => {
      const file = join(root, 'help/fr/troubleshooting-international.md');
      writeFileSync(file, readFileSync(file, 'utf8').replace('{#sms-abroad}', ''));
      expect(() => new HelpContent(variables(), root)).toThrow(/help\/fr\/troubleshooting-international\.md: has no section #sms-abroad .*end the translated heading with \{#sms-abroad\}/);
    });

    it('takes a new language from its folder, shows it in its own direction, and falls back to English for pages not yet translated', async () => {
      onlyEnglish();
      cpSync(join(root, 'help/en'), join(root, 'help/ar'), { recursive: true });
      rmSync(join(root, 'help/ar/appointments.md'));
      const loaded = new HelpContent(variables(), root);
      expect(loaded.languages).toEqual(['en', 'ar']);
      expect(loaded.missing('ar')).toEqual(['help/appointments', 'policies/terms', 'policies/privacy', 'policies/fair-credit-reporting-act', 'policies/accessibility']);
      expect(loaded.missing('ar', 'article')).toEqual(['help/appointments']);
      expect(loaded.find('article', 'itin', 'ar')).toMatchObject({ lang: 'ar', dir: 'rtl' });
      expect(loaded.find('article', 'appointments', 'ar')).toMatchObject({ lang: 'en', dir: 'ltr' });
    });

    it('shows an article a language lacks in English, with a note in the reader’s language', () => {
      rmSync(join(root, 'help/es/appointments.md'));
      const loaded = new HelpContent(variables(), root);
      expect(loaded.missing('es', 'article')).toEqual(['help/appointments']);
      const help = new HelpController(loaded, t.app.get(SupportService), t.app.get(RateLimits), t.app.get(LanguageResolver));
      const renderer = t.app.get(Renderer);
      const render = (path: string, page: (req: WebRequest) => unknown) => {
        const req = { language: 'es', headers: {}, method: 'GET', path, originalUrl: path } as unknown as WebRequest;
        return renderer.render(req, page(req) as View).html;
      };

      const missing = render('/help/appointments', (req) => help.article(req, 'appointments'));
      expect(missing).toContain('<html lang="es" dir="ltr">');
      expect(missing).toContain('<article lang="en" dir="ltr"');
      expect(decode(textOf(missing, 'article-title') ?? '')).toBe('Scheduling, changing and canceling appointments');
      expect(missing).toContain('Esta página aún no está disponible en español, por eso se muestra en inglés.');

      const translated = render('/help/itin', (req) => help.article(req, 'itin'));
      expect(translated).toContain('<article lang="es" dir="ltr"');
      expect(translated).not.toContain('id="in-english"');

      const index = render('/help', (req) => help.index(req));
      expect(index).toMatch(/href="\/help\/appointments" lang="en" dir="ltr">Scheduling, changing and canceling appointments<\/a> <span class="text-base-dark">\(en inglés\)<\/span>/);
      expect(index).toMatch(/href="\/help\/itin" lang="es" dir="ltr">Usar su ITIN para verificar su identidad<\/a>\s*</);
    });
  });
});

describe('"Learn more" on the steps', () => {
  it('names every link with a catalog key, translated into every language', () => {
    const messages = t.app.get(Messages);
    for (const link of LEARN_MORE) {
      expect(`${link.label}: ${messages.has(link.label)}`).toBe(`${link.label}: true`);
      for (const lang of LANGUAGES.filter((l) => l !== REFERENCE_LANGUAGE)) {
        expect(`${lang} ${link.label}: ${messages.has(link.label, lang) && messages.text(lang, link.label) !== messages.text('en', link.label)}`).toBe(`${lang} ${link.label}: true`);
      }
    }
  });

  it('shows each step the help articles the links table gives for it, in the reader’s language', async () => {
    const t2 = await startTestApp();
    try {
      const person = await createAccount(t2, `learn.${Date.now()}@example.org`);
      const browser = t2.browser();
      await passwordSignIn(browser, person);
      const setup = await browser.get('/mfa/setup');
      expect(setup.text).toContain('<h2 id="learn-more-heading"');
      expect(setup.text).toContain('<a class="usa-link" href="/help/sign-in-methods">Learn more about ways to sign in</a>');
      const totp = await browser.get('/mfa/setup/totp');
      expect(totp.text).toContain('href="/help/sign-in-methods#code-generator-apps"');
      expect((await t2.browser().get('/')).text).not.toContain('learn-more-heading'); // none listed there

      // In the reader's language: the browser's, then the one chosen on the account.
      const spanish = await browser.get('/mfa/setup').set('Accept-Language', 'es');
      expect(spanish.text).toContain('<h2 id="learn-more-heading" class="font-heading-sm">Más información</h2>');
      expect(spanish.text).toContain('<a class="usa-link" href="/help/sign-in-methods">Más información sobre las formas de iniciar sesión</a>');
      await browser.post('/language').type('form').send({ _csrf: csrfOf(setup.text), language: 'ar', returnTo: '/mfa/setup/totp' });
      const arabic = await browser.get('/mfa/setup/totp').set('Accept-Language', 'es');
      expect(arabic.text).toContain('<a class="usa-link" href="/help/sign-in-methods#code-generator-apps">مزيد من المعلومات عن تطبيقات توليد الرموز</a>');
    } finally {
      await t2.close();
    }
  });
});
