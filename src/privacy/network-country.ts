/**
 * The country of a network address, from the offline database shipped in the geoip-country
 * package (no network look-up; loaded on first use, as it holds a few megabytes). Private,
 * loopback and unknown addresses have none.
 */
type GeoIp = { lookup(ip: string): { country: string } | null };
let geoip: GeoIp | undefined;

export function countryOf(ip: string | null | undefined): string | undefined {
  if (!ip) return undefined;
  const address = ip.startsWith('::ffff:') ? ip.slice('::ffff:'.length) : ip;
  geoip ??= require('geoip-country') as GeoIp;
  try {
    return geoip.lookup(address)?.country || undefined;
  } catch {
    return undefined;
  }
}

const names = new Map<string, Intl.DisplayNames>();

/** A country code ("MX") as its name in `language` ("México"). */
export function countryName(code: string, language: string): string {
  let display = names.get(language);
  if (!display) names.set(language, (display = new Intl.DisplayNames([language], { type: 'region' })));
  return display.of(code) ?? code;
}
