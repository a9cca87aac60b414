import { AuthFailureLimiter } from '../../src/rest/auth-failure-limiter';
import { FakeClock } from '../helpers/fake-clock';

describe('AuthFailureLimiter', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
  });

  function limiter(maxFailures = 3, windowMs = 60_000, maxAddresses = 100): AuthFailureLimiter {
    return new AuthFailureLimiter({ maxFailures, windowMs, maxAddresses }, clock);
  }

  test('an address may fail maxFailures times; then it is refused until its window ends', () => {
    const l = limiter(3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterMs('192.0.2.1')).toBe(0);
      l.recordFailure('192.0.2.1');
    }
    expect(l.retryAfterMs('192.0.2.1')).toBe(60_000);
    clock.advance(59_000);
    expect(l.retryAfterMs('192.0.2.1')).toBe(1_000);
    clock.advance(1_000);
    expect(l.retryAfterMs('192.0.2.1')).toBe(0);
    expect(l.stats).toEqual({ failures: 3, refused: 2, evictions: 0 });
  });

  test('the window starts at the first failure, not the last', () => {
    const l = limiter(2, 10_000);
    l.recordFailure('a');
    clock.advance(9_000);
    l.recordFailure('a');
    expect(l.retryAfterMs('a')).toBe(1_000);
  });

  test('after the window the address has its whole budget again', () => {
    const l = limiter(2, 10_000);
    l.recordFailure('a');
    l.recordFailure('a');
    clock.advance(10_000);
    l.recordFailure('a');
    expect(l.retryAfterMs('a')).toBe(0);
    l.recordFailure('a');
    expect(l.retryAfterMs('a')).toBe(10_000);
  });

  test('one address spending its budget does not touch another', () => {
    const l = limiter(2);
    l.recordFailure('a');
    l.recordFailure('a');
    l.recordFailure('b');
    expect(l.retryAfterMs('a')).toBeGreaterThan(0);
    expect(l.retryAfterMs('b')).toBe(0);
    expect(l.retryAfterMs('c')).toBe(0);
  });

  test('the table never holds more than maxAddresses; the oldest window is evicted first', () => {
    const l = limiter(1, 60_000, 3);
    for (const a of ['a', 'b', 'c']) {
      l.recordFailure(a);
      clock.advance(1);
    }
    l.recordFailure('d');
    expect(l.trackedAddresses).toBe(3);
    expect(l.stats.evictions).toBe(1);
    expect(l.retryAfterMs('a')).toBe(0); // evicted
    for (const a of ['b', 'c', 'd']) expect(l.retryAfterMs(a)).toBeGreaterThan(0);
    for (let i = 0; i < 10_000; i++) l.recordFailure(`x${i}`);
    expect(l.trackedAddresses).toBe(3);
  });

  test('expired entries are pruned before anything live is evicted', () => {
    const l = limiter(1, 1_000, 2);
    l.recordFailure('old');
    clock.advance(1_000);
    l.recordFailure('a');
    l.recordFailure('b');
    expect(l.stats.evictions).toBe(0);
    expect(l.trackedAddresses).toBe(2);
  });

  test('an address whose window ended starts a new one, queued behind the others: eviction follows window age', () => {
    const l = limiter(2, 1_000, 3);
    l.recordFailure('a');
    clock.advance(500);
    l.recordFailure('b');
    clock.advance(600); // a's window ended, b's has not
    expect(l.retryAfterMs('a')).toBe(0); // drops a's old entry
    l.recordFailure('a'); // a new window for a, now the newest
    l.recordFailure('c');
    l.recordFailure('d'); // full: evicts b, the oldest live window
    expect(l.trackedAddresses).toBe(3);
    expect(l.stats.evictions).toBe(1);
    expect(l.retryAfterMs('b')).toBe(0); // evicted, its count gone
    l.recordFailure('a');
    expect(l.retryAfterMs('a')).toBeGreaterThan(0); // a's new window kept its count
  });

  test('churn through a full table keeps it at its size and every live count right', () => {
    const l = limiter(3, 10_000, 100);
    for (let i = 0; i < 20_000; i++) {
      l.recordFailure(`x${i % 150}`);
      clock.advance(1);
    }
    expect(l.trackedAddresses).toBe(100);
    expect(l.stats.failures).toBe(20_000);
  });

  test('maxFailures 0 turns it off: nothing tracked, nothing refused', () => {
    const l = limiter(0);
    for (let i = 0; i < 100; i++) l.recordFailure('a');
    expect(l.retryAfterMs('a')).toBe(0);
    expect(l.trackedAddresses).toBe(0);
    expect(l.enabled).toBe(false);
  });

  test('update changes the limits live; a smaller table sheds its oldest entries', () => {
    const l = limiter(5, 60_000, 10);
    for (const a of ['a', 'b', 'c', 'd']) l.recordFailure(a);
    l.recordFailure('a');
    l.update({ maxFailures: 2, windowMs: 60_000, maxAddresses: 2 });
    expect(l.trackedAddresses).toBe(2);
    expect(l.retryAfterMs('a')).toBe(0); // shed
    l.recordFailure('d');
    expect(l.retryAfterMs('d')).toBeGreaterThan(0);
  });

  test.each([
    [{ maxFailures: -1, windowMs: 1, maxAddresses: 1 }],
    [{ maxFailures: 1, windowMs: 0, maxAddresses: 1 }],
    [{ maxFailures: 1, windowMs: 1, maxAddresses: 0 }],
  ])('refuses nonsense options %j', (o) => {
    expect(() => new AuthFailureLimiter(o, clock)).toThrow(RangeError);
  });

  test('arms no timer: entries expire by reading the clock', () => {
    const l = limiter(1);
    l.recordFailure('a');
    expect(clock.timeoutsSet).toBe(0);
  });
});
