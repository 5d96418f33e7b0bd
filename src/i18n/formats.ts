import type { Language } from './languages';

/**
 * Dates, times and numbers written the way the reader's language writes them (Intl, CLDR).
 * Formatters are costly to build and pure, so each combination is built once.
 */
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

export type DateStyle = 'date' | 'dateLong' | 'time' | 'timeSeconds' | 'dateTime' | 'dateTimeLong' | 'weekdayDate' | 'dayMonth';

const DATE_OPTIONS: Record<DateStyle, Intl.DateTimeFormatOptions> = {
  date: { dateStyle: 'medium' },
  dateLong: { dateStyle: 'long' },
  time: { timeStyle: 'short' },
  /** A clock that moves while it is watched (a page refreshing itself). */
  timeSeconds: { timeStyle: 'medium' },
  dateTime: { dateStyle: 'medium', timeStyle: 'short' },
  dateTimeLong: { dateStyle: 'full', timeStyle: 'short' },
  weekdayDate: { weekday: 'long', day: 'numeric', month: 'long' },
  /** A short day for an axis or a narrow column ("Mar 5", "5 mars"). */
  dayMonth: { day: 'numeric', month: 'short' },
};

/** A moment as the reader reads it; in `timeZone` when given (an appointment in the applicant's zone), else UTC. */
export function formatDate(language: Language, value: Date | string | number, style: DateStyle = 'date', timeZone = 'UTC'): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const id = `${language}|${style}|${timeZone}`;
  let format = dateFormats.get(id);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(language, { ...DATE_OPTIONS[style], timeZone });
    } catch {
      format = new Intl.DateTimeFormat(language, { ...DATE_OPTIONS[style], timeZone: 'UTC' }); // an unknown zone name
    }
    dateFormats.set(id, format);
  }
  return format.format(date);
}

/** A count or measure, with the language's digits and separators. */
export function formatNumber(language: Language, value: number, maximumFractionDigits = 0): string {
  const id = `${language}|${maximumFractionDigits}`;
  let format = numberFormats.get(id);
  if (!format) {
    format = new Intl.NumberFormat(language, { maximumFractionDigits });
    numberFormats.set(id, format);
  }
  return format.format(value);
}

/** "2 minutes", "45 secondes", "دقيقتان": a length of time in the reader's words. */
export function formatDuration(language: Language, value: number, unit: 'minute' | 'second' | 'hour' | 'day' | 'year'): string {
  const id = `${language}|${unit}`;
  let format = numberFormats.get(id);
  if (!format) {
    format = new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'long' });
    numberFormats.set(id, format);
  }
  return format.format(value);
}
