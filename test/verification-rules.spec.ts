import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/config';
import { PiiCipher, PiiDecryptionError, PiiFingerprints } from '../src/crypto/pii-cipher';
import { Messages, type Text } from '../src/i18n/messages';
import { COUNTRY_CODES } from '../src/i18n/countries';
import { isPoBox, parseAddress } from '../src/verification/addresses';
import {
  PRIMARY_DOCUMENTS,
  SECONDARY_DOCUMENTS,
  SUPPORTING_DOCUMENTS,
  evaluateDocuments,
  questionsFor,
  supportingDocuments,
  type DocumentChoice,
  type Track,
} from '../src/verification/catalog';
import { parseDateOfBirth, parseInternationalPhone, parseUsPhone } from '../src/verification/details';
import { itinProblem, parseConfirmedIdentifier, parseIdentifier, ssnProblem } from '../src/verification/identifiers';

/** What a reader of English sees of a catalog phrase (the rules hand out keys, not words). */
const messages = new Messages();
const en = (text: Text | undefined) => (text === undefined ? undefined : messages.text('en', text));
const enAll = (texts: Text[]) => texts.map((text) => en(text));
/** A parse result with its error (or each field error) in English. */
const inEnglish = <T extends object>(result: T): T =>
  'error' in result ? { ...result, error: en(result.error as Text) } : 'errors' in result ? { ...result, errors: Object.fromEntries(Object.entries(result.errors as Record<string, Text>).map(([k, v]) => [k, en(v)])) } : result;

// ---- The document rules ------------------------------------------------------------------

const ALL = [...PRIMARY_DOCUMENTS, ...SECONDARY_DOCUMENTS];
const kindOf = (key: string) => ALL.find((d) => d.key === key)!.kind;

/**
 * The rules as "What you'll need" states them, written independently of catalog.ts:
 * international = two primary, or one primary and at least one secondary; the short video
 * call = one primary; one type counts once; a national ID only from someone living abroad.
 */
function expected(track: Track, types: string[], outside: boolean): boolean {
  const counted = [...new Set(types)].filter((t) => outside || t !== 'national_id_card');
  const primaries = counted.filter((t) => kindOf(t) === 'primary').length;
  const secondaries = counted.filter((t) => kindOf(t) === 'secondary').length;
  return track === 'international' ? primaries >= 2 || (primaries >= 1 && secondaries >= 1) : primaries >= 1;
}

describe('the document catalog', () => {
  it('lists the product source\'s documents', () => {
    expect(PRIMARY_DOCUMENTS.map((d) => en(d.label))).toEqual([
      "U.S. Driver's License",
      'U.S. passport card',
      'U.S. Permanent resident card (I-551)',
      'HSPD-12 PIV card',
      'Government-issued photo ID',
      'Foreign (non-U.S.) passport',
      'USCIS-issued Employment Authorization Card (I-766)',
      'Transportation Security Administration (TSA) ID card',
      'DHS trusted traveler card (Global Entry, NEXUS, SENTRI)',
      "Veteran's health ID card",
      'Certificate of Naturalization (forms N-550 or N-570)',
      'National ID card',
      "Canadian driver's license",
      'Federally recognized, tribal-issued photo ID',
    ]);
    expect(PRIMARY_DOCUMENTS.filter((d) => d.note).map((d) => en(d.note))).toEqual([
      'No U.S. military ID cards',
      'No employer-issued ID cards',
      'Only if residing outside of the U.S.',
    ]);
    expect(SECONDARY_DOCUMENTS.map((d) => en(d.label))).toEqual(['Utility bill', 'Pay stub', 'Medical bill', 'Bank statement', 'W-2 form']);
    expect(SUPPORTING_DOCUMENTS.map((d) => en(d.label))).toEqual([
      'Proof of Individual Taxpayer Identification Number (ITIN)',
      'Proof of a non-U.S. address',
      'Legal name change documentation',
    ]);
  });

  it('asks for a photo, the date of birth and the expiry of photo IDs, the full MRZ of passports, and name and address of secondary documents', () => {
    const passport = PRIMARY_DOCUMENTS.find((d) => d.key === 'foreign_passport')!;
    expect(enAll(passport.mustShow)).toEqual(expect.arrayContaining(['Your full name', 'Your date of birth', 'Your photo', 'The expiration date']));
    expect(enAll(passport.mustShow).join(' ')).toContain('machine-readable zone: the two lines of letters, numbers and <<<');
    for (const d of SECONDARY_DOCUMENTS) expect(enAll(d.mustShow.slice(0, 2))).toEqual(['Your full name', 'Your current address']);
    expect(enAll(SECONDARY_DOCUMENTS.find((d) => d.key === 'utility_bill')!.mustShow)).toContain('Issued within the last 90 days');
    expect(enAll(SECONDARY_DOCUMENTS.find((d) => d.key === 'w2_form')!.mustShow)).toContain('For the most recent tax year');
  });

  it('asks whether the name matches and the document is unexpired, with the entered name', () => {
    const license = PRIMARY_DOCUMENTS[0];
    const questions = questionsFor(license, 'Ana María López');
    expect(questions.map((q) => en(q.text))).toEqual([
      "Will you have the original driver's license with you on the video call?",
      "Does the name on your driver's license match the name you entered (Ana María López)?",
      "Is your driver's license unexpired?",
    ]);
    expect(questionsFor(SECONDARY_DOCUMENTS[0], 'X').map((q) => q.key)).toEqual(['nameMatches', 'recent']);
    const w2 = SECONDARY_DOCUMENTS.find((d) => d.key === 'w2_form')!;
    expect(en(questionsFor(w2, 'X')[1].text)).toBe('Was your W-2 form for the most recent tax year, and does it show your current address?');
    const naturalization = PRIMARY_DOCUMENTS.find((d) => d.key === 'certificate_of_naturalization')!;
    expect(questionsFor(naturalization, 'X').map((q) => q.key)).toEqual(['original', 'nameMatches']);
  });
});

