import Bowser from 'bowser';
import type { WebRequest } from './request';

/** A browser as the person knows it ("Firefox" on "Android"), never the raw User-Agent string. */
export interface Device {
  browser?: string;
  os?: string;
}

/** The browser family and operating system of a request (bowser's parser), for the sign-in history. */
export function deviceOf(req: Pick<WebRequest, 'get'>): Device {
  const agent = req.get('user-agent');
  if (!agent) return {};
  try {
    const parsed = Bowser.parse(agent);
    return { browser: parsed.browser.name || undefined, os: parsed.os.name || undefined };
  } catch {
    return {}; // an unreadable header is an unknown browser, not an error
  }
}
