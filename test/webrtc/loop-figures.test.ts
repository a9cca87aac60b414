/**
 * EventLoopMeter: what a media worker reports of its own event loop. A thread blocked
 * for 200 ms right after a reading reads as mostly busy, with a delay that long, in the
 * next; an idle one as mostly idle. Time passes by the meter's own samples, not sleeps.
 */
import { EventLoopMeter } from '../../src/webrtc/worker/loop-figures';
import { waitFor } from '../helpers/wait-for';

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: the loop runs nothing else meanwhile
  }
}

describe('EventLoopMeter', () => {
  let meter: EventLoopMeter | undefined;

  afterEach(() => {
    meter?.close();
    meter = undefined;
  });

  it('reads a blocked loop as busy and delayed, and each take() covers only the time since the last', async () => {
    const m = new EventLoopMeter();
    meter = m;
    await waitFor(() => m.samples >= 2, { what: 'the sampler running' });
    m.take();
    block(200);
    // The sampler's first run after the block records how late it came.
    await waitFor(() => m.samples >= 1, { what: 'a sample after the block' });
    const blocked = m.take();
    expect(blocked.utilization).toBeGreaterThan(0.5);
    expect(blocked.utilization).toBeLessThanOrEqual(1);
    expect(blocked.lagMaxSeconds).toBeGreaterThan(0.15);
    expect(blocked.lagP99Seconds).toBeLessThanOrEqual(blocked.lagMaxSeconds);

    // About 200 ms of a loop with nothing to do, as the meter itself counts it.
    await waitFor(() => m.samples >= 20, { what: '20 samples of an idle loop' });
    const idle = m.take();
    expect(idle.utilization).toBeLessThan(0.5);
    expect(idle.lagMaxSeconds).toBeLessThan(blocked.lagMaxSeconds);
  });
});