describe.each([
  ['international', true],
  ['international', false],
  ['us_video', true],
  ['us_video', false],
] as [Track, boolean][])('the rules on the %s track (living outside the U.S.: %s), over every choice of one and two documents', (track, outside) => {
  const sets: string[][] = [...ALL.map((d) => [d.key]), ...ALL.flatMap((a) => ALL.map((b) => [a.key, b.key]))];

  it(`decide ${sets.length} sets as the product source says`, () => {
    const wrong = sets
      .map((types) => ({ types, got: evaluateDocuments({ track, residesOutsideUs: outside, identifier: 'ssn' }, types.map((type) => ({ type }))).satisfied }))
      .filter(({ types, got }) => got !== expected(track, types, outside))
      .map(({ types, got }) => `${types.join(' + ')}: ${got}`);
    expect(wrong).toEqual([]);
  });

  it('never count an expired document', () => {
    for (const types of sets) {
      const choices: DocumentChoice[] = types.map((type, i) => ({ type, expired: i === 0 }));
      const result = evaluateDocuments({ track, residesOutsideUs: outside, identifier: 'itin' }, choices);
      expect(result.counted).not.toContain(0);
      expect(result.satisfied).toBe(expected(track, types.slice(1), outside));
    }
  });
});

describe('the rules, case by case', () => {
  const ctx = (track: Track, extra: Partial<{ outside: boolean; identifier: 'ssn' | 'itin' | 'none' }> = {}) => ({
    track,
    residesOutsideUs: extra.outside ?? true,
    identifier: extra.identifier ?? 'ssn',
  });
  it.each([
    ['international', ['foreign_passport', 'utility_bill'], {}, true],
    ['international', ['foreign_passport', 'national_id_card'], {}, true],
    ['international', ['foreign_passport', 'national_id_card'], { outside: false }, false],
    ['international', ['foreign_passport'], {}, false],
    ['international', ['foreign_passport', 'foreign_passport'], {}, false],
    ['international', ['utility_bill', 'bank_statement'], {}, false],
    ['international', ['us_drivers_license', 'pay_stub'], { identifier: 'none' }, false],
    ['international', ['us_drivers_license', 'foreign_passport'], { identifier: 'none' }, true],
    ['international', ['proof_of_itin', 'foreign_passport'], {}, false],
    ['international', ['made_up', 'foreign_passport'], {}, false],
    ['us_video', ['us_drivers_license'], {}, true],
    ['us_video', ['utility_bill'], {}, false],
    ['us_video', ['national_id_card'], { outside: false }, false],
  ] as [Track, string[], { outside?: boolean; identifier?: 'ssn' | 'itin' | 'none' }, boolean][])('%s: %j (%j) → %s', (track, types, extra, satisfied) => {
    const result = evaluateDocuments(ctx(track, extra), types.map((type) => ({ type })));
    expect(result.satisfied).toBe(satisfied);
    if (!satisfied) expect(result.problems.length).toBeGreaterThan(0);
  });

  it('says why a set does not count, naming the document', () => {
    const problems = (track: Track, types: string[], extra: Parameters<typeof ctx>[1] = {}) =>
      evaluateDocuments(ctx(track, extra), types.map((type) => ({ type }))).problems.map((p) => en(p.message));
    expect(problems('international', ['foreign_passport', 'foreign_passport'])).toEqual([
      'You already chose your passport. Choose a different document',
      'Choose two primary documents, or one primary and at least one secondary document',
    ]);
    expect(problems('us_video', ['national_id_card'], { outside: false })).toEqual([
      'A national ID card is accepted only if you live outside the U.S.',
      'Choose one primary document',
    ]);
    expect(problems('international', ['proof_of_itin', 'us_drivers_license', 'pay_stub'], { identifier: 'none' })).toEqual([
      'Proof of Individual Taxpayer Identification Number (ITIN) supports your other documents but does not count as one of them',
      'Without a Social Security number or ITIN, one of your primary documents must be your foreign (non-U.S.) passport',
    ]);
  });

  it('names the document in the reader’s language inside a rule’s message', () => {
    const [problem] = evaluateDocuments(ctx('us_video', { outside: false }), [{ type: 'national_id_card' }]).problems;
    expect(messages.text('es', problem.message)).toBe('Este documento (documento nacional de identidad) solo se acepta si usted vive fuera de EE. UU.');
    expect(messages.text('fr', problem.message)).toBe('Ce document (carte nationale d’identité) n’est accepté que si vous vivez hors des États-Unis');
    expect(messages.text('ar', problem.message)).toBe('لا يُقبل هذا المستند (بطاقة الهوية الوطنية) إلا في حال الإقامة خارج الولايات المتحدة');
    const [again] = evaluateDocuments(ctx('international'), [{ type: 'government_photo_id' }, { type: 'government_photo_id' }]).problems;
    expect(messages.html('fr', again.message)).toBe('Vous avez déjà choisi votre pièce d’identité avec photo. Choisissez un autre document');
  });

  it.each([
    [{ identifier: 'itin', nameChanged: false, nameDiffers: false }, ['proof_of_itin']],
    [{ identifier: 'none', nameChanged: false, nameDiffers: false }, ['proof_of_non_us_address']],
    [{ identifier: 'ssn', nameChanged: true, nameDiffers: false }, ['legal_name_change']],
    [{ identifier: 'ssn', nameChanged: false, nameDiffers: true }, ['legal_name_change']],
    [{ identifier: 'itin', nameChanged: true, nameDiffers: true }, ['proof_of_itin', 'legal_name_change']],
    [{ identifier: 'ssn', nameChanged: false, nameDiffers: false }, []],
  ] as const)('supporting documents for %j: %j', (ctx, keys) => {
    expect(supportingDocuments({ ...ctx }).map((d) => d.key)).toEqual(keys);
  });
});

