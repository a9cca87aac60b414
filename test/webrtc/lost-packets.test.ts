import { lostPackets } from '../../src/webrtc/publisher';

describe('lostPackets (werift loss ranges)', () => {
  it.each([
    [10, 10, 1],
    [10, 12, 3],
    [65535, 1, 3], // across the 16-bit wrap
    [0, 32767, 32768],
  ])('from %i to %i is %i packets', (from, to, n) => expect(lostPackets(from, to)).toBe(n));

  it('a backwards range counts as nothing, not as most of the sequence space', () => {
    expect(lostPackets(100, 99)).toBe(0);
    expect(lostPackets(5, 65530)).toBe(0);
  });
});
