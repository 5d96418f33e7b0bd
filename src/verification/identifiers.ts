/**
 * U.S. taxpayer numbers: the Social Security number (SSN) and the Individual Taxpayer
 * Identification Number (ITIN). Both are nine digits written AAA-GG-SSSS.
 *
 * SSN (Social Security Administration, randomized assignment since 2011): never area 000,
 * 666 or 900–999, never group 00, never serial 0000. Two numbers printed on sample cards
 * and used by thousands of people are void.
 * ITIN (IRS): starts with 9, and the middle (4th–5th) digits are in 50–65, 70–88, 90–92
 * or 94–99.
 */
import { phrase, type Text } from '../i18n/messages';

export type IdentifierKind = 'ssn' | 'itin';

export type Parsed = { digits: string } | { error: Text };

/** Numbers the SSA voided after they appeared on sample cards (Woolworth wallet, 1938; and 219-09-9999). */
const VOID_SSNS = new Set(['078051120', '219099999']);

/** The messages name the kind themselves ({kind, select, …}): "an ITIN", "a Social Security number". */
const EXAMPLE: Record<IdentifierKind, string> = { ssn: '123-45-6789', itin: '912-70-1234' };

/** Digits only, from what a person typed: spaces and dashes allowed, nothing else. */
export function identifierDigits(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  if (!/^[0-9\s-]{0,20}$/.test(trimmed)) return undefined;
  return trimmed.replace(/[\s-]/g, '');
}

export function ssnProblem(digits: string): Text | undefined {
  const area = Number(digits.slice(0, 3));
  if (digits.slice(0, 3) === '000' || area === 666) return 'verification.errors.ssn.area';
  if (area >= 900) return 'verification.errors.ssn.startsWith9';
  if (digits.slice(3, 5) === '00') return 'verification.errors.ssn.group';
  if (digits.slice(5) === '0000') return 'verification.errors.ssn.serial';
  if (VOID_SSNS.has(digits)) return 'verification.errors.ssn.void';
  return undefined;
}

export function itinProblem(digits: string): Text | undefined {
  if (digits[0] !== '9') return 'verification.errors.itin.start';
  const middle = Number(digits.slice(3, 5));
  const valid = (middle >= 50 && middle <= 65) || (middle >= 70 && middle <= 88) || (middle >= 90 && middle <= 92) || middle >= 94;
  if (!valid) return 'verification.errors.itin.middle';
  return undefined;
}

/** Checks one typed number: nine digits, and the kind's rules. */
export function parseIdentifier(kind: IdentifierKind, raw: unknown): Parsed {
  const digits = identifierDigits(raw);
  if (digits === '') return { error: phrase('verification.errors.identifier.required', { kind }) };
  if (digits === undefined || digits.length !== 9) return { error: phrase('verification.errors.identifier.length', { kind, example: EXAMPLE[kind] }) };
  const problem = kind === 'ssn' ? ssnProblem(digits) : itinProblem(digits);
  return problem ? { error: problem } : { digits };
}

/**
 * The number and its confirmation, as the form fields `number` and `confirmNumber`:
 * field errors, or the digits when both are right and equal.
 */
export function parseConfirmedIdentifier(
  kind: IdentifierKind,
  raw: unknown,
  rawConfirm: unknown,
): { digits: string } | { errors: Record<string, Text> } {
  const first = parseIdentifier(kind, raw);
  if ('error' in first) return { errors: { number: first.error } };
  const confirm = identifierDigits(rawConfirm);
  if (!confirm) return { errors: { confirmNumber: phrase('verification.errors.identifier.confirm', { kind }) } };
  if (confirm !== first.digits) return { errors: { confirmNumber: phrase('verification.errors.identifier.mismatch', { kind }) } };
  return { digits: first.digits };
}

/** What pages may show of a number: its last four digits. */
export function lastFour(digits: string): string {
  return digits.slice(-4);
}
