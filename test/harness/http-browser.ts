/**
 * A small browser over real HTTP for journeys that cross origins, e.g. a relying party
 * on one port and Referee on another: it keeps cookies (by name and path, like a browser on
 * 127.0.0.1, where ports share cookies), follows redirects and meta refreshes, and submits a
 * page's forms with their hidden fields.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** A response as the browser got it. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface Page {
  url: string;
  status: number;
  html: string;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

const decode = (html: string) => html.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const attribute = (tag: string, name: string) => {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? decode(match[1]) : undefined;
};

export class HttpBrowser {
  private readonly cookies = new Map<string, Cookie>();
  /** Every URL requested, in order (to look at what a relying party sent). */
  readonly visited: string[] = [];

  /** One request, no redirect followed; cookies sent and kept. */
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Answer> {
    const target = new URL(url);
    this.visited.push(target.toString());
    const cookie = [...this.cookies.values()]
      .filter((c) => target.pathname === c.path || target.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    // node:http rather than fetch, whose Sec-Fetch-Mode is always "cors": a navigation says "navigate"
    // (relying parties such as mod_auth_openidc answer 401 to what looks like an API call).
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(
        target,
        {
          method: init.method ?? (body ? 'POST' : 'GET'),
          headers: {
            'user-agent': 'Referee test browser',
            accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
            'accept-language': 'en',
            'sec-fetch-mode': 'navigate',
            'sec-fetch-dest': 'document',
            ...(cookie ? { cookie } : {}),
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    for (const header of answer.headers['set-cookie'] ?? []) this.keep(header, target);
    return answer;
  }

  /** Opens a URL and follows redirects and meta refreshes until a page stays. */
  async open(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    let next: { url: string; init: typeof init } | undefined = { url, init };
    for (let hops = 0; hops < 25 && next; hops++) {
      const res = await this.request(next.url, next.init);
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location) {
        next = { url: new URL(location, next.url).toString(), init: {} };
        continue;
      }
      const html = res.text;
      const refresh = /<meta http-equiv="refresh" content="0;\s*url=([^"]+)"/i.exec(html);
      if (refresh) {
        next = { url: new URL(decode(refresh[1]), next.url).toString(), init: {} };
        continue;
      }
      return { url: next.url, status: res.status, html };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits the form of `page` whose action matches, with its hidden fields and `fields`; follows on. */
  async submit(page: Page, action: RegExp, fields: Record<string, string> = {}): Promise<Page> {
    const form = [...page.html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]).find((f) => action.test(attribute(f.slice(0, f.indexOf('>') + 1), 'action') ?? ''));
    if (!form) throw new Error(`no form with action ${action} on ${page.url} (status ${page.status}): ${page.html.slice(0, 300)}`);
    const hidden: Record<string, string> = {};
    for (const [input] of form.matchAll(/<input\b[^>]*>/g)) {
      const name = attribute(input, 'name');
      if (name && attribute(input, 'type') === 'hidden') hidden[name] = attribute(input, 'value') ?? '';
    }
    const target = new URL(attribute(form.slice(0, form.indexOf('>') + 1), 'action')!, page.url).toString();
    return this.open(target, { method: 'POST', form: { ...hidden, ...fields } });
  }

  private keep(header: string, from: URL) {
    const [pair, ...attributes] = header.split(';').map((part) => part.trim());
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    const option = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const path = option('path') ?? from.pathname.replace(/\/[^/]*$/, '') ?? '/';
    const expires = option('expires');
    const maxAge = option('max-age');
    const gone = value === '' || (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now());
    const key = `${name}\u0000${path || '/'}`;
    if (gone) this.cookies.delete(key);
    else this.cookies.set(key, { name, value, path: path || '/' });
  }
}
