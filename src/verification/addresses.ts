/**
 * Home addresses in any country (the ISO 3166-1 list in i18n/countries.ts): for each country the
 * fields that fit it (a state for the U.S., a prefecture for Japan, none for France) and
 * its postal-code rule. Countries not listed get an optional region and postal code.
 * Formats follow the countries' postal services (as collected in Google's address data).
 * State, province and prefecture names in the lists stay as the postal services write them
 * (they are what goes on the envelope); the lines' names and the errors are in the catalogs.
 */
import { countryName, isCountryCode } from '../i18n/countries';
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages';
import { phrase } from '../i18n/messages';
import type { FieldErrors } from '../web/view';

type Options = { value: string; label: string }[];
const named = (pairs: string): Options =>
  pairs.split(';').map((pair) => {
    const [value, label] = pair.split('=');
    return { value: value.trim(), label: (label ?? value).trim() };
  });

export const US_STATES = named(
  'AL=Alabama;AK=Alaska;AZ=Arizona;AR=Arkansas;CA=California;CO=Colorado;CT=Connecticut;DE=Delaware;' +
    'DC=District of Columbia;FL=Florida;GA=Georgia;HI=Hawaii;ID=Idaho;IL=Illinois;IN=Indiana;IA=Iowa;KS=Kansas;' +
    'KY=Kentucky;LA=Louisiana;ME=Maine;MD=Maryland;MA=Massachusetts;MI=Michigan;MN=Minnesota;MS=Mississippi;' +
    'MO=Missouri;MT=Montana;NE=Nebraska;NV=Nevada;NH=New Hampshire;NJ=New Jersey;NM=New Mexico;NY=New York;' +
    'NC=North Carolina;ND=North Dakota;OH=Ohio;OK=Oklahoma;OR=Oregon;PA=Pennsylvania;RI=Rhode Island;' +
    'SC=South Carolina;SD=South Dakota;TN=Tennessee;TX=Texas;UT=Utah;VT=Vermont;VA=Virginia;WA=Washington;' +
    'WV=West Virginia;WI=Wisconsin;WY=Wyoming;AS=American Samoa;GU=Guam;MP=Northern Mariana Islands;' +
    'PR=Puerto Rico;VI=U.S. Virgin Islands;AA=Armed Forces Americas;AE=Armed Forces Europe;AP=Armed Forces Pacific',
);

const CA_PROVINCES = named(
  'AB=Alberta;BC=British Columbia;MB=Manitoba;NB=New Brunswick;NL=Newfoundland and Labrador;NS=Nova Scotia;' +
    'NT=Northwest Territories;NU=Nunavut;ON=Ontario;PE=Prince Edward Island;QC=Quebec;SK=Saskatchewan;YT=Yukon',
);

const AU_STATES = named(
  'ACT=Australian Capital Territory;NSW=New South Wales;NT=Northern Territory;QLD=Queensland;SA=South Australia;' +
    'TAS=Tasmania;VIC=Victoria;WA=Western Australia',
);

const JP_PREFECTURES = named(
  'Hokkaido;Aomori;Iwate;Miyagi;Akita;Yamagata;Fukushima;Ibaraki;Tochigi;Gunma;Saitama;Chiba;Tokyo;Kanagawa;' +
    'Niigata;Toyama;Ishikawa;Fukui;Yamanashi;Nagano;Gifu;Shizuoka;Aichi;Mie;Shiga;Kyoto;Osaka;Hyogo;Nara;Wakayama;' +
    'Tottori;Shimane;Okayama;Hiroshima;Yamaguchi;Tokushima;Kagawa;Ehime;Kochi;Fukuoka;Saga;Nagasaki;Kumamoto;Oita;' +
    'Miyazaki;Kagoshima;Okinawa',
);

/**
 * The names of address lines, as catalog keys: `label` as the field shows it, `name` inside
 * a sentence ("Enter your postcode"). The words are in content/messages/<language>/addresses.json.
 */
export type LineName =
  | 'city' | 'cityOrTown' | 'townOrCity' | 'suburbOrCity'
  | 'state' | 'provinceOrTerritory' | 'province' | 'county' | 'region' | 'prefecture' | 'area' | 'countyOrCity'
  | 'department' | 'governorate' | 'emirate' | 'stateOrTerritory' | 'stateProvinceOrRegion'
  | 'postalCode' | 'zipCode' | 'postcode' | 'eircode' | 'cap' | 'cep' | 'pinCode';

export interface LineLabel {
  label: string;
  name: string;
}
const line = (name: LineName): LineLabel => ({ label: `addresses.lines.${name}.label`, name: `addresses.lines.${name}.name` });

export interface AddressFormat {
  city: LineLabel;
  /** none: the country's addresses have no such line (France, Germany, the U.K.). */
  region: (LineLabel & { required: boolean; options?: Options }) | null;
  postalCode: (LineLabel & { required: boolean; pattern: RegExp; example: string }) | null;
}