// ---- SSN and ITIN --------------------------------------------------------------------------

describe('SSN validation', () => {
  it.each([
    ['123-45-6789', undefined],
    ['001-01-0001', undefined],
    ['899-99-9999', undefined],
    ['000-12-3456', 'A Social Security number cannot start with 000 or 666'],
    ['666-12-3456', 'A Social Security number cannot start with 000 or 666'],
    ['900-12-3456', 'A Social Security number cannot start with 9. If your number starts with 9, it is an ITIN'],
    ['999-12-3456', 'A Social Security number cannot start with 9. If your number starts with 9, it is an ITIN'],
    ['123-00-4567', 'The middle two digits of a Social Security number cannot be 00'],
    ['123-45-0000', 'The last four digits of a Social Security number cannot be 0000'],
    ['078-05-1120', 'This Social Security number was printed on sample cards and is not valid'],
  ])('%s → %s', (ssn, problem) => {
    expect(en(ssnProblem(ssn.replace(/-/g, '')))).toBe(problem);
  });

  it.each([
    ['', 'Enter your Social Security number'],
    ['12345678', 'Enter a Social Security number of 9 digits, like 123-45-6789'],
    ['1234567890', 'Enter a Social Security number of 9 digits, like 123-45-6789'],
    ['12a-45-6789', 'Enter a Social Security number of 9 digits, like 123-45-6789'],
    [['123456789'], 'Enter a Social Security number of 9 digits, like 123-45-6789'],
  ])('refuses %j', (raw, error) => {
    expect(inEnglish(parseIdentifier('ssn', raw))).toEqual({ error });
  });

  it('accepts spaces and dashes, and needs the confirmation to match', () => {
    expect(parseIdentifier('ssn', ' 123 45 6789 ')).toEqual({ digits: '123456789' });
    expect(parseConfirmedIdentifier('ssn', '123-45-6789', '123456789')).toEqual({ digits: '123456789' });
    expect(inEnglish(parseConfirmedIdentifier('ssn', '123-45-6789', '123-45-6788'))).toEqual({
      errors: { confirmNumber: 'The Social Security numbers you entered do not match. Enter the same number twice' },
    });
    expect(inEnglish(parseConfirmedIdentifier('ssn', '123-45-6789', ''))).toEqual({ errors: { confirmNumber: 'Enter your Social Security number again to confirm it' } });
    expect(inEnglish(parseIdentifier('itin', '912-70'))).toEqual({ error: 'Enter an ITIN of 9 digits, like 912-70-1234' });
  });
});

