/**
 * `npm run tour`: every stop of test/tour/stops.ts photographed in each language at 1280 and
 * 390 px, into tour/<lang>/<width>/<stop>.png, with tour/index.html as the contact sheet.
 * TOUR_ONLY=call,queue TOUR_LANGS=en,ar TOUR_WIDTHS=390 npm run tour renders only those; TOUR_DIR=/elsewhere writes there.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/paths';
import { browserSuite } from '../browser/browser';
import { JITSI } from './states';
import { selected } from './stops';
import { formatViolations, tour } from './visit';

/** tour/ in the project (git ignores it), or TOUR_DIR. */
const OUT = process.env.TOUR_DIR || join(PROJECT_ROOT, 'tour');
const suite = browserSuite(JITSI);

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

suite.describe('the tour', () => {
  it('photographs every page a person meets', async () => {
    const browser = await suite.shared();
    const { stops, languages, widths } = selected();
    const landed = new Map<string, string>();
    const started = Date.now();
    const violations = await tour({
      t: suite.t,
      baseUrl: suite.baseUrl,
      context: browser.context,
      stops,
      languages,
      widths,
      progress: (line) => process.stderr.write(`${line}\n`),
      async onVisit({ stop, language, width, page, landed: path }) {
        const dir = join(OUT, language, String(width));
        mkdirSync(dir, { recursive: true });
        // A very long page (the audit log on a phone) takes a while on a busy machine; one picture missing does not stop the tour.
        await page.screenshot({ path: join(dir, `${stop.name}.png`), fullPage: true, timeout: 120_000 }).catch((error: Error) => process.stderr.write(`${stop.name} ${language} ${width}: no picture (${error.message.split('\n')[0]})\n`));
        landed.set(stop.name, path);
      },
    });
    const sheet = [
      '<!doctype html>',
      '<html lang="en">',
      '<head><meta charset="utf-8"><title>Referee: the tour</title>',
      '<style>body{font-family:sans-serif;margin:1rem}section{margin-bottom:2rem}ul{display:flex;flex-wrap:wrap;gap:.75rem;list-style:none;padding:0}' +
        'li{width:12rem}img{width:12rem;height:9rem;object-fit:cover;object-position:top;border:1px solid #aaa}.problems{color:#b50909}</style></head>',
      '<body>',
      `<h1>Referee: the tour</h1><p>${stops.length} stops, ${languages.join(', ')}, ${widths.join(' and ')} px; ${violations.length} finding(s); made in ${Math.round((Date.now() - started) / 1000)} s.</p>`,
      ...stops.map((stop) => {
        const found = violations.filter((v) => v.stop === stop.name);
        return [
          `<section id="${stop.name}"><h2>${stop.name} <small>${escape(landed.get(stop.name) ?? '')}</small></h2>`,
          found.length ? `<ul class="problems">${found.map((v) => `<li>${escape(`${v.language} ${v.width}: ${v.what} at ${v.where} ${v.text}`)}</li>`).join('')}</ul>` : '',
          '<ul>',
          ...languages.flatMap((language) =>
            widths.map((width) => {
              const file = `${language}/${width}/${stop.name}.png`;
              return `<li><a href="${file}"><img src="${file}" alt="${stop.name}, ${language}, ${width} px" loading="lazy"></a><br>${language} ${width} px</li>`;
            }),
          ),
          '</ul></section>',
        ].join('\n');
      }),
      '</body>',
      '</html>',
      '',
    ].join('\n');
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'index.html'), sheet);
    console.log(`tour: ${OUT}/index.html (${Math.round((Date.now() - started) / 1000)} s)${violations.length ? `\n${formatViolations(violations)}` : ''}`);
  }, 30 * 60_000);
});
