import { addU16, addU32, RtpRewriter, sequenceDistance } from '../../src/playback/rtp-rewriter';

describe('RtpRewriter', () => {
  it('shifts sequence numbers and timestamps by fixed offsets, keeping gaps and reordering as they came', () => {
    const r = new RtpRewriter({ sequenceNumber: 1000, timestamp: 5000, clockRate: 90000 });
    expect(r.rewrite(0xaaaa, 200, 90000, 0)).toEqual({ sequenceNumber: 1000, timestamp: 5000 });
    expect(r.rewrite(0xaaaa, 201, 93000, 33)).toEqual({ sequenceNumber: 1001, timestamp: 8000 });
    // 202 lost, 204 before 203: the viewer sees the same gap and order
    expect(r.rewrite(0xaaaa, 204, 96000, 66)).toEqual({ sequenceNumber: 1004, timestamp: 11000 });
    expect(r.rewrite(0xaaaa, 203, 96000, 67)).toEqual({ sequenceNumber: 1003, timestamp: 11000 });
    expect(r.newest).toEqual({ sequenceNumber: 1004, timestamp: 11000, atMs: 66 });
  });

  it('wraps sequence numbers at 2^16 and timestamps at 2^32, on input and output', () => {
    const r = new RtpRewriter({ sequenceNumber: 0xfffe, timestamp: 0xffffff00, clockRate: 90000 });
    expect(r.rewrite(1, 10, 0, 0)).toEqual({ sequenceNumber: 0xfffe, timestamp: 0xffffff00 });
    expect(r.rewrite(1, 11, 0x200, 1)).toEqual({ sequenceNumber: 0xffff, timestamp: 0x100 });
    expect(r.rewrite(1, 12, 0x300, 2)).toEqual({ sequenceNumber: 0, timestamp: 0x200 });
    const s = new RtpRewriter({ sequenceNumber: 500, timestamp: 7, clockRate: 48000 });
    expect(s.rewrite(2, 0xffff, 0xfffffff0, 0)).toEqual({ sequenceNumber: 500, timestamp: 7 });
    expect(s.rewrite(2, 0, 0x10, 20)).toEqual({ sequenceNumber: 501, timestamp: 7 + 0x20 });
    // after the input wrapped, newest still follows the sequence space, not the numbers
    expect(s.newest?.sequenceNumber).toBe(501);
  });

  it('continues across a source switch: the next number, the timestamp advanced by the wall time since the last packet', () => {
    const r = new RtpRewriter({ sequenceNumber: 100, timestamp: 1_000_000, clockRate: 90000 });
    r.rewrite(0x1111, 40_000, 3_000_000, 1000);
    r.rewrite(0x1111, 40_001, 3_003_000, 1033);
    // A new SSRC 500 ms later, with unrelated numbering.
    const next = r.rewrite(0x2222, 7, 123, 1533);
    expect(next).toEqual({ sequenceNumber: 102, timestamp: 1_003_000 + 45_000 });
    expect(r.rewrite(0x2222, 8, 3123, 1566)).toEqual({ sequenceNumber: 103, timestamp: 1_003_000 + 45_000 + 3000 });
    // switchSource() on the same SSRC (the caller skipped media up to a keyframe) continues the same way
    r.switchSource();
    expect(r.rewrite(0x2222, 900, 9_000_000, 1566)).toEqual({ sequenceNumber: 104, timestamp: 1_003_000 + 45_000 + 3000 + 1 });
  });

  it('drops a late packet from before the switch instead of reusing a sent number', () => {
    const r = new RtpRewriter({ sequenceNumber: 0, timestamp: 0, clockRate: 90000 });
    r.rewrite(1, 100, 0, 0);
    r.switchSource();
    r.rewrite(1, 110, 9000, 100);
    expect(r.rewrite(1, 105, 4500, 101)).toBeUndefined();
    expect(r.staleDropped).toBe(1);
    expect(r.rewrite(1, 111, 9000, 101)).toEqual({ sequenceNumber: 2, timestamp: 9000 });
  });

  it('16- and 32-bit arithmetic', () => {
    expect(sequenceDistance(2, 0xfffe)).toBe(4);
    expect(sequenceDistance(0xfffe, 2)).toBe(-4);
    expect(sequenceDistance(0x8000, 0)).toBe(-0x8000);
    expect(addU16(0xffff, 2)).toBe(1);
    expect(addU16(1, -2)).toBe(0xffff);
    expect(addU32(0xffffffff, 2)).toBe(1);
    expect(addU32(0, -1)).toBe(0xffffffff);
  });
});
