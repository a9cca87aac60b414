import { RestorePolicy } from '../../src/transponder/restore-policy';

describe('RestorePolicy', () => {
  it('never restores when rtmp_push_restore is off, whatever the attempts', () => {
    const p = new RestorePolicy({ enabled: false, attempts: -1, intervalMs: 1000 });
    expect(p.nextDelay(0)).toBeUndefined();
    expect(p.nextDelay(5)).toBeUndefined();
  });

  it('gives exactly `attempts` tries, each after the interval, then gives up', () => {
    const p = new RestorePolicy({ enabled: true, attempts: 3, intervalMs: 2500 });
    expect([0, 1, 2, 3, 4].map((n) => p.nextDelay(n))).toEqual([2500, 2500, 2500, undefined, undefined]);
  });

  it('retries forever with attempts -1', () => {
    const p = new RestorePolicy({ enabled: true, attempts: -1, intervalMs: 500 });
    expect(p.nextDelay(0)).toBe(500);
    expect(p.nextDelay(1_000_000)).toBe(500);
  });

  it('gives up at once with attempts 0', () => {
    const p = new RestorePolicy({ enabled: true, attempts: 0, intervalMs: 500 });
    expect(p.nextDelay(0)).toBeUndefined();
  });

  it('allows a zero interval (retry at once)', () => {
    expect(new RestorePolicy({ enabled: true, attempts: 1, intervalMs: 0 }).nextDelay(0)).toBe(0);
  });

  it('rejects settings that make no sense', () => {
    expect(() => new RestorePolicy({ enabled: true, attempts: -2, intervalMs: 1 })).toThrow(RangeError);
    expect(() => new RestorePolicy({ enabled: true, attempts: 1.5, intervalMs: 1 })).toThrow(RangeError);
    expect(() => new RestorePolicy({ enabled: true, attempts: 1, intervalMs: -1 })).toThrow(RangeError);
    expect(() => new RestorePolicy({ enabled: true, attempts: 1, intervalMs: NaN })).toThrow(RangeError);
  });

  it('rejects a negative or fractional attempt count', () => {
    const p = new RestorePolicy({ enabled: true, attempts: 3, intervalMs: 1 });
    expect(() => p.nextDelay(-1)).toThrow(RangeError);
    expect(() => p.nextDelay(0.5)).toThrow(RangeError);
  });
});
