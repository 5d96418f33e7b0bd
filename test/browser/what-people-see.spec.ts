/**
 * What a person must never see, on every page of the tour (test/tour/stops.ts) in every
 * language at 1280 and 390 px: "NaN", "undefined", "null" or "[object Object]", an error
 * summary without errors, the same block of links twice, a progress tracker going back along
 * the journey, an element wider than the screen outside a scrolling container of its own
 * (left to right and right to left), and text cut off by its box.
 *
 * Each stop is visited by a test of its own (so a slow machine times out one stop, not the
 * walk); what they find is gathered, and the last test fails with one list of all of it.
 */
import { formatViolations, tourWalk } from '../tour/visit';
import { JITSI } from '../tour/states';
import { selected } from '../tour/stops';
import { browserSuite } from './browser';

const suite = browserSuite(JITSI);
const { stops, languages, widths } = selected();

suite.describe('what people see', () => {
  let walk: Awaited<ReturnType<typeof tourWalk>> | undefined;
  const walking = async () => (walk ??= await tourWalk({ t: suite.t, baseUrl: suite.baseUrl, context: (await suite.shared()).context, languages, widths }));

  for (const stop of stops) {
    it(`visits ${stop.name}`, async () => {
      await (await walking()).visit(stop);
    }, 5 * 60_000);
  }

  it('shows no page of the tour with something a person must never see', async () => {
    const { violations } = await walking();
    if (violations.length) throw new Error(`${violations.length} thing(s) nobody should see:\n${formatViolations(violations)}`);
  });
});