describe('ITIN validation', () => {
  /** IRS: 9XX-XX-XXXX, the 4th and 5th digits in 50–65, 70–88, 90–92 or 94–99. */
  const IRS_RANGES = [
    [50, 65],
    [70, 88],
    [90, 92],
    [94, 99],
  ];
  it.each(Array.from({ length: 100 }, (_, middle) => middle))('middle digits %i', (middle) => {
    const itin = `912${String(middle).padStart(2, '0')}3456`;
    const valid = IRS_RANGES.some(([lo, hi]) => middle >= lo && middle <= hi);
    expect(itinProblem(itin) === undefined).toBe(valid);
  });

  it('starts with 9 (and an ITIN is never a valid SSN)', () => {
    expect(en(itinProblem('812703456'))).toBe('An ITIN starts with 9. If your number does not, it may be a Social Security number');
    expect(ssnProblem('912703456')).toBeDefined();
  });
});

// ---- Details -------------------------------------------------------------------------------

describe('dates of birth', () => {
  const today = new Date('2026-11-26T12:00:00Z');
  it.each([
    [['2', '29', '2000'], { date: '2000-02-29' }],
    [['2', '29', '1900'], { error: 'Enter a real date of birth' }], // 1900 was not a leap year
    [['12', '31', '1899'], { error: 'Your year of birth must be 1900 or later' }],
    [['2', '29', '2001'], { error: 'Enter a real date of birth' }],
    [['13', '1', '1990'], { error: 'Enter a real date of birth' }],
    [['0', '1', '1990'], { error: 'Enter a real date of birth' }],
    [['11', '26', '2026'], { date: '2026-11-26' }],
    [['11', '27', '2026'], { error: 'Your date of birth must be in the past' }],
    [['1', '1', '90'], { error: 'Enter your date of birth as numbers, like 4 28 1986' }],
    [['', '', ''], { error: 'Enter your date of birth' }],
    [['1', '', '1990'], { error: 'Your date of birth must include a day' }],
  ])('%j → %j', ([m, d, y], result) => {
    expect(inEnglish(parseDateOfBirth(m, d, y, today))).toEqual(result);
  });
});

describe('phone numbers', () => {
  it('takes any country\'s number with its code, or a national one of the home country', () => {
    expect(parseInternationalPhone('+81 3-3224-5000')).toEqual({ e164: '+81332245000' });
    expect(parseInternationalPhone('01 42 68 53 00', 'FR')).toEqual({ e164: '+33142685300' });
    expect(parseInternationalPhone('01 42 68 53 00')).toHaveProperty('error');
    expect(parseInternationalPhone('<script>')).toHaveProperty('error');
  });

  it('takes only U.S. numbers on the Self-Service screen', () => {
    expect(parseUsPhone('(202) 555-0125')).toEqual({ e164: '+12025550125' });
    expect(parseUsPhone('+1 787 555 0100')).toEqual({ e164: '+17875550100' }); // Puerto Rico
    expect(parseUsPhone('+1 416 555 0100')).toHaveProperty('error'); // Toronto
    expect(parseUsPhone('+44 20 7946 0958')).toHaveProperty('error');
  });
});