const text = (name: LineName, required = true) => ({ ...line(name), required });
const postal = (name: LineName, pattern: RegExp, example: string, required = true) => ({ ...line(name), pattern, example, required });
const digits = (n: number, name: LineName = 'postalCode', required = true) =>
  postal(name, new RegExp(`^\\d{${n}}$`), '1234567890'.slice(0, n), required);

const FORMATS: Record<string, Partial<AddressFormat>> = {
  US: { region: { ...line('state'), required: true, options: US_STATES }, postalCode: postal('zipCode', /^\d{5}(-?\d{4})?$/, '20500') },
  CA: {
    region: { ...line('provinceOrTerritory'), required: true, options: CA_PROVINCES },
    postalCode: postal('postalCode', /^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$/i, 'K1A 0B1'),
  },
  MX: { region: text('state'), postalCode: digits(5) },
  GB: { city: line('townOrCity'), region: null, postalCode: postal('postcode', /^([A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|GIR ?0AA)$/i, 'SW1A 2AA') },
  IE: { region: text('county', false), postalCode: postal('eircode', /^([AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}$/i, 'D02 X285', false) },
  FR: { region: null, postalCode: postal('postalCode', /^\d{2} ?\d{3}$/, '75008') },
  DE: { region: null, postalCode: digits(5) },
  AT: { region: null, postalCode: digits(4) },
  CH: { region: null, postalCode: digits(4) },
  BE: { region: null, postalCode: digits(4) },
  NL: { region: null, postalCode: postal('postalCode', /^\d{4} ?[A-Z]{2}$/i, '1012 JS') },
  LU: { region: null, postalCode: postal('postalCode', /^(L-?)?\d{4}$/i, '1009') },
  DK: { region: null, postalCode: digits(4) },
  NO: { region: null, postalCode: digits(4) },
  SE: { region: null, postalCode: postal('postalCode', /^\d{3} ?\d{2}$/, '111 52') },
  FI: { region: null, postalCode: digits(5) },
  PL: { region: null, postalCode: postal('postalCode', /^\d{2}-?\d{3}$/, '00-950') },
  PT: { region: null, postalCode: postal('postalCode', /^\d{4}-?\d{3}$/, '1000-001') },
  ES: { region: text('province'), postalCode: digits(5) },
  IT: { region: text('province'), postalCode: digits(5, 'cap') },
  GR: { region: null, postalCode: postal('postalCode', /^\d{3} ?\d{2}$/, '105 57') },
  UA: { region: text('region', false), postalCode: digits(5) },
  RU: { region: text('region'), postalCode: digits(6) },
  TR: { region: text('province'), postalCode: digits(5) },
  IL: { region: null, postalCode: postal('postalCode', /^\d{5}(\d{2})?$/, '9103401') },
  JP: { region: { ...line('prefecture'), required: true, options: JP_PREFECTURES }, postalCode: postal('postalCode', /^\d{3}-?\d{4}$/, '100-8994') },
  KR: { region: text('province', false), postalCode: digits(5) },
  CN: { region: text('province'), postalCode: digits(6) },
  HK: { region: text('area', false), postalCode: null },
  MO: { region: null, postalCode: null },
  TW: { region: text('countyOrCity', false), postalCode: postal('postalCode', /^\d{3}(\d{2,3})?$/, '100') },
  SG: { region: null, postalCode: digits(6) },
  MY: { region: text('state'), postalCode: digits(5) },
  TH: { region: text('province'), postalCode: digits(5) },
  VN: { region: text('province', false), postalCode: digits(6, 'postalCode', false) },
  PH: { region: text('province', false), postalCode: digits(4) },
  ID: { region: text('province'), postalCode: digits(5) },
  IN: { region: text('state'), postalCode: digits(6, 'pinCode') },
  PK: { region: null, postalCode: digits(5, 'postalCode', false) },
  BD: { region: null, postalCode: digits(4, 'postalCode', false) },
  AU: { city: line('suburbOrCity'), region: { ...line('stateOrTerritory'), required: true, options: AU_STATES }, postalCode: digits(4, 'postcode') },
  NZ: { city: line('townOrCity'), region: null, postalCode: digits(4, 'postcode') },
  BR: { region: text('state'), postalCode: postal('cep', /^\d{5}-?\d{3}$/, '70150-900') },
  AR: { region: text('province'), postalCode: postal('postalCode', /^([A-Z]\d{4}[A-Z]{3}|\d{4})$/i, 'C1002', false) },
  CL: { region: text('region'), postalCode: digits(7, 'postalCode', false) },
  CO: { region: text('department'), postalCode: digits(6, 'postalCode', false) },
  PE: { region: text('region', false), postalCode: digits(5, 'postalCode', false) },
  NG: { region: text('state'), postalCode: digits(6, 'postalCode', false) },
  KE: { region: null, postalCode: digits(5, 'postalCode', false) },
  ZA: { region: text('province', false), postalCode: digits(4) },
  EG: { region: text('governorate', false), postalCode: digits(5, 'postalCode', false) },
  AE: { region: text('emirate'), postalCode: null },
  SA: { region: null, postalCode: postal('postalCode', /^\d{5}(-?\d{4})?$/, '11564', false) },
  QA: { region: null, postalCode: null },
};

const DEFAULT_FORMAT: AddressFormat = {
  city: line('cityOrTown'),
  region: { ...line('stateProvinceOrRegion'), required: false },
  postalCode: { ...line('postalCode'), required: false, pattern: /^[A-Z0-9][A-Z0-9 -]{1,11}$/i, example: '' },
};

export function addressFormat(country: string): AddressFormat {
  return { ...DEFAULT_FORMAT, city: line('city'), ...FORMATS[country] } as AddressFormat;
}

export interface Address {
  country: string;
  line1: string;
  line2: string;
  city: string;
  region: string;
  postalCode: string;
}

export const ADDRESS_FIELDS = ['country', 'line1', 'line2', 'city', 'region', 'postalCode'] as const;

/** "P.O. Box 12", "PO Box", "Post Office Box", "POB 5" and the same in a few other languages. */
const PO_BOX =
  /(^|[^a-z])(p\.?\s*o\.?\s*(box|b\.?\s*\d)|post\s*office\s*box|postfach|apartado\s+(postal|de\s+correos)|bo[iî]te\s+postale|caixa\s+postal|casilla\s+de\s+correos?)/i;

export function isPoBox(line: string): boolean {
  return PO_BOX.test(line);
}

const MAX = 100;
/** Trimmed text without control characters, or undefined when it has some. */
export function cleanText(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(raw)) return undefined;
  return raw.trim().replace(/\s+/g, ' ');
}

/**
 * Checks a posted address for the chosen country. `onlyCountry` is set on the U.S.
 * address screen (Self-Service), where the country is not asked.
 */
export function parseAddress(
  form: Record<string, unknown>,
  onlyCountry?: string,
): { address: Address; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const value = (name: string) => {
    const cleaned = cleanText(form[name]);
    if (cleaned === undefined) errors[name] = 'addresses.errors.specialCharacters';
    else if (cleaned.length > MAX) errors[name] = phrase('addresses.errors.tooLong', { max: MAX });
    return cleaned ?? '';
  };
  const country = onlyCountry ?? (typeof form.country === 'string' ? form.country.trim().toUpperCase() : '');
  const address: Address = {
    country,
    line1: value('line1'),
    line2: value('line2'),
    city: value('city'),
    region: value('region'),
    postalCode: value('postalCode').toUpperCase(),
  };
  if (!country) errors.country = 'addresses.errors.country';
  else if (!isCountryCode(country)) errors.country = 'addresses.errors.countryNotInList';
  const format = addressFormat(isCountryCode(country) ? country : '');

  if (!errors.line1) {
    if (!address.line1) errors.line1 = 'addresses.errors.line1';
    else if (isPoBox(address.line1)) errors.line1 = 'addresses.errors.poBox';
  }
  if (!errors.city && !address.city) errors.city = phrase('addresses.errors.enter', { line: phrase(format.city.name) });

  if (!format.region) address.region = '';
  else if (!errors.region) {
    const { name, required, options } = format.region;
    if (!address.region) {
      if (required) errors.region = phrase(options ? 'addresses.errors.select' : 'addresses.errors.enter', { line: phrase(name) });
    } else if (options && !options.some((o) => o.value === address.region)) {
      errors.region = phrase('addresses.errors.selectFromList', { line: phrase(name) });
    }
  }

  if (!format.postalCode) address.postalCode = '';
  else if (!errors.postalCode) {
    const { name, required, pattern, example } = format.postalCode;
    if (!address.postalCode) {
      if (required) errors.postalCode = phrase('addresses.errors.enter', { line: phrase(name) });
    } else if (!pattern.test(address.postalCode)) {
      errors.postalCode = example
        ? phrase('addresses.errors.format', { line: phrase(name), example })
        : phrase('addresses.errors.formatNoExample', { line: phrase(name) });
    }
  }
  return { address, errors };
}

/** One line per part, for pages and the agent; the country named in the reader's language. */
export function addressLines(address: Address, language: Language = DEFAULT_LANGUAGE): string[] {
  const format = addressFormat(address.country);
  const regionLabel = format.region?.options?.find((o) => o.value === address.region)?.label ?? address.region;
  return [
    address.line1,
    address.line2,
    [address.city, regionLabel, address.postalCode].filter(Boolean).join(', '),
    countryName(address.country, language),
  ].filter(Boolean);
}
