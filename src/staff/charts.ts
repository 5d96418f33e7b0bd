/**
 * Charts drawn on the server as SVG strings: no JavaScript, and readable without sight or
 * colour. Each <svg> is role="img", named by its <title> and described by its <desc>; the page
 * shows a table of the same numbers next to it; series differ by line dash and marker shape
 * (lines) or fill pattern (bars), shown in a legend, never by colour alone. Every text (titles,
 * axis and series labels) comes in as a parameter, so pages can translate them, and is escaped
 * here (text a page already translated and escaped, t()'s SafeString, is placed as it is). Numbers
 * are written by the page's `number` function when given (its language's digits). The plot
 * stays left to right (time runs left to right) in a right-to-left page; with `rtl` (an Arabic
 * page) its words are set right to left ("13 نوفمبر", not "نوفمبر 13") and the legend runs from
 * the right. Pure functions: tested in test/charts.spec.ts.
 */
import nunjucks from 'nunjucks';
import { escapeHtml } from '../i18n/messages';

/** Text for the SVG, escaped as for HTML (the same five characters). */
export const escapeXml = (value: unknown): string => escapeHtml(String(value));

/** A label for the SVG: escaped, unless the page hands over markup-safe text (t()'s output). */
const xmlText = (value: unknown): string => (value instanceof nunjucks.runtime.SafeString ? String(value) : escapeXml(value));
type NumberFormat = (value: number) => string;
const plain: NumberFormat = (value) => String(value);
/** The direction of a text with words in it (numbers alone stay as the plot sets them). */
const wordsDir = (rtl: boolean | undefined) => (rtl ? ' direction="rtl"' : '');
/** About how wide a label is drawn, in plot units (13-unit text). */
const labelWidth = (label: unknown) => String(label).length * 7;

export interface Scale {
  max: number;
  step: number;
  ticks: number[];
}

/**
 * A y axis for counts: 0 to a round maximum at least `max`, in whole steps of 1, 2 or 5 × 10ⁿ,
 * about `target` of them. Nothing (or only zeros) still gives an axis, 0 to 1.
 */
export function countScale(max: number, target = 4): Scale {
  const top = Number.isFinite(max) && max > 0 ? max : 0;
  const rough = Math.max(top / target, 1);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const scaleMax = Math.max(step, Math.ceil(top / step) * step);
  const ticks: number[] = [];
  for (let v = 0; v <= scaleMax; v += step) ticks.push(v);
  return { max: scaleMax, step, ticks };
}

/** Maps [d0, d1] onto [r0, r1]; a domain of one value maps to the middle of the range. */
export function linear([d0, d1]: [number, number], [r0, r1]: [number, number]): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

// ---- Layout and styles ----------------------------------------------------------------------

const WIDTH = 720;
const HEIGHT = 320;
const MARGIN = { top: 44, right: 24, bottom: 56, left: 64 };
const PLOT = { left: MARGIN.left, right: WIDTH - MARGIN.right, top: MARGIN.top, bottom: HEIGHT - MARGIN.bottom };
const INK = '#1b1b1b';
const GRID = '#dfe1e2';
/** USWDS colours, each at least 3:1 against white (WCAG 1.4.11); the patterns and markers tell them apart anyway. */
const COLOURS = ['#005ea2', '#b50909', '#2e6276', '#5c1111'];
const DASHES = ['', '8 4', '2 3', '10 3 2 3'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'] as const;

const n = (v: number) => String(Math.round(v * 10) / 10);
const safeId = (id: string) => id.replace(/[^A-Za-z0-9_-]/g, '') || 'chart';

function marker(kind: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  const r = 3.5;
  switch (kind) {
    case 'circle':
      return `<circle cx="${n(x)}" cy="${n(y)}" r="${r}" fill="${colour}"/>`;
    case 'square':
      return `<rect x="${n(x - r)}" y="${n(y - r)}" width="${r * 2}" height="${r * 2}" fill="${colour}"/>`;
    case 'triangle':
      return `<path d="M${n(x)},${n(y - r - 1)} L${n(x + r + 1)},${n(y + r)} L${n(x - r - 1)},${n(y + r)} Z" fill="${colour}"/>`;
    default:
      return `<path d="M${n(x)},${n(y - r - 1)} L${n(x + r + 1)},${n(y)} L${n(x)},${n(y + r + 1)} L${n(x - r - 1)},${n(y)} Z" fill="${colour}"/>`;
  }
}

/** The opening tag, <title>, <desc> and axis labels every chart shares. */
function frame(id: string, title: string, description: string, xLabel: string, yLabel: string, rtl?: boolean): string {
  const midY = (PLOT.top + PLOT.bottom) / 2;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" class="referee-chart" font-size="13" fill="${INK}" direction="ltr">` +
    `<title id="${id}-title">${xmlText(title)}</title>` +
    `<desc id="${id}-desc">${xmlText(description)}</desc>` +
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>` +
    `<text x="${n((PLOT.left + PLOT.right) / 2)}" y="${HEIGHT - 10}" text-anchor="middle"${wordsDir(rtl)}>${xmlText(xLabel)}</text>` +
    `<text x="16" y="${n(midY)}" text-anchor="middle"${wordsDir(rtl)} transform="rotate(-90 16 ${n(midY)})">${xmlText(yLabel)}</text>`
  );
}

/** Horizontal grid lines and the y axis's labels. */
function yAxis(scale: Scale, y: (v: number) => number, number: NumberFormat): string {
  return scale.ticks
    .map(
      (t) =>
        `<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${n(y(t))}" y2="${n(y(t))}" stroke="${t === 0 ? INK : GRID}" stroke-width="1"/>` +
        `<text x="${PLOT.left - 8}" y="${n(y(t) + 4)}" text-anchor="end">${escapeXml(number(t))}</text>`,
    )
    .join('');
}

