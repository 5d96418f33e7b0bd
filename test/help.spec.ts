import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/config';
import { CONTENT_DIR, contentLanguages, contentVariables, HelpContent, REFERENCE_LANGUAGE } from '../src/help/content';
import { LEARN_MORE } from '../src/help/links';
import { renderMarkdown } from '../src/help/markdown';
import { search } from '../src/help/search';
import { startTestApp, type TestApp } from './harness/app';
import { createAccount, passwordSignIn } from './harness/accounts';
import { textOf } from './harness/forms';

let t: TestApp;
let content: HelpContent;

beforeAll(async () => {
  t = await startTestApp();
  content = t.app.get(HelpContent);
});
afterAll(() => t?.close());

/** The languages are the folders under content/help: adding one is adding its files. */
const LANGUAGES = contentLanguages();

const decode = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** What no rendered page may show: leftovers of a template or a missing value. */
function expectNoMissingKeys(html: string, where: string) {
  for (const leftover of ['{{', '}}', '{%', 'undefined', '[object Object]', 'NaN']) {
    expect(`${where}: ${html.includes(leftover) ? leftover : 'clean'}`).toBe(`${where}: clean`);
  }
}

describe('help articles and policies, in every language', () => {
  it('finds English and every other language folder', () => {
    expect(LANGUAGES[0]).toBe(REFERENCE_LANGUAGE);
    expect(content.languages).toEqual(LANGUAGES);
  });

  it.each(LANGUAGES)('%s has every article and policy that English has', (lang) => {
    expect(content.missing(lang)).toEqual([]);
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
    const query = lang === REFERENCE_LANGUAGE ? '' : `?lang=${lang}`;
    for (const article of content.list('article', lang)) {
      const res = await t.browser().get(`${article.url}${query}`);
      expect(`${article.url} ${res.status}`).toBe(`${article.url} 200`);
      expect(decode(textOf(res.text, 'article-title') ?? '')).toBe(article.title);
      expect(res.text).toContain(`<article lang="${lang}" dir="${article.dir}"`);
      expectNoMissingKeys(res.text, `${lang} ${article.url}`);
      for (const heading of article.headings) expect(res.text).toContain(`id="${heading.id}"`);
      for (const slug of article.related) expect(res.text).toContain(`href="/help/${slug}${query}"`);
      expect(article.summary.length).toBeGreaterThan(20);
    }
  });

  it.each(LANGUAGES)('%s: every policy renders completely, in its language', async (lang) => {
    const query = lang === REFERENCE_LANGUAGE ? '' : `?lang=${lang}`;
    for (const policy of content.list('policy', lang)) {
      const res = await t.browser().get(`${policy.url}${query}`);
      expect(`${policy.url} ${res.status}`).toBe(`${policy.url} 200`);
      expect(decode(textOf(res.text, 'policy-title') ?? '')).toBe(policy.title);
      expect(res.text).toContain(`<article lang="${lang}"`);
      expectNoMissingKeys(res.text, `${lang} ${policy.url}`);
    }
  });

  it.each(LANGUAGES)('%s: the help centre and policy lists name every page', async (lang) => {
    const query = lang === REFERENCE_LANGUAGE ? '' : `?lang=${lang}`;
    const index = await t.browser().get(`/help${query}`);
    const policies = await t.browser().get(`/policies${query}`);
    for (const doc of content.list('article', lang)) expect(index.text).toContain(`href="${doc.url}${query}"`);
    for (const doc of content.list('policy', lang)) {
      expect(index.text).toContain(`href="${doc.url}${query}"`);
      expect(policies.text).toContain(`href="${doc.url}${query}"`);
    }
    expectNoMissingKeys(index.text, `${lang} /help`);
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
    const unknownLanguage = await t.browser().get('/help/itin?lang=xx');
    expect(unknownLanguage.status).toBe(200);
    expect(unknownLanguage.text).toContain('<article lang="en"');
  });
});

