import nunjucks from 'nunjucks';
import { countScale, escapeXml, linear, lineChart, stackedBarChart, type LineChart, type StackedBarChart } from '../src/staff/charts';

/** The supervisor's charts as SVG strings: scales, empty data, one point, escaping, and what assistive technology reads. */

const HOUR = 3600_000;
const line = (over: Partial<LineChart> = {}): LineChart => ({
  id: 'w',
  title: 'Waiting',
  description: 'Applicants waiting',
  xLabel: 'Time (UTC)',
  yLabel: 'Applicants',
  xDomain: [0, 2 * HOUR],
  xTicks: [
    { x: 0, label: '06:00' },
    { x: HOUR, label: '07:00' },
    { x: 2 * HOUR, label: '08:00' },
  ],
  series: [
    { label: 'Review', points: [{ x: 0, y: 1 }, { x: HOUR, y: 7 }, { x: 2 * HOUR, y: 3 }] },
    { label: 'Call', points: [{ x: 0, y: 0 }, { x: HOUR, y: 2 }, { x: 2 * HOUR, y: 0 }] },
  ],
  emptyLabel: 'No data',
  ...over,
});
const bars = (over: Partial<StackedBarChart> = {}): StackedBarChart => ({
  id: 'o',
  title: 'Outcomes',
  description: 'Per day',
  xLabel: 'Day',
  yLabel: 'Outcomes',
  categories: ['Nov 1', 'Nov 2', 'Nov 3'],
  series: [
    { label: 'Verified', values: [2, 0, 5] },
    { label: 'Not verified', values: [1, 0, 0] },
  ],
  emptyLabel: 'Nothing yet',
  ...over,
});
/** The SVG's visible texts, in order. */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const attrs = (svg: string, tag: string, name: string) => [...svg.matchAll(new RegExp(`<${tag} [^>]*${name}="([^"]*)"`, 'g'))].map((m) => m[1]);

describe('countScale', () => {
  it.each([
    [0, 1, [0, 1]],
    [-3, 1, [0, 1]],
    [Number.NaN, 1, [0, 1]],
    [1, 1, [0, 1]],
    [3.5, 4, [0, 1, 2, 3, 4]],
    [7, 8, [0, 2, 4, 6, 8]],
    [10, 10, [0, 5, 10]],
    [37, 40, [0, 10, 20, 30, 40]],
    [100, 100, [0, 50, 100]],
  ])('gives %p a round axis up to %p, ticks %p', (max, top, ticks) => {
    const scale = countScale(max);
    expect(scale.max).toBe(top);
    expect(scale.ticks).toEqual(ticks);
    expect(scale.max).toBeGreaterThanOrEqual(Number.isFinite(max) ? max : 0);
  });
});

describe('linear', () => {
  it('maps the domain onto the range, reversed ranges included, and a one-value domain to the middle', () => {
    expect(linear([0, 10], [100, 200])(5)).toBe(150);
    expect(linear([0, 4], [300, 100])(4)).toBe(100);
    expect(linear([7, 7], [0, 50])(7)).toBe(25);
  });
});

describe('escapeXml', () => {
  it('escapes the five characters that matter in text and attributes', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
  });
});