/**
 * A row of legend entries above the plot: a sample of the series' look, then its label; from
 * the left, or from the right in a right-to-left page (the label then ends at the swatch).
 */
function legend(entries: { swatch: (x: number, y: number) => string; label: string }[], rtl?: boolean): string {
  let x = rtl ? PLOT.right : PLOT.left;
  const y = 18;
  return entries
    .map((e) => {
      const advance = 34 + labelWidth(e.label) + 24;
      if (rtl) {
        // text-anchor start, right to left: the label's right end sits 6 units left of the swatch.
        const out = `${e.swatch(x - 28, y)}<text x="${n(x - 34)}" y="${y + 4}" direction="rtl">${xmlText(e.label)}</text>`;
        x -= advance;
        return out;
      }
      const out = `${e.swatch(x, y)}<text x="${n(x + 34)}" y="${y + 4}">${xmlText(e.label)}</text>`;
      x += advance;
      return out;
    })
    .join('');
}

const nothing = (label: string | undefined, rtl?: boolean) =>
  label ? `<text x="${n((PLOT.left + PLOT.right) / 2)}" y="${n((PLOT.top + PLOT.bottom) / 2)}" text-anchor="middle"${wordsDir(rtl)}>${xmlText(label)}</text>` : '';

// ---- Line chart -----------------------------------------------------------------------------

export interface LineChart {
  /** Prefix of the ids inside the SVG: unique on the page. */
  id: string;
  title: string;
  description: string;
  xLabel: string;
  yLabel: string;
  /** The x values the axis spans (e.g. times in milliseconds). */
  xDomain: [number, number];
  xTicks: { x: number; label: string }[];
  /** At most four, told apart by dash and marker. */
  series: { label: string; points: { x: number; y: number }[] }[];
  /** Shown in the plot when no series has a point. */
  emptyLabel?: string;
  /** Writes the y axis's numbers (e.g. the page's formatNumber); digits as they are by default. */
  number?: NumberFormat;
  /** The page reads right to left: words set that way, the legend from the right. */
  rtl?: boolean;
}

export function lineChart(chart: LineChart): string {
  const id = safeId(chart.id);
  const series = chart.series.slice(0, COLOURS.length);
  const all = series.flatMap((s) => s.points);
  const scale = countScale(Math.max(0, ...all.map((p) => p.y)));
  const x = linear(chart.xDomain, [PLOT.left, PLOT.right]);
  const y = linear([0, scale.max], [PLOT.bottom, PLOT.top]);
  const xTicks = chart.xTicks
    .filter((t) => t.x >= Math.min(...chart.xDomain) && t.x <= Math.max(...chart.xDomain))
    .map(
      (t) =>
        `<line x1="${n(x(t.x))}" x2="${n(x(t.x))}" y1="${PLOT.bottom}" y2="${PLOT.bottom + 5}" stroke="${INK}"/>` +
        `<text x="${n(x(t.x))}" y="${PLOT.bottom + 20}" text-anchor="middle"${wordsDir(chart.rtl)}>${xmlText(t.label)}</text>`,
    )
    .join('');
  const lines = series
    .map((s, i) => {
      const points = [...s.points].sort((a, b) => a.x - b.x);
      const colour = COLOURS[i];
      const path =
        points.length > 1
          ? `<polyline points="${points.map((p) => `${n(x(p.x))},${n(y(p.y))}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2.5"${DASHES[i] ? ` stroke-dasharray="${DASHES[i]}"` : ''}/>`
          : '';
      return path + points.map((p) => marker(MARKERS[i], x(p.x), y(p.y), colour)).join('');
    })
    .join('');
  const key = legend(
    series.map((s, i) => ({
      label: s.label,
      swatch: (lx, ly) =>
        `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${COLOURS[i]}" stroke-width="2.5"${DASHES[i] ? ` stroke-dasharray="${DASHES[i]}"` : ''}/>` +
        marker(MARKERS[i], lx + 14, ly, COLOURS[i]),
    })),
    chart.rtl,
  );
  return `${frame(id, chart.title, chart.description, chart.xLabel, chart.yLabel, chart.rtl)}${yAxis(scale, y, chart.number ?? plain)}${xTicks}${lines}${all.length ? '' : nothing(chart.emptyLabel, chart.rtl)}${key}</svg>`;
}

