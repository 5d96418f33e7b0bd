/**
 * What a person must never see, checked in the page as Chromium laid it out. The checks run
 * in the page (a script handed to page.evaluate: the project's TypeScript has no DOM types),
 * and answer with every finding, so one visit reports them all.
 */

export interface Finding {
  what: string;
  where: string;
  text: string;
}

export interface PageReport {
  findings: Finding[];
  /** The current step of the progress tracker (1-based), or null when the page has none. */
  trackerStep: number | null;
}

/** A function expression evaluated in the page: () => PageReport. */
export const PAGE_CHECKS = `(() => {
  const W = document.documentElement.clientWidth;
  const findings = [];
  const short = (s) => String(s).replace(/\\s+/g, ' ').trim().slice(0, 80);
  const where = (el) => {
    const parts = [];
    for (let e = el, i = 0; e && e.nodeType === 1 && e !== document.body && i < 3; e = e.parentElement, i++) {
      let s = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(s + '#' + e.id); break; }
      const classes = [...e.classList].slice(0, 2);
      if (classes.length) s += '.' + classes.join('.');
      parts.unshift(s);
    }
    return parts.join(' > ');
  };
  const shown = (el) => el.checkVisibility({ visibilityProperty: true }) && el.getClientRects().length > 0;
  // Text for screen readers only, moved out of sight on purpose (USWDS's usa-sr-only, hidden radio and checkbox inputs).
  const hiddenOnPurpose = (el) => {
    for (let e = el; e && e.nodeType === 1 && e !== document.body; e = e.parentElement) {
      if (e.matches('.usa-sr-only, .sr-only, .usa-skipnav, [class*="visually-hidden"]')) return true;
      const cs = getComputedStyle(e);
      if (cs.clip && cs.clip !== 'auto') return true;
      if (cs.clipPath && cs.clipPath.startsWith('inset(50%')) return true;
      if (cs.position === 'absolute' || cs.position === 'fixed') {
        const r = e.getBoundingClientRect();
        if (r.right <= 0 || r.left >= W || (r.width <= 1 && r.height <= 1)) return true;
      }
    }
    return false;
  };
  const scrolls = (v) => v === 'auto' || v === 'scroll';
  const clips = (v) => v === 'hidden' || v === 'clip';
  const all = [...document.body.querySelectorAll('*')].filter((el) => !el.matches('script, style, noscript, template, head *'));

  // 1. "NaN", "undefined", "null", "[object Object]" as whole words, in text or in what a person perceives of attributes.
  const word = /(^|[^\\p{L}\\p{N}_])(NaN|undefined|null|\\[object Object\\])(?![\\p{L}\\p{N}_])/u;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, noscript, template')) continue;
    const m = word.exec(node.data);
    if (m && parent.checkVisibility({ visibilityProperty: true })) findings.push({ what: 'shows "' + m[2] + '"', where: where(parent), text: short(node.data) });
  }
  const m0 = word.exec(document.title);
  if (m0) findings.push({ what: 'shows "' + m0[2] + '" in the title', where: 'title', text: short(document.title) });
  for (const el of all) {
    for (const name of ['value', 'placeholder', 'aria-label', 'title', 'alt']) {
      if (!el.hasAttribute(name)) continue;
      if (name === 'value' && el.matches('input[type=hidden], input[type=password], option, button[name=language]')) continue;
      const m = word.exec(el.getAttribute(name));
      if (m) findings.push({ what: 'shows "' + m[2] + '" in ' + name, where: where(el), text: short(el.getAttribute(name)) });
    }
  }

  // 2. An error summary with no errors in it, or an alert with nothing to read.
  for (const el of document.querySelectorAll('[data-error-summary], .usa-error-summary, .referee-error-summary')) {
    const items = [...el.querySelectorAll('li')].filter((li) => li.textContent.trim());
    if (!items.length) findings.push({ what: 'error summary without errors', where: where(el), text: short(el.textContent) });
  }
  for (const el of document.querySelectorAll('.usa-alert')) {
    const body = el.querySelector('.usa-alert__body') || el;
    if (shown(el) && !body.textContent.trim()) findings.push({ what: 'empty alert box', where: where(el), text: '' });
  }

  // 3. The same block of links twice on one page.
  const blocks = [...document.body.querySelectorAll('ul, ol')]
    .filter((list) => shown(list))
    .map((list) => ({ list, links: [...list.querySelectorAll(':scope > li > a[href], :scope > li > * > a[href]')].filter(shown) }))
    .filter((b) => b.links.length >= 2)
    .map((b) => ({ ...b, key: b.links.map((a) => new URL(a.href, location.href).pathname + new URL(a.href, location.href).search).sort().join(' ') }));
  blocks.forEach((a, i) => {
    const twin = blocks.slice(0, i).find((b) => b.key === a.key && !b.list.contains(a.list) && !a.list.contains(b.list));
    if (twin) findings.push({ what: 'links repeated (also at ' + where(twin.list) + ')', where: where(a.list), text: short(a.links.map((l) => l.textContent.trim()).join(' | ')) });
  });

  // 4. Wider than the viewport, outside any scrolling container of its own (the outermost such element only).
  const wide = [];
  for (const el of all) {
    if (el.matches('option, optgroup') || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right <= W + 1 && r.left >= -1) continue;
    if (wide.some((w) => w.contains(el))) continue;
    let contained = false;
    for (let a = el.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (scrolls(cs.overflowX) || clips(cs.overflowX)) { contained = true; break; }
    }
    if (contained || hiddenOnPurpose(el)) continue;
    wide.push(el);
    findings.push({ what: 'wider than the viewport (' + Math.round(r.left) + '..' + Math.round(r.right) + ' px of ' + W + ')', where: where(el), text: short(el.innerText || el.textContent) });
  }

  // 5. Text cut off by its container: overflow hidden or clip, with content beyond the box that is not hidden on purpose.
  for (const el of all) {
    if (el.matches('input, select, textarea, img, svg, svg *, video, iframe, canvas, button, option')) continue;
    const cs = getComputedStyle(el);
    const cutX = clips(cs.overflowX) && el.scrollWidth > el.clientWidth + 1;
    const cutY = clips(cs.overflowY) && el.scrollHeight > el.clientHeight + 1;
    if (!(cutX || cutY) || !shown(el) || hiddenOnPurpose(el)) continue;
    // What sticks out must be something a person would see: not an element moved away for screen readers.
    const box = el.getBoundingClientRect();
    const beyond = (r) => r.width > 0 && r.height > 0 && ((cutX && (r.right > box.right + 1 || r.left < box.left - 1)) || (cutY && (r.bottom > box.bottom + 1 || r.top < box.top - 1)));
    let sticksOut = null;
    const texts = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let t = texts.nextNode(); t && !sticksOut; t = texts.nextNode()) {
      if (!t.data.trim() || !t.parentElement || hiddenOnPurpose(t.parentElement) || !t.parentElement.checkVisibility({ visibilityProperty: true })) continue;
      const range = document.createRange();
      range.selectNodeContents(t);
      if ([...range.getClientRects()].some(beyond)) sticksOut = t.data;
    }
    if (sticksOut !== null) findings.push({ what: 'text cut off (' + (cutX ? 'width ' + el.scrollWidth + ' > ' + el.clientWidth : 'height ' + el.scrollHeight + ' > ' + el.clientHeight) + ')', where: where(el), text: short(sticksOut) });
  }

  // The progress tracker's current step, for the journey's order.
  const segments = [...document.querySelectorAll('.usa-step-indicator .usa-step-indicator__segment')];
  const current = segments.findIndex((s) => s.getAttribute('aria-current') === 'step');
  return { findings, trackerStep: current >= 0 ? current + 1 : null };
})()`;