describe('addresses', () => {
  it('knows the 249 ISO 3166-1 countries', () => {
    expect(COUNTRY_CODES).toHaveLength(249);
    expect(new Set(COUNTRY_CODES).size).toBe(249);
  });

  it.each(['P.O. Box 12', 'PO BOX 12', 'p o box 7', 'Post Office Box 9', 'POB 5', 'Postfach 10 20 30', 'Apartado Postal 44', 'Boîte postale 8', 'Caixa Postal 1'])(
    'recognises the P.O. box %j',
    (line) => expect(isPoBox(line)).toBe(true),
  );
  it.each(['12 Box Hill Road', 'Postbox Lane 4', '1 Pobeda Street', 'Apartment 4'])('lets %j through', (line) => expect(isPoBox(line)).toBe(false));

  it.each([
    ['US', { region: 'DC', postalCode: '20500' }, {}],
    ['US', { region: 'DC', postalCode: '2050' }, { postalCode: 'Enter a ZIP code in the right format, like 20500' }],
    ['US', { region: '', postalCode: '20500' }, { region: 'Select your state' }],
    ['FR', { region: 'Île-de-France', postalCode: '75008' }, {}],
    ['JP', { region: 'Tokyo', postalCode: '100-8994' }, {}],
    ['JP', { region: 'Texas', postalCode: '100-8994' }, { region: 'Select your prefecture from the list' }],
    ['GB', { postalCode: 'SW1A 2AA' }, {}],
    ['GB', { postalCode: '' }, { postalCode: 'Enter your postcode' }],
    ['CA', { region: 'ON', postalCode: 'K1A 0B1' }, {}],
    ['BR', { region: 'DF', postalCode: '70150-900' }, {}],
    ['HK', { region: '', postalCode: '' }, {}],
    ['NG', { region: 'Lagos', postalCode: '' }, {}],
    ['AQ', { region: '', postalCode: '' }, {}],
  ])('%s %j → %j', (country, fields, errors) => {
    const result = parseAddress({ country, line1: '1 Main Street', city: 'Somewhere', ...fields });
    expect(inEnglish(result).errors).toEqual(errors);
    if (country === 'FR') expect(result.address.region).toBe(''); // France has no such line
  });

  it('refuses control characters and overlong lines', () => {
    expect(inEnglish(parseAddress({ country: 'FR', line1: 'a\u0000b', city: 'Paris', postalCode: '75001' })).errors).toEqual({ line1: 'Remove the special characters from this field' });
    expect(inEnglish(parseAddress({ country: 'FR', line1: 'x'.repeat(101), city: 'Paris', postalCode: '75001' })).errors).toEqual({ line1: 'Enter 100 characters or fewer' });
    expect(en(parseAddress({ country: ['FR'], line1: '1 rue', city: 'Paris' }).errors.country)).toBe('Select your country');
    expect(en(parseAddress({ country: 'GB', line1: '1 Main Street', city: '', postalCode: 'SW1A 2AA' }).errors.city)).toBe('Enter your town or city');
  });
});

// ---- PII encryption --------------------------------------------------------------------------

describe('PII envelope encryption', () => {
  const key = () => randomBytes(32);
  const [k1, k2] = [key(), key()];
  const v1 = new PiiCipher({ currentId: 'k1', keys: { k1 } });
  const v2 = new PiiCipher({ currentId: 'k2', keys: { k2, k1 } });

  it('round-trips, with a fresh data key and IV each time, and names its key', () => {
    const a = v1.encrypt('123456789', 'case:1:identifier');
    const b = v1.encrypt('123456789', 'case:1:identifier');
    expect(a).not.toBe(b);
    expect(a).not.toContain('123456789');
    expect(a).toMatch(/^pii1\.k1\./);
    expect(v1.decrypt(a, 'case:1:identifier')).toBe('123456789');
    expect(v1.keyIdOf(a)).toBe('k1');
  });

  it('opens a value only in its own context (row and column)', () => {
    const sealed = v1.encrypt('1986-04-28', 'case:1:dateOfBirth');
    expect(() => v1.decrypt(sealed, 'case:2:dateOfBirth')).toThrow(PiiDecryptionError);
    expect(() => v1.decrypt(sealed, 'case:1:identifier')).toThrow(PiiDecryptionError);
  });

  it('refuses a tampered value and a value of an unknown key', () => {
    const parts = v1.encrypt('secret', 'c').split('.');
    const body = Buffer.from(parts[5], 'base64url');
    body[0] ^= 1;
    parts[5] = body.toString('base64url');
    expect(() => v1.decrypt(parts.join('.'), 'c')).toThrow(PiiDecryptionError);
    const other = new PiiCipher({ currentId: 'k9', keys: { k9: key() } });
    expect(() => other.decrypt(v1.encrypt('x', 'c'), 'c')).toThrow(/key "k1" is not in PII_KEYS/);
    expect(() => v1.decrypt('not a ciphertext', 'c')).toThrow(PiiDecryptionError);
  });

  it('rotates: the new key encrypts, the old one still decrypts, and rewrap moves a value to the new key', () => {
    const old = v1.encrypt('912704321', 'c');
    expect(v2.decrypt(old, 'c')).toBe('912704321');
    expect(v2.needsRewrap(old)).toBe(true);
    const moved = v2.rewrap(old, 'c');
    expect(v2.keyIdOf(moved)).toBe('k2');
    expect(v2.needsRewrap(moved)).toBe(false);
    expect(v2.decrypt(moved, 'c')).toBe('912704321');
    expect(moved.split('.').slice(4)).toEqual(old.split('.').slice(4)); // the data itself is not re-encrypted
    expect(() => new PiiCipher({ currentId: 'k2', keys: { k2 } }).decrypt(old, 'c')).toThrow(PiiDecryptionError);
  });

  it('fingerprints equal numbers equally, keyed and separated by purpose', () => {
    const f = new PiiFingerprints(k1);
    expect(f.of('n', '123456789')).toBe(f.of('n', '123456789'));
    expect(f.of('n', '123456789')).not.toBe(f.of('m', '123456789'));
    expect(new PiiFingerprints(k2).of('n', '123456789')).not.toBe(f.of('n', '123456789'));
  });
});