// ---- Stacked bar chart ------------------------------------------------------------------------

export interface StackedBarChart {
  id: string;
  title: string;
  description: string;
  xLabel: string;
  yLabel: string;
  /** One bar per category, left to right (e.g. days). */
  categories: string[];
  /** Stacked bottom to top, at most four, told apart by fill pattern; values[i] belongs to categories[i]. */
  series: { label: string; values: number[] }[];
  /** Shown in the plot when every value is zero. */
  emptyLabel?: string;
  /** Writes the y axis's numbers and the bars' totals; digits as they are by default. */
  number?: NumberFormat;
  /** The page reads right to left: words set that way, the legend from the right. */
  rtl?: boolean;
}

/** Fill patterns: solid, diagonal lines, dots, cross-hatch (each on white, in the series' colour). */
function patterns(id: string, count: number): string {
  const shapes = [
    (c: string) => `<rect width="8" height="8" fill="${c}"/>`,
    (c: string) => `<rect width="8" height="8" fill="#ffffff"/><path d="M-2,2 L2,-2 M0,8 L8,0 M6,10 L10,6" stroke="${c}" stroke-width="2.5"/>`,
    (c: string) => `<rect width="8" height="8" fill="#ffffff"/><circle cx="4" cy="4" r="2.2" fill="${c}"/>`,
    (c: string) => `<rect width="8" height="8" fill="#ffffff"/><path d="M0,0 L8,8 M8,0 L0,8" stroke="${c}" stroke-width="1.8"/>`,
  ];
  return `<defs>${shapes
    .slice(0, count)
    .map((shape, i) => `<pattern id="${id}-fill-${i}" patternUnits="userSpaceOnUse" width="8" height="8">${shape(COLOURS[i])}</pattern>`)
    .join('')}</defs>`;
}

export function stackedBarChart(chart: StackedBarChart): string {
  const id = safeId(chart.id);
  const number = chart.number ?? plain;
  const series = chart.series.slice(0, COLOURS.length);
  const value = (s: number, c: number) => Math.max(0, Number(series[s].values[c]) || 0);
  const totals = chart.categories.map((_, c) => series.reduce((sum, _s, s) => sum + value(s, c), 0));
  const scale = countScale(Math.max(0, ...totals));
  const y = linear([0, scale.max], [PLOT.bottom, PLOT.top]);
  const slot = chart.categories.length ? (PLOT.right - PLOT.left) / chart.categories.length : 0;
  const barWidth = Math.min(48, slot * 0.7);
  // Category labels thin out when they would not fit (at least 44 units each, more for long ones: "13 نوفمبر").
  const widest = Math.max(44, ...chart.categories.map(labelWidth));
  const every = Math.max(1, Math.ceil(chart.categories.length / Math.max(1, Math.floor((PLOT.right - PLOT.left) / widest))));
  const bars = chart.categories
    .map((label, c) => {
      const centre = PLOT.left + slot * (c + 0.5);
      let base = 0;
      const segments = series
        .map((_, s) => {
          const v = value(s, c);
          if (!v) return '';
          const top = y(base + v);
          const out = `<rect x="${n(centre - barWidth / 2)}" y="${n(top)}" width="${n(barWidth)}" height="${n(y(base) - top)}" fill="url(#${id}-fill-${s})" stroke="${COLOURS[s]}" stroke-width="1.5"/>`;
          base += v;
          return out;
        })
        .join('');
      const total = totals[c] ? `<text x="${n(centre)}" y="${n(y(totals[c]) - 6)}" text-anchor="middle">${escapeXml(number(totals[c]))}</text>` : '';
      // Counted from the right: the last (most recent) category always keeps its label.
      const tick = (chart.categories.length - 1 - c) % every === 0 ? `<text x="${n(centre)}" y="${PLOT.bottom + 20}" text-anchor="middle"${wordsDir(chart.rtl)}>${xmlText(label)}</text>` : '';
      return segments + total + tick;
    })
    .join('');
  const key = legend(
    series.map((s, i) => ({
      label: s.label,
      swatch: (lx, ly) => `<rect x="${lx}" y="${ly - 8}" width="28" height="16" fill="url(#${id}-fill-${i})" stroke="${COLOURS[i]}" stroke-width="1.5"/>`,
    })),
    chart.rtl,
  );
  const empty = totals.every((t) => !t) ? nothing(chart.emptyLabel, chart.rtl) : '';
  return `${frame(id, chart.title, chart.description, chart.xLabel, chart.yLabel, chart.rtl)}${patterns(id, series.length)}${yAxis(scale, y, number)}${bars}${empty}${key}</svg>`;
}