describe('lineChart', () => {
  it('is an image named by its title and described by its desc, with the axis labels, ticks and series labels', () => {
    const svg = lineChart(line());
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="w-title" aria-describedby="w-desc"/);
    expect(svg).toContain('<title id="w-title">Waiting</title>');
    expect(svg).toContain('<desc id="w-desc">Applicants waiting</desc>');
    expect(texts(svg)).toEqual(expect.arrayContaining(['Time (UTC)', 'Applicants', '06:00', '07:00', '08:00', 'Review', 'Call']));
    // Highest value 7 → an axis to 8 in steps of 2.
    expect(texts(svg)).toEqual(expect.arrayContaining(['0', '2', '4', '6', '8']));
    expect(texts(svg)).not.toContain('10');
  });

  it('places points by value: the highest at the top of the plot, zero on the baseline, first and last at the ends', () => {
    const svg = lineChart(line());
    const review = attrs(svg, 'polyline', 'points')[0].split(' ').map((p) => p.split(',').map(Number));
    const call = attrs(svg, 'polyline', 'points')[1].split(' ').map((p) => p.split(',').map(Number));
    const ys = review.map(([, y]) => y);
    expect(ys[1]).toBeLessThan(ys[2]); // 7 is above 3
    expect(ys[2]).toBeLessThan(ys[0]); // 3 is above 1
    expect(call[0][1]).toBe(call[2][1]); // both zero, on the same line
    expect(review[0][0]).toBeLessThan(review[1][0]);
    expect(review[1][0] - review[0][0]).toBeCloseTo(review[2][0] - review[1][0], 5); // equal spacing in time
  });

  it('tells series apart without colour: each has its own dash and marker shape', () => {
    const svg = lineChart(line());
    const dashes = attrs(svg, 'polyline', 'stroke-dasharray');
    expect(dashes).toHaveLength(1); // the first is solid, the second dashed
    expect(svg).toContain('<circle');
    expect(svg).toContain('<rect x=');
  });

  it('draws the axes and says so when there is no data', () => {
    const svg = lineChart(line({ series: [{ label: 'Review', points: [] }, { label: 'Call', points: [] }] }));
    expect(svg).not.toContain('<polyline');
    expect(texts(svg)).toEqual(expect.arrayContaining(['No data', '0', '1', 'Time (UTC)']));
    expect(svg.endsWith('</svg>')).toBe(true);
  });

  it('draws one point as a marker, in the middle when the domain is one instant', () => {
    const svg = lineChart(line({ xDomain: [5, 5], xTicks: [], series: [{ label: 'Review', points: [{ x: 5, y: 2 }] }] }));
    expect(svg).not.toContain('<polyline');
    const [cx] = attrs(svg, 'circle', 'cx').map(Number);
    expect(cx).toBeGreaterThan(300);
    expect(cx).toBeLessThan(420);
    expect(texts(svg)).not.toContain('No data');
  });

  it('escapes every text it is given, and keeps ids to safe characters', () => {
    const evil = '<script>alert("x")</script> & \'';
    const svg = lineChart(line({ id: 'a"b<c', title: evil, description: evil, xLabel: evil, yLabel: evil, xTicks: [{ x: 0, label: evil }], series: [{ label: evil, points: [{ x: 0, y: 1 }] }], emptyLabel: evil }));
    expect(svg).not.toContain('<script');
    expect(svg).not.toMatch(/"x"/);
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;');
    expect(svg).toContain('id="abc-title"');
  });
});

