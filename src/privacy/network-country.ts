import { readFileSync } from 'node:fs';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { dirname, join } from 'node:path';

/**
 * The country of a network address, from the offline ranges shipped in the
 * @ip-location-db/geo-whois-asn-country package (registries' whois and ASN data by the NRO,
 * CC BY 4.0; no network look-up, and none of GeoLite2's limits on use). Each family's table is
 * read on first use (a few megabytes). Private, loopback and unknown addresses have none.
 */

/** Sorted, non-overlapping ranges of one address family: first and last address, and the country. */
interface Ranges<T> {
  starts: T[] | Uint32Array;
  ends: T[] | Uint32Array;
  countries: string[];
}

const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  NOT_PUBLIC.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10]] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv6');

let v4: Ranges<number> | undefined;
let v6: Ranges<bigint> | undefined;

function table(family: 'ipv4' | 'ipv6'): string {
  const dir = dirname(require.resolve('@ip-location-db/geo-whois-asn-country/package.json'));
  return readFileSync(join(dir, `geo-whois-asn-country-${family}-num.csv`), 'latin1');
}

/** Reads "start,end,CC" lines without splitting the file into strings first (it has some 300,000 lines). */
function eachRange(text: string, add: (start: string, end: string, country: string) => void): void {
  let at = 0;
  while (at < text.length) {
    const comma1 = text.indexOf(',', at);
    const comma2 = text.indexOf(',', comma1 + 1);
    if (comma1 < 0 || comma2 < 0) return;
    let lineEnd = text.indexOf('\n', comma2);
    if (lineEnd < 0) lineEnd = text.length;
    add(text.slice(at, comma1), text.slice(comma1 + 1, comma2), text.slice(comma2 + 1, comma2 + 3));
    at = lineEnd + 1;
  }
}

function loadV4(): Ranges<number> {
  const starts: number[] = [];
  const ends: number[] = [];
  const countries: string[] = [];
  eachRange(table('ipv4'), (start, end, country) => {
    starts.push(Number(start));
    ends.push(Number(end));
    countries.push(country);
  });
  return { starts: Uint32Array.from(starts), ends: Uint32Array.from(ends), countries };
}

function loadV6(): Ranges<bigint> {
  const starts: bigint[] = [];
  const ends: bigint[] = [];
  const countries: string[] = [];
  eachRange(table('ipv6'), (start, end, country) => {
    starts.push(BigInt(start));
    ends.push(BigInt(end));
    countries.push(country);
  });
  return { starts, ends, countries };
}

function find<T extends number | bigint>(ranges: Ranges<T>, address: T): string | undefined {
  let low = 0;
  let high = ranges.starts.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (address < ranges.starts[mid]) high = mid - 1;
    else if (address > ranges.ends[mid]) low = mid + 1;
    else return ranges.countries[mid];
  }
  return undefined;
}

const v4Number = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);

function v6Number(ip: string): bigint {
  const [head, tail = ''] = ip.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return all.reduce((n, group) => (n << 16n) + BigInt(parseInt(group, 16)), 0n);
}

/** ISO 3166 code of the country an address is registered in ("GB"), or undefined. */
export function countryOf(ip: string | null | undefined): string | undefined {
  if (!ip) return undefined;
  const address = ip.toLowerCase().startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(address)) {
    if (NOT_PUBLIC.check(address, 'ipv4')) return undefined;
    return find((v4 ??= loadV4()), v4Number(address));
  }
  if (isIPv6(address) && !address.includes('.')) {
    if (NOT_PUBLIC.check(address, 'ipv6')) return undefined;
    return find((v6 ??= loadV6()), v6Number(address));
  }
  return undefined;
}

const names = new Map<string, Intl.DisplayNames>();

/** A country code ("MX") as its name in `language` ("México"). */
export function countryName(code: string, language: string): string {
  let display = names.get(language);
  if (!display) names.set(language, (display = new Intl.DisplayNames([language], { type: 'region' })));
  return display.of(code) ?? code;
}
