/**
 * What a person must never see, on every page of the tour (test/tour/stops.ts) in every
 * language at 1280 and 390 px: "NaN", "undefined", "null" or "[object Object]", an error
 * summary without errors, the same block of links twice, a progress tracker going back along
 * the journey, an element wider than the screen outside a scrolling container of its own
 * (left to right and right to left), and text cut off by its box. One run lists every finding.
 */
import { tour, formatViolations } from '../tour/visit';
import { JITSI } from '../tour/states';
import { selected } from '../tour/stops';
import { browserSuite } from './browser';

const suite = browserSuite(JITSI);

suite.describe('what people see', () => {
  it('shows no page of the tour with something a person must never see', async () => {
    const browser = await suite.shared();
    const { stops, languages, widths } = selected();
    const violations = await tour({ t: suite.t, baseUrl: suite.baseUrl, context: browser.context, stops, languages, widths });
    if (violations.length) throw new Error(`${violations.length} thing(s) nobody should see:\n${formatViolations(violations)}`);
  }, 15 * 60_000);
});
