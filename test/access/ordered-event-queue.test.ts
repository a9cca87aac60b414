/**
 * Events in order per key, tried again after a doubling pause, dropped and counted after
 * the last try; keys never wait for each other; close ends every pause and delivery.
 * Time is a FakeClock: pauses are checked by when each try happens, not by sleeping.
 */
import { OrderedEventQueue, type DeliveryOutcome } from '../../src/access/rest-hooks/ordered-event-queue';
import { FakeClock } from '../helpers/fake-clock';

interface Ev { key: string; n: number }

/** A delivery the test answers by hand: each try waits until the test settles it. */
class ScriptedBackend {
  readonly tries: Array<{ ev: Ev; at: number; settle: (o: DeliveryOutcome) => void; signal: AbortSignal }> = [];
  constructor(private readonly clock: FakeClock) {}
  deliver = (ev: Ev, signal: AbortSignal): Promise<DeliveryOutcome> =>
    new Promise((resolve) => this.tries.push({ ev, at: this.clock.now(), settle: resolve, signal }));
  /** Settles the oldest unsettled try of `key` and lets promise callbacks run. */
  async answer(key: string, outcome: DeliveryOutcome): Promise<void> {
    const t = this.tries.find((x) => x.ev.key === key && !(x as { done?: boolean }).done);
    if (!t) throw new Error(`no open try for ${key}`);
    (t as { done?: boolean }).done = true;
    t.settle(outcome);
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function make(attempts = 3, maxQueued = 100) {
  const clock = new FakeClock();
  const backend = new ScriptedBackend(clock);
  const drops: Array<{ ev: Ev; why: string; dropped: number }> = [];
  const queue = new OrderedEventQueue<Ev>({
    attempts, firstPauseMs: 500, maxQueued, clock,
    deliver: backend.deliver,
    onDrop: (ev, why, dropped) => drops.push({ ev, why, dropped }),
  });
  return { clock, backend, drops, queue };
}

describe('OrderedEventQueue', () => {
  test('one event in flight per key; the next goes once the previous was taken', async () => {
    const { backend, queue } = make();
    queue.push('s1', { key: 's1', n: 1 });
    queue.push('s1', { key: 's1', n: 2 });
    queue.push('s1', { key: 's1', n: 3 });
    expect(backend.tries.map((t) => t.ev.n)).toEqual([1]);
    await backend.answer('s1', 'taken');
    expect(backend.tries.map((t) => t.ev.n)).toEqual([1, 2]);
    await backend.answer('s1', 'taken');
    await backend.answer('s1', 'taken');
    expect(backend.tries.map((t) => t.ev.n)).toEqual([1, 2, 3]);
    expect(queue.stats).toEqual({ queued: 0, delivered: 3, retried: 0, dropped: 0 });
  });

  test('a key whose backend is slow does not hold back another key', async () => {
    const { backend, queue } = make();
    queue.push('slow', { key: 'slow', n: 1 });
    queue.push('fast', { key: 'fast', n: 1 });
    queue.push('fast', { key: 'fast', n: 2 });
    await backend.answer('fast', 'taken');
    expect(backend.tries.map((t) => `${t.ev.key}${t.ev.n}`)).toEqual(['slow1', 'fast1', 'fast2']);
  });

  test('an event not taken is tried again after 500, then 1000 ms, and later ones wait for it', async () => {
    const { clock, backend, queue, drops } = make(3);
    queue.push('s', { key: 's', n: 1 });
    queue.push('s', { key: 's', n: 2 });
    await backend.answer('s', 'retry');
    clock.advance(499);
    expect(backend.tries).toHaveLength(1);
    clock.advance(1);
    expect(backend.tries.map((t) => [t.ev.n, t.at])).toEqual([[1, 0], [1, 500]]);
    await backend.answer('s', 'retry');
    clock.advance(999);
    expect(backend.tries).toHaveLength(2);
    clock.advance(1);
    expect(backend.tries.map((t) => [t.ev.n, t.at])).toEqual([[1, 0], [1, 500], [1, 1500]]);
    await backend.answer('s', 'taken');
    expect(backend.tries.map((t) => t.ev.n)).toEqual([1, 1, 1, 2]);
    expect(drops).toEqual([]);
    expect(queue.stats.retried).toBe(2);
  });

  test('after the last try the event is dropped, counted, and the next one goes', async () => {
    const { clock, backend, queue, drops } = make(2);
    queue.push('s', { key: 's', n: 1 });
    queue.push('s', { key: 's', n: 2 });
    await backend.answer('s', 'retry');
    clock.advance(500);
    await backend.answer('s', 'retry');
    expect(drops).toEqual([{ ev: { key: 's', n: 1 }, why: 'not taken after 2 tries', dropped: 1 }]);
    expect(backend.tries.map((t) => t.ev.n)).toEqual([1, 1, 2]);
    await backend.answer('s', 'taken');
    expect(queue.stats).toEqual({ queued: 0, delivered: 1, retried: 1, dropped: 1 });
  });

  test('a delivery that throws counts as not taken', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const queue = new OrderedEventQueue<Ev>({
      attempts: 2, firstPauseMs: 500, maxQueued: 10, clock,
      deliver: async () => { calls++; throw new Error('boom'); },
      onDrop: () => undefined,
    });
    queue.push('s', { key: 's', n: 1 });
    await flush();
    clock.advance(500);
    await flush();
    expect(calls).toBe(2);
    expect(queue.stats.dropped).toBe(1);
  });

  test('more than maxQueued waiting: the new event is dropped and counted', () => {
    const { queue, drops } = make(3, 2);
    queue.push('a', { key: 'a', n: 1 });
    queue.push('a', { key: 'a', n: 2 });
    queue.push('b', { key: 'b', n: 1 });
    expect(drops).toEqual([{ ev: { key: 'b', n: 1 }, why: 'more than 2 events waiting', dropped: 1 }]);
  });

  test('close clears every pause, aborts what is in flight, drops what waits', async () => {
    const { clock, backend, queue, drops } = make(5);
    queue.push('paused', { key: 'paused', n: 1 });
    queue.push('busy', { key: 'busy', n: 1 });
    queue.push('busy', { key: 'busy', n: 2 });
    await backend.answer('paused', 'retry');
    expect(clock.active).toBe(1);
    queue.close();
    expect(clock.active).toBe(0);
    expect(backend.tries.find((t) => t.ev.key === 'busy')!.signal.aborted).toBe(true);
    expect(drops.map((d) => `${d.ev.key}${d.ev.n}`).sort()).toEqual(['busy1', 'busy2', 'paused1']);
    await backend.answer('busy', 'taken'); // settles late: changes nothing
    queue.push('x', { key: 'x', n: 1 });
    expect(drops.at(-1)).toEqual({ ev: { key: 'x', n: 1 }, why: 'the hook client is closed', dropped: 4 });
    expect(backend.tries).toHaveLength(2);
  });
});
