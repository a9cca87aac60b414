/**
 * EventLoopMeter: what a media worker reports of its own event loop. A thread blocked
 * for 200 ms right after a reading reads as mostly busy, with a delay that long, in the
 * next; an idle one as mostly idle.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLoopMeter } from '../../src/webrtc/worker/loop-figures';

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
    await sleep(30);
    m.take();
    block(200);
    await sleep(30);
    const blocked = m.take();
    expect(blocked.utilization).toBeGreaterThan(0.5);
    expect(blocked.utilization).toBeLessThanOrEqual(1);
    expect(blocked.lagMaxSeconds).toBeGreaterThan(0.15);
    expect(blocked.lagP99Seconds).toBeLessThanOrEqual(blocked.lagMaxSeconds);

    await sleep(300);
    const idle = m.take();
    expect(idle.utilization).toBeLessThan(0.5);
    expect(idle.lagMaxSeconds).toBeLessThan(blocked.lagMaxSeconds);
  });
});
