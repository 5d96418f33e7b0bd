import { startTestApp, type TestApp } from './harness/app';
import { csrfOf } from './harness/forms';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

describe('pages', () => {
  it('serves the landing page as a full document with the steps of the journey', async () => {
    const res = await t.browser().get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toMatch(/^<!DOCTYPE html>/i);
    expect(res.text).toContain('<html lang="en"');
    for (const step of ['Confirm details', 'Send documents', 'Hold for document review', 'Join video call']) {
      expect(res.text).toContain(step);
    }
    expect(res.headers['vary']).toMatch(/HX-Request/);
  });

  it('returns only the main content to htmx, from the same route', async () => {
    const res = await t.browser().get('/sign-in').set('HX-Request', 'true');
    expect(res.status).toBe(200);
    expect(res.text).not.toMatch(/<html|<body|<header/);
    expect(res.text).toContain('<h1>Sign in</h1>');
    expect(res.headers['vary']).toMatch(/HX-Request/);
  });

  it('sends a part of a page that refreshes itself to the new page as a whole (the session ended, the call is ready)', async () => {
    const res = await t.browser().get('/account').set('HX-Request', 'true');
    expect(res.status).toBe(200);
    expect(res.headers['hx-redirect']).toMatch(/^\/sign-in/);
    expect(res.text).toBe('');
    // A whole page (no htmx) is redirected as before.
    expect((await t.browser().get('/account')).status).toBe(303);
  });

  it('serves the design system and htmx from our own origin', async () => {
    const page = await t.browser().get('/');
    for (const asset of ['/static/vendor/uswds/css/uswds.min.css', '/static/vendor/uswds/js/uswds.min.js', '/static/vendor/htmx/htmx.min.js', '/static/js/referee.js']) {
      expect(page.text).toContain(asset);
      const res = await t.browser().get(asset);
      expect(res.status).toBe(200);
    }
  });
});

describe('security headers', () => {
  it('sends a strict Content-Security-Policy with no inline script, and no framework banner', async () => {
    const res = await t.browser().get('/');
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    // No inline <script> blocks in our pages: every script has a src.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});

describe('bad requests get proper pages, never a stack trace', () => {
  it('answers an unknown route with a 404 page', async () => {
    const res = await t.browser().get('/no/such/page');
    expect(res.status).toBe(404);
    expect(res.text).toContain('Page not found');
    expect(res.text).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('answers a wrong method with a 4xx page', async () => {
    const browser = t.browser();
    const page = await browser.get('/sign-in');
    const res = await browser.delete('/sign-in').set('X-CSRF-Token', csrfOf(page.text));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).toContain('</html>');
  });

  it('refuses a form without a CSRF token', async () => {
    const res = await t.browser().post('/sign-in').type('form').send({ email: 'a@example.com', password: 'x' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('This form has expired');
  });

  it('refuses a CSRF token taken from another browser', async () => {
    const other = await t.browser().get('/sign-in');
    const res = await t.browser().post('/sign-in').type('form').send({ _csrf: csrfOf(other.text), email: 'a@example.com', password: 'x' });
    expect(res.status).toBe(403);
  });

  it('refuses a form larger than 1 MB with a 413 page', async () => {
    const browser = t.browser();
    const page = await browser.get('/sign-in');
    const res = await browser.post('/sign-in').type('form').send({ _csrf: csrfOf(page.text), email: 'x'.repeat(1_100_000) });
    expect(res.status).toBe(413);
    expect(res.text).toContain('larger than we accept');
  });

  it('refuses a malformed body with a 400 page', async () => {
    const res = await t.browser().post('/sign-in').set('Content-Type', 'application/json').send('{"email": ');
    expect(res.status).toBe(400);
    expect(res.text).toContain('We could not read');
  });
});

describe('operations', () => {
  it('reports liveness and readiness', async () => {
    expect((await t.browser().get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.browser().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });
});
