/**
 * Time zones by IANA name (America/New_York, Asia/Tokyo), with nothing but Intl: times are
 * stored in UTC and turned into wall-clock times of a zone only to generate slots and to
 * show them. Daylight saving changes are the zone database's business, not ours.
 */

const ZONES = new Set<string>(Intl.supportedValuesOf('timeZone'));
ZONES.add('UTC');

export const TIME_ZONES = [...ZONES].sort();

export function isTimeZone(value: unknown): value is string {
  return typeof value === 'string' && ZONES.has(value);
}

const partsFormat = new Map<string, Intl.DateTimeFormat>();
function partsIn(zone: string): Intl.DateTimeFormat {
  let f = partsFormat.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
    partsFormat.set(zone, f);
  }
  return f;
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 Sunday … 6 Saturday. */
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The wall-clock time in `zone` at `at`. */
export function wallClock(at: Date, zone: string): WallClock {
  const p = Object.fromEntries(partsIn(zone).formatToParts(at).map((x) => [x.type, x.value]));
  return { year: +p.year, month: +p.month, day: +p.day, hour: +p.hour, minute: +p.minute, weekday: WEEKDAYS.indexOf(p.weekday) };
}

/** Minutes `zone` is ahead of UTC at `at`. */
export function offsetMinutes(at: Date, zone: string): number {
  const w = wallClock(at, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return Math.round((asUtc - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
}

/**
 * The instant a wall-clock time in `zone` stands for. A time skipped by a spring-forward
 * change gives undefined (no such local time); a repeated one (fall back) its first instant.
 */
export function zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, zone: string): Date | undefined {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  for (const offset of new Set([offsetMinutes(new Date(guess - 14 * 3600_000), zone), offsetMinutes(new Date(guess + 14 * 3600_000), zone)])) {
    const at = new Date(guess - offset * 60_000);
    const w = wallClock(at, zone);
    if (w.year === year && w.month === month && w.day === day && w.hour === hour && w.minute === minute) return at;
  }
  return undefined;
}

/** YYYY-MM-DD of the wall-clock date in `zone`. */
export function localDate(at: Date, zone: string): string {
  const w = wallClock(at, zone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/**
 * A zone as a person reads it, in their language: its generic name from CLDR and its city,
 * "Central European Time (Berlin)", "hora de Europa central (Berlin)". Intl has no localized
 * city names, so the city is the zone's own (English) one; UTC and zones without a city are
 * their name alone.
 */
export function zoneLabel(zone: string, language: string): string {
  const cityless = zone === 'UTC' || zone.startsWith('Etc/');
  const style = cityless ? 'long' : 'longGeneric'; // "Coordinated Universal Time", not "GMT+00:00"
  const name = new Intl.DateTimeFormat(language, { timeZone: zone, timeZoneName: style }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? zone;
  const city = cityless ? '' : zone.slice(zone.lastIndexOf('/') + 1).replace(/_/g, ' ');
  return city && !name.includes(city) ? `${name} (${city})` : name;
}

const zoneOptionsByLanguage = new Map<string, { value: string; label: string }[]>();

/** Every zone as a select option, labelled and sorted in the reader's language (computed once per language). */
export function zoneOptions(language: string): { value: string; label: string }[] {
  let options = zoneOptionsByLanguage.get(language);
  if (!options) {
    const collator = new Intl.Collator(language);
    options = TIME_ZONES.map((value) => ({ value, label: zoneLabel(value, language) })).sort((a, b) => collator.compare(a.label, b.label));
    zoneOptionsByLanguage.set(language, options);
  }
  return options;
}