describe('stackedBarChart', () => {
  it('stacks each day, labels the totals and the days, and scales to the largest total', () => {
    const svg = stackedBarChart(bars());
    expect(svg).toContain('<title id="o-title">Outcomes</title>');
    expect(texts(svg)).toEqual(expect.arrayContaining(['Nov 1', 'Nov 2', 'Nov 3', 'Verified', 'Not verified', 'Day', 'Outcomes']));
    // Totals 3 and 5 above their bars; the empty day has no bar and no total.
    const heights = attrs(svg, 'rect', 'height').map(Number);
    expect(texts(svg)).toEqual(expect.arrayContaining(['3', '5']));
    const segments = [...svg.matchAll(/<rect x="[^"]*" y="[^"]*" width="[^"]*" height="([^"]*)" fill="url\(#o-fill-(\d)\)"/g)].map((m) => ({ h: Number(m[1]), s: Number(m[2]) }));
    expect(segments).toHaveLength(3 + 2); // 2 + 1 + 1 bars' segments, and the two legend swatches
    const bar = segments.filter((x) => x.h !== 16);
    expect(bar.map((x) => x.s)).toEqual([0, 1, 0]);
    // Heights in proportion: 5 is five times 1, and 2 twice 1.
    expect(bar[2].h / bar[1].h).toBeCloseTo(5, 1);
    expect(bar[0].h / bar[1].h).toBeCloseTo(2, 1);
    expect(heights.length).toBeGreaterThan(0);
  });

  it('tells series apart without colour: a fill pattern each (solid, lines, dots, cross-hatch), shown in the legend', () => {
    const svg = stackedBarChart(bars({ series: ['A', 'B', 'C', 'D'].map((label) => ({ label, values: [1, 1, 1] })) }));
    const patterns = [...svg.matchAll(/<pattern id="(o-fill-\d)"[^>]*>(.*?)<\/pattern>/g)];
    expect(patterns.map((p) => p[1])).toEqual(['o-fill-0', 'o-fill-1', 'o-fill-2', 'o-fill-3']);
    expect(new Set(patterns.map((p) => p[2].replace(/#[0-9a-f]{6}/g, ''))).size).toBe(4);
  });

  it('says so when every value is zero, and draws no bars', () => {
    const svg = stackedBarChart(bars({ series: [{ label: 'Verified', values: [0, 0, 0] }] }));
    expect(texts(svg)).toContain('Nothing yet');
    expect(svg.match(/fill="url\(#o-fill-0\)"/g)).toHaveLength(1); // the legend's swatch only
    expect(texts(svg)).toEqual(expect.arrayContaining(['0', '1']));
  });

  it('draws a single day, and treats missing or negative values as zero', () => {
    const svg = stackedBarChart(bars({ categories: ['Today'], series: [{ label: 'Verified', values: [4] }, { label: 'No-show', values: [-2] }] }));
    expect(texts(svg)).toEqual(expect.arrayContaining(['Today', '4']));
    expect(svg).not.toContain('NaN');
    expect(stackedBarChart(bars({ categories: [], series: [] }))).toContain('Nothing yet');
  });

  it('escapes every text it is given', () => {
    const evil = '<b>&"\'';
    const svg = stackedBarChart(bars({ title: evil, description: evil, xLabel: evil, yLabel: evil, categories: [evil], series: [{ label: evil, values: [1] }] }));
    expect(svg).not.toContain('<b>');
    expect(svg.match(/&lt;b&gt;&amp;&quot;&#39;/g)!.length).toBe(6); // title, desc, both axes, the day, the legend
  });
});

describe('charts in the page’s language', () => {
  it('writes numbers with the page’s function and places text the page already escaped as it is', () => {
    const arabicDigits = (v: number) => new Intl.NumberFormat('ar-EG').format(v);
    const svg = stackedBarChart(bars({ number: arabicDigits, title: new nunjucks.runtime.SafeString('O&#39;Brien &amp; co') as unknown as string }));
    expect(texts(svg)).toEqual(expect.arrayContaining(['٠', '٣', '٥'])); // the axis from 0, the totals 3 and 5
    expect(texts(svg)).not.toContain('5');
    expect(svg).toContain('<title id="o-title">O&#39;Brien &amp; co</title>'); // not escaped twice
  });

  it('sets words right to left in a right-to-left page and runs the legend from the right, the plot unchanged', () => {
    const ltr = lineChart(line());
    const rtl = lineChart(line({ rtl: true, series: line().series.map((series, i) => ({ ...series, label: ['لمراجعة المستندات', 'لمكالمة فيديو'][i] })) }));
    expect(rtl).toMatch(/^<svg [^>]*direction="ltr"/);
    expect(rtl).toContain('text-anchor="middle" direction="rtl">07:00</text>');
    expect(rtl).toContain('direction="rtl">Time (UTC)</text>');
    expect(rtl).not.toMatch(/direction="rtl">\d+<\/text>/); // the y axis's numbers stay anchored to the axis
    const legendX = (svg: string) => [...svg.matchAll(/<text x="([\d.]+)" y="22"[^>]*>/g)].map((m) => Number(m[1]));
    const [first, second] = legendX(rtl);
    expect(first).toBeGreaterThan(600); // the first entry at the right end
    expect(second).toBeLessThan(first);
    expect(legendX(ltr)[0]).toBeLessThan(120);
    expect(attrs(rtl, 'polyline', 'points')).toEqual(attrs(ltr, 'polyline', 'points')); // time still runs left to right
  });

  it('thins out long day labels so they do not overlap, always keeping the last (today)', () => {
    const days = Array.from({ length: 14 }, (_, i) => `${i + 1} نوفمبر`);
    const svg = stackedBarChart(bars({ categories: days, series: [{ label: 'تم التحقق', values: days.map(() => 1) }], rtl: true }));
    const shown = texts(svg).filter((t) => t.endsWith('نوفمبر'));
    expect(shown.length).toBeLessThan(14);
    expect(shown.at(-1)).toBe('14 نوفمبر');
    const short = stackedBarChart(bars({ categories: days.map((_, i) => `Nov ${i + 1}`), series: [{ label: 'Verified', values: days.map(() => 1) }] }));
    expect(texts(short).filter((t) => t.startsWith('Nov '))).toHaveLength(14);
  });
});
