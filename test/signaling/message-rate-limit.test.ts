import { MessageRateLimit, REFUSAL_NOTICE_INTERVAL_MS, type MessageRateOptions } from '../../src/signaling/message-rate-limit';
import { SessionsPerAddress } from '../../src/signaling/sessions-per-address';
import { REFUSAL_LOG_INTERVAL_MS, SignalingRefusals } from '../../src/signaling/signaling-refusals';
import { FakeClock } from '../helpers/fake-clock';

describe('MessageRateLimit (a token bucket per session)', () => {
  let clock: FakeClock;
  let options: MessageRateOptions;
  beforeEach(() => {
    clock = new FakeClock();
    options = { perSecond: 10, burst: 5 };
  });

  function admitted(limit: MessageRateLimit, n: number): number {
    let ok = 0;
    for (let i = 0; i < n; i++) if (limit.admit() === 'admit') ok++;
    return ok;
  }

  test('a burst of `burst` messages passes at once; the next is refused and the client told', () => {
    const limit = new MessageRateLimit(() => options, clock);
    expect(admitted(limit, 5)).toBe(5);
    expect(limit.admit()).toBe('refuse-and-tell');
  });

  test('tokens come back at perSecond, never above burst', () => {
    const limit = new MessageRateLimit(() => options, clock);
    admitted(limit, 5);
    clock.advance(300); // 3 tokens at 10/s
    expect(admitted(limit, 10)).toBe(3);
    clock.advance(60_000);
    expect(admitted(limit, 10)).toBe(5);
  });

  test('a steady client at the rate is never refused', () => {
    const limit = new MessageRateLimit(() => options, clock);
    for (let i = 0; i < 1000; i++) {
      expect(limit.admit()).toBe('admit');
      clock.advance(100);
    }
  });

  test('a flood hears about it at most once per notice interval', () => {
    const limit = new MessageRateLimit(() => options, clock);
    admitted(limit, 5);
    const verdicts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      verdicts.push(limit.admit());
      clock.advance(1); // 1000 messages a second
    }
    const told = verdicts.filter((v) => v === 'refuse-and-tell').length;
    expect(told).toBe(Math.ceil(3000 / REFUSAL_NOTICE_INTERVAL_MS));
    // About perSecond a second still pass: the flood does not starve the session.
    expect(verdicts.filter((v) => v === 'admit').length).toBeGreaterThanOrEqual(29);
    expect(verdicts.filter((v) => v === 'admit').length).toBeLessThanOrEqual(31);
  });

  test('perSecond 0 admits everything; a new rate applies at the next message', () => {
    options = { perSecond: 0, burst: 1 };
    const limit = new MessageRateLimit(() => options, clock);
    expect(admitted(limit, 100)).toBe(100);
    options = { perSecond: 1, burst: 1 };
    expect(admitted(limit, 100)).toBe(1);
  });
});

describe('SessionsPerAddress', () => {
  test('counts per address up to the maximum; a closed session frees its slot', () => {
    let max = 2;
    const open = new SessionsPerAddress(() => max);
    expect(open.tryOpen('a')).toBe(true);
    expect(open.tryOpen('a')).toBe(true);
    expect(open.tryOpen('a')).toBe(false);
    expect(open.tryOpen('b')).toBe(true);
    expect(open.countOf('a')).toBe(2);
    open.closed('a');
    expect(open.tryOpen('a')).toBe(true);
    max = 0;
    expect(open.tryOpen('a')).toBe(true);
  });

  test('an address with no session left is forgotten', () => {
    const open = new SessionsPerAddress(() => 5);
    for (let i = 0; i < 100; i++) open.tryOpen(`x${i}`);
    for (let i = 0; i < 100; i++) open.closed(`x${i}`);
    expect(open.addresses).toBe(0);
  });
});

describe('SignalingRefusals', () => {
  test('counts every refusal; logs the first of each kind per interval with the total and what went unlogged', () => {
    const clock = new FakeClock();
    const lines: Array<Record<string, unknown>> = [];
    const refusals = new SignalingRefusals({ warn: (_msg, fields) => lines.push(fields ?? {}) }, clock);
    for (let i = 0; i < 50; i++) refusals.record('messageRate', { session: 's1' });
    refusals.record('sessionsPerAddress', { address: '192.0.2.1' });
    expect(refusals.counts).toMatchObject({ messageRate: 50, sessionsPerAddress: 1, streamsPerSession: 0, streamsTotal: 0 });
    expect(lines).toEqual([
      { refusal: 'messageRate', session: 's1', total: 1, unloggedSinceLastLine: 0 },
      { refusal: 'sessionsPerAddress', address: '192.0.2.1', total: 1, unloggedSinceLastLine: 0 },
    ]);
    clock.advance(REFUSAL_LOG_INTERVAL_MS);
    refusals.record('messageRate', { session: 's1' });
    expect(lines[2]).toEqual({ refusal: 'messageRate', session: 's1', total: 51, unloggedSinceLastLine: 49 });
  });
});
