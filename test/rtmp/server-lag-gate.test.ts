import { DEFAULT_ACK_SILENCE_MS, ServerLagGate } from '../../src/rtmp/server-lag-gate';

describe('ServerLagGate', () => {
  it('lets media flow while the server has never acknowledged, however long that lasts', () => {
    const g = new ServerLagGate({ maxLagMs: 2000 });
    for (const since of [0, 1000, 10 * DEFAULT_ACK_SILENCE_MS]) expect(g.check(undefined, since)).toBe(true);
    expect(g.holding).toBe(false);
    expect(g.holds).toBe(0);
  });

  it('holds once more than maxLagMs is surely not received, and not at exactly the bound', () => {
    const g = new ServerLagGate({ maxLagMs: 2000 });
    expect(g.check(0, 0)).toBe(true);
    expect(g.check(2000, 100)).toBe(true);
    expect(g.check(2001, 100)).toBe(false);
    expect(g.holding).toBe(true);
    expect(g.holds).toBe(1);
  });

  it('lets media go again only once the server is within resumeLagMs (default half the bound)', () => {
    const g = new ServerLagGate({ maxLagMs: 2000 });
    expect(g.resumeLagMs).toBe(1000);
    g.check(2500, 0);
    expect(g.check(1900, 0)).toBe(false);
    expect(g.check(1001, 0)).toBe(false);
    expect(g.check(1000, 0)).toBe(true);
    expect(g.check(1900, 0)).toBe(true); // below the bound again: keeps flowing
    expect(g.check(2100, 0)).toBe(false);
    expect(g.holds).toBe(2);
  });

  it('does not wait for acknowledgements forever: silent ones stop counting until the next one', () => {
    const g = new ServerLagGate({ maxLagMs: 2000, ackSilenceMs: 30_000 });
    expect(g.check(5000, 1000)).toBe(false);
    expect(g.check(9000, 29_999)).toBe(false);
    expect(g.check(9000, 30_000)).toBe(true); // a server that reads without acknowledging any more
    expect(g.check(12_000, 45_000)).toBe(true);
    expect(g.check(12_000, 5)).toBe(false); // it acknowledged again, and is far behind
    expect(g.holds).toBe(2);
  });

  it('refuses bounds that are not positive', () => {
    expect(() => new ServerLagGate({ maxLagMs: 0 })).toThrow(RangeError);
    expect(() => new ServerLagGate({ maxLagMs: NaN })).toThrow(RangeError);
  });
});
