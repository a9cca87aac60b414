import { JitterBuffer } from '../../src/webrtc/jitter-buffer';

interface P { header: { sequenceNumber: number; timestamp: number } }
/** 10 ms of 90 kHz per sequence number */
const packet = (seq: number, timestamp = seq * 900): P => ({ header: { sequenceNumber: seq & 0xffff, timestamp: timestamp >>> 0 } });

function buffer(latencyMs = 100): { jitter: JitterBuffer<P>; out: Array<number | string> } {
  const out: Array<number | string> = [];
  const jitter = new JitterBuffer<P>(90000, latencyMs, {
    packet: (p) => out.push(p.header.sequenceNumber),
    lost: (n) => out.push(`lost ${n}`),
  });
  return { jitter, out };
}

describe('JitterBuffer', () => {
  it('releases packets in sequence order as soon as the gap before them fills', () => {
    const { jitter, out } = buffer();
    for (const seq of [10, 11, 13, 14, 12, 15]) jitter.input(packet(seq));
    expect(out).toEqual([10, 11, 12, 13, 14, 15]);
    expect(jitter.size).toBe(0);
  });

  it('gives up on a gap once a packet is more than the latency behind the first held one, and keeps every packet that came', () => {
    const { jitter, out } = buffer(100);
    for (const seq of [1, 2, 5, 6, 7]) jitter.input(packet(seq));
    expect(out).toEqual([1, 2]);
    // 5 waits from timestamp 4500; a packet at 4500 + 9000 ticks (100 ms) is not yet too late
    for (let seq = 8; seq <= 15; seq++) jitter.input(packet(seq));
    expect(out).toEqual([1, 2]);
    jitter.input(packet(16));
    expect(out).toEqual([1, 2, 'lost 2', 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('skips several gaps in turn and drops a retransmission that comes after its gap was given up on', () => {
    const { jitter, out } = buffer(20); // 1800 ticks: two packets' worth
    for (const seq of [1, 3, 5, 6]) jitter.input(packet(seq));
    expect(out).toEqual([1, 'lost 1', 3]);
    for (const seq of [7, 8]) jitter.input(packet(seq));
    expect(out).toEqual([1, 'lost 1', 3, 'lost 1', 5, 6, 7, 8]);
    for (const seq of [2, 6, 9]) jitter.input(packet(seq));
    expect(out).toEqual([1, 'lost 1', 3, 'lost 1', 5, 6, 7, 8, 9]);
  });

  it('counts across the 16-bit sequence wrap and the 32-bit timestamp wrap', () => {
    const { jitter, out } = buffer(100);
    const ts = (i: number): number => 2 ** 32 - 2000 + i * 900;
    jitter.input(packet(65534, ts(0)));
    jitter.input(packet(1, ts(3)));
    jitter.input(packet(65535, ts(1)));
    expect(out).toEqual([65534, 65535]);
    jitter.input(packet(20, ts(22)));
    expect(out).toEqual([65534, 65535, 'lost 1', 1]);
    jitter.input(packet(21, ts(33)));
    expect(out).toEqual([65534, 65535, 'lost 1', 1, 'lost 18', 20, 21]);
  });

  it('drops duplicates, held or released', () => {
    const { jitter, out } = buffer();
    for (const seq of [1, 3, 3, 2, 2, 1]) jitter.input(packet(seq));
    expect(out).toEqual([1, 2, 3]);
  });
});
