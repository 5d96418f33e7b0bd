/**
 * Languages of the call: every language CLDR names in English (Intl.DisplayNames), found by
 * asking for each two- and three-letter ISO 639 code once at start. Well over 240. Each
 * reader sees the names in their own language (CLDR again), sorted their way.
 */
type CallLanguage = { code: string; name: string };
const cached = new Map<string, CallLanguage[]>();

function inEnglish(): CallLanguage[] {
  const found = cached.get('en');
  if (found) return found;
  const names = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const codes: string[] = [];
  for (const a of letters) for (const b of letters) {
    codes.push(a + b);
    for (const c of letters) codes.push(a + b + c);
  }
  const byName = new Map<string, string>();
  for (const code of codes) {
    let name: string | undefined;
    try {
      name = names.of(code);
    } catch {
      continue;
    }
    if (!name || name.toLowerCase() === code || byName.has(name)) continue;
    byName.set(name, code);
  }
  const list = [...byName.entries()].map(([name, code]) => ({ code, name })).sort((x, y) => x.name.localeCompare(y.name, 'en'));
  cached.set('en', list);
  return list;
}

/** The languages of the call, named in `reader`'s language (English where CLDR has no name in it). */
export function callLanguages(reader = 'en'): CallLanguage[] {
  const found = cached.get(reader);
  if (found) return found;
  const english = inEnglish();
  let names: Intl.DisplayNames;
  try {
    names = new Intl.DisplayNames([reader], { type: 'language', fallback: 'none' });
  } catch {
    return english;
  }
  const list = english.map(({ code, name }) => ({ code, name: names.of(code) || name })).sort((x, y) => x.name.localeCompare(y.name, reader));
  cached.set(reader, list);
  return list;
}

/** A language's name, in `reader`'s language (cached per reader). */
export function languageName(code: string, reader = 'en'): string | undefined {
  return callLanguages(reader).find((l) => l.code === code)?.name;
}

export const isCallLanguage = (value: unknown): value is string => typeof value === 'string' && !!languageName(value);