describe('"Learn more" links for the steps', () => {
  it.each(LANGUAGES)('%s: every link the steps use leads to an article and section that exist', async (lang) => {
    for (const link of LEARN_MORE) {
      expect(`${link.page} → ${link.href}: ${content.linkProblem(link.href, lang) ?? 'ok'}`).toBe(`${link.page} → ${link.href}: ok`);
      const [path, anchor] = link.href.split('#');
      const res = await t.browser().get(path + (lang === REFERENCE_LANGUAGE ? '' : `${path.includes('?') ? '&' : '?'}lang=${lang}`));
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

  it('finds every article by some word of its body that no other page has', () => {
    const docs = [...content.list('article'), ...content.list('policy')];
    for (const doc of content.list('article')) {
      const elsewhere = new Set(docs.filter((d) => d !== doc).flatMap((d) => [...d.index.title, ...d.index.summary, ...d.index.bodyWords.map((w) => w.folded)]));
      const own = new Set([...doc.index.title, ...doc.index.summary]);
      const word = doc.index.bodyWords.map((w) => w.folded).find((w) => w.length >= 6 && !own.has(w) && ![...elsewhere].some((e) => e.startsWith(w)));
      expect(`${doc.slug}: ${word ? 'has a word' : 'none'}`).toBe(`${doc.slug}: has a word`);
      expect(search(docs, word!, 'en').map((hit) => hit.doc.slug)).toEqual([doc.slug]);
    }
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

describe('policies', () => {
  function retentionRows(html: string): Record<string, string> {
    const table = /<h2 id="retention">[\s\S]*?<table[\s\S]*?<\/table>/.exec(html)![0];
    const rows: Record<string, string> = {};
    for (const row of table.matchAll(/<tr><th scope="row"[^>]*>([\s\S]*?)<\/th><td[^>]*>([\s\S]*?)<\/td><\/tr>/g)) rows[decode(row[1])] = decode(row[2]);
    return rows;
  }

  it('shows the retention periods the configuration sets, and follows the setting when it changes', async () => {
    const defaults = retentionRows((await t.browser().get('/policies/privacy')).text);
    expect(defaults['Photos of your identity documents']).toMatch(/^30 days after/);
    expect(defaults['Video call recordings']).toMatch(/^90 days after/);
    expect(defaults['Audit records (security events and staff access, without your documents or recordings)']).toBe('7 years');
    expect(defaults['Support requests and their messages']).toMatch(/^365 days after/);

    const other = await startTestApp({ DOCUMENT_RETENTION_DAYS: '14', RECORDING_RETENTION_DAYS: '180', AUDIT_RETENTION_YEARS: '10', SUPPORT_RETENTION_DAYS: '90' });
    try {
      expect(other.config.retention).toEqual({ documentDays: 14, recordingDays: 180, auditYears: 10, supportDays: 90 });
      const changed = retentionRows((await other.browser().get('/policies/privacy')).text);
      expect(changed['Photos of your identity documents']).toMatch(/^14 days after/);
      expect(changed['Video call recordings']).toMatch(/^180 days after/);
      expect(changed['Audit records (security events and staff access, without your documents or recordings)']).toBe('10 years');
      expect(changed['Support requests and their messages']).toMatch(/^90 days after/);
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

    it('refuses a translated page that has no English original', () => {
      cpSync(join(root, 'help/en'), join(root, 'help/es'), { recursive: true });
      write('help/es/solo-en-espanol.md', article('Hola.'));
      expect(() => new HelpContent(variables(), root)).toThrow('has no English original');
    });

    it('refuses policies in a language that has no help articles', () => {
      cpSync(join(root, 'policies/en'), join(root, 'policies/fr'), { recursive: true });
      expect(() => new HelpContent(variables(), root)).toThrow('has no help articles: add content/help/fr too');
    });

    it('takes a new language from its folder, shows it in its own direction, and falls back to English for pages not yet translated', async () => {
      cpSync(join(root, 'help/en'), join(root, 'help/ar'), { recursive: true });
      rmSync(join(root, 'help/ar/appointments.md'));
      const loaded = new HelpContent(variables(), root);
      expect(loaded.languages).toEqual(['en', 'ar']);
      expect(loaded.missing('ar')).toEqual(['help/appointments', 'policies/terms', 'policies/privacy', 'policies/fair-credit-reporting-act', 'policies/accessibility']);
      expect(loaded.find('article', 'itin', 'ar')).toMatchObject({ lang: 'ar', dir: 'rtl' });
      expect(loaded.find('article', 'appointments', 'ar')).toMatchObject({ lang: 'en', dir: 'ltr' });
    });
  });
});

describe('"Learn more" on the steps', () => {
  it('shows each step the help articles the links table gives for it', async () => {
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
    } finally {
      await t2.close();
    }
  });
});
