import { DEFAULT_LANGUAGE, type Language } from './languages';

/** Every officially assigned ISO 3166-1 alpha-2 code. */
export const COUNTRY_CODES: readonly string[] = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
  'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ');

const COUNTRY_SET = new Set(COUNTRY_CODES);

export function isCountryCode(code: unknown): code is string {
  return typeof code === 'string' && COUNTRY_SET.has(code);
}

export interface CountryOption {
  value: string;
  label: string;
}

/** Country names as the reader's language writes them (Intl, CLDR). */
const regionNames = new Map<Language, Intl.DisplayNames>();
/** Each list of countries is named and sorted once per language: a few hundred names take a while. */
const optionLists = new WeakMap<readonly string[], Map<Language, readonly CountryOption[]>>();

export function countryName(code: string, language: Language = DEFAULT_LANGUAGE): string {
  let names = regionNames.get(language);
  if (!names) regionNames.set(language, (names = new Intl.DisplayNames([language], { type: 'region' })));
  return names.of(code) ?? code;
}

/**
 * Countries for a select, named in the reader's language and sorted the way it sorts: every
 * ISO country (addresses), or the `codes` a feature knows (the phone picker's).
 */
export function countryOptions(language: Language = DEFAULT_LANGUAGE, codes: readonly string[] = COUNTRY_CODES): readonly CountryOption[] {
  let byLanguage = optionLists.get(codes);
  if (!byLanguage) optionLists.set(codes, (byLanguage = new Map()));
  let list = byLanguage.get(language);
  if (!list) {
    const collator = new Intl.Collator(language);
    list = codes.map((code) => ({ value: code, label: countryName(code, language) })).sort((a, b) => collator.compare(a.label, b.label));
    byLanguage.set(language, list);
  }
  return list;
}