describe('PII key configuration', () => {
  const k = () => randomBytes(32).toString('base64url');
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'referee-pii-config-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reads PII_KEYS, the first key being current', () => {
    const [a, b] = [k(), k()];
    const config = loadConfig({ DATA_DIR: dataDir, PII_KEYS: `2026b:${a}, 2026a:${b}`, PII_FINGERPRINT_KEY: k() });
    expect(config.piiKeys.currentId).toBe('2026b');
    expect(Object.keys(config.piiKeys.keys)).toEqual(['2026b', '2026a']);
    expect(config.piiKeys.keys['2026a'].equals(Buffer.from(b, 'base64url'))).toBe(true);
    expect(config.generatedPiiKeys).toEqual([]);
  });

  it.each([
    [{ PII_KEYS: 'nokeyhere' }, 'PII_KEYS must be a comma-separated list of id:key'],
    [{ PII_KEYS: `bad id:${'A'.repeat(43)}` }, 'PII_KEYS must be a comma-separated list of id:key'],
    [{ PII_KEYS: 'k1:c2hvcnQ' }, 'PII_KEYS key "k1" must be exactly 32 bytes, base64url-encoded'],
    [{ PII_KEYS: `k1:${'A'.repeat(43)},k1:${'B'.repeat(43)}` }, 'PII_KEYS has the key id "k1" twice'],
    [{ PII_FINGERPRINT_KEY: 'c2hvcnQ' }, 'PII_FINGERPRINT_KEY must be at least 32 bytes, base64url-encoded'],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dataDir, ...env })).toThrow(message);
  });

  it('refuses to start in production without them', () => {
    const base = { NODE_ENV: 'production', DATA_DIR: dataDir, SESSION_SECRET: k(), DATABASE_URL: 'postgresql://localhost/referee' };
    expect(() => loadConfig(base)).toThrow('PII_KEYS is required in production');
    expect(() => loadConfig({ ...base, PII_KEYS: `k1:${k()}` })).toThrow('PII_FINGERPRINT_KEY is required in production');
    expect(loadConfig({ ...base, PII_KEYS: `k1:${k()}`, PII_FINGERPRINT_KEY: k() }).generatedPiiKeys).toEqual([]);
  });

  it('generates development keys once under DATA_DIR/secrets (owner-only), and says so', () => {
    const first = loadConfig({ DATA_DIR: dataDir });
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(first.generatedPiiKeys).toEqual(['PII_KEYS', 'PII_FINGERPRINT_KEY']);
    expect(second.piiKeys.keys[second.piiKeys.currentId].equals(first.piiKeys.keys[first.piiKeys.currentId])).toBe(true);
    expect(second.piiFingerprintKey.equals(first.piiFingerprintKey)).toBe(true);
    expect(statSync(join(dataDir, 'secrets', 'pii_keys.key')).mode & 0o777).toBe(0o600);
  });
});
