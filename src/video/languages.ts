/**
 * Languages of the call: every language CLDR names in English (Intl.DisplayNames), found by
 * asking for each two- and three-letter ISO 639 code once at start. Well over 240.
 */
let cached: { code: string; name: string }[] | undefined;

export function callLanguages(): { code: string; name: string }[] {
  if (cached) return cached;
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
  cached = [...byName.entries()].map(([name, code]) => ({ code, name })).sort((x, y) => x.name.localeCompare(y.name, 'en'));
  return cached;
}

export function languageName(code: string): string | undefined {
  return callLanguages().find((l) => l.code === code)?.name;
}

export const isCallLanguage = (value: unknown): value is string => typeof value === 'string' && !!languageName(value);
