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
export type IdentifierKind = 'ssn' | 'itin';

export type Parsed = { digits: string } | { error: string };

/** Numbers the SSA voided after they appeared on sample cards (Woolworth wallet, 1938; and 219-09-9999). */
const VOID_SSNS = new Set(['078051120', '219099999']);

const LABEL: Record<IdentifierKind, { name: string; example: string }> = {
  ssn: { name: 'Social Security number', example: '123-45-6789' },
  itin: { name: 'ITIN', example: '912-70-1234' },
};

/** Digits only, from what a person typed: spaces and dashes allowed, nothing else. */
export function identifierDigits(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  if (!/^[0-9\s-]{0,20}$/.test(trimmed)) return undefined;
  return trimmed.replace(/[\s-]/g, '');
}

export function ssnProblem(digits: string): string | undefined {
  const area = Number(digits.slice(0, 3));
  if (digits.slice(0, 3) === '000' || area === 666) return 'A Social Security number cannot start with 000 or 666';
  if (area >= 900) return 'A Social Security number cannot start with 9. If your number starts with 9, it is an ITIN';
  if (digits.slice(3, 5) === '00') return 'The middle two digits of a Social Security number cannot be 00';
  if (digits.slice(5) === '0000') return 'The last four digits of a Social Security number cannot be 0000';
  if (VOID_SSNS.has(digits)) return 'This Social Security number was printed on sample cards and is not valid';
  return undefined;
}

export function itinProblem(digits: string): string | undefined {
  if (digits[0] !== '9') return 'An ITIN starts with 9. If your number does not, it may be a Social Security number';
  const middle = Number(digits.slice(3, 5));
  const valid = (middle >= 50 && middle <= 65) || (middle >= 70 && middle <= 88) || (middle >= 90 && middle <= 92) || middle >= 94;
  if (!valid) return 'The 4th and 5th digits of an ITIN are 50 to 65, 70 to 88, 90 to 92 or 94 to 99. Check your ITIN letter';
  return undefined;
}

/** Checks one typed number: nine digits, and the kind's rules. */
export function parseIdentifier(kind: IdentifierKind, raw: unknown): Parsed {
  const { name, example } = LABEL[kind];
  const digits = identifierDigits(raw);
  if (digits === '') return { error: `Enter your ${name}` };
  if (digits === undefined || digits.length !== 9) return { error: `Enter a ${name} of 9 digits, like ${example}` };
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
): { digits: string } | { errors: Record<string, string> } {
  const first = parseIdentifier(kind, raw);
  if ('error' in first) return { errors: { number: first.error } };
  const confirm = identifierDigits(rawConfirm);
  if (!confirm) return { errors: { confirmNumber: `Enter your ${LABEL[kind].name} again to confirm it` } };
  if (confirm !== first.digits) return { errors: { confirmNumber: `The ${LABEL[kind].name}s you entered do not match. Enter the same number twice` } };
  return { digits: first.digits };
}

/** What pages may show of a number: its last four digits. */
export function lastFour(digits: string): string {
  return digits.slice(-4);
}
