import { RetransmissionCache } from '../../src/playback/retransmission-cache';

describe('RetransmissionCache', () => {
  it('finds a packet sent within the age limit, by its number', () => {
    const c = new RetransmissionCache<string>(1024, 1000);
    c.put(7, 'seven', 0);
    c.put(8, 'eight', 10);
    expect(c.get(7, 500)).toBe('seven');
    expect(c.get(8, 1010)).toBe('eight');
    expect(c.hits).toBe(2);
  });

  it('misses an unknown number, an expired packet, and a slot reused by a later number', () => {
    const c = new RetransmissionCache<string>(1000, 1000); // rounded up to 1024 slots
    c.put(5, 'five', 0);
    expect(c.get(6, 0)).toBeUndefined();
    expect(c.get(5, 1001)).toBeUndefined();
    c.put(5 + 1024, 'later', 1);
    expect(c.get(5, 2)).toBeUndefined();
    expect(c.get(5 + 1024, 2)).toBe('later');
    expect(c.misses).toBe(3);
  });

  it('works across the 16-bit wrap and forgets everything on clear', () => {
    const c = new RetransmissionCache<number>(16, 1000);
    for (let s = 0xfff8; s < 0x10008; s++) c.put(s & 0xffff, s, 0);
    expect(c.get(0xfffc, 1)).toBe(0xfffc);
    expect(c.get(3, 1)).toBe(0x10003);
    expect(c.get(0xfff7, 1)).toBeUndefined();
    c.clear();
    expect(c.get(3, 1)).toBeUndefined();
  });
});
