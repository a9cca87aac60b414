import { RtpHeader, RtpPacket } from 'werift';
import { JitterBufferCallback } from 'werift/nonstandard';
import { fixJitterBufferSort } from '../../src/webrtc/jitter-buffer-fix';

const packet = (seq: number): RtpPacket => new RtpPacket(new RtpHeader({ sequenceNumber: seq, timestamp: seq * 10 }), Buffer.from([seq & 0xff]));

describe('jitter buffer sort fix', () => {
  it('orders from presentSeqNum across the wrap, empties the buffer, and stays fast for packets behind it', () => {
    const jitter = new JitterBufferCallback(90000);
    fixJitterBufferSort(jitter);
    const inner = jitter as unknown as { presentSeqNum?: number; sortAndClearBuffer(b: Record<number, RtpPacket>): RtpPacket[] };
    inner.presentSeqNum = 65530;
    const buffer: Record<number, RtpPacket> = { 2: packet(2), 65533: packet(65533), 0: packet(0), 65529: packet(65529) };
    const started = performance.now();
    const sorted = inner.sortAndClearBuffer(buffer);
    expect(sorted.map((p) => p.header.sequenceNumber)).toEqual([65533, 0, 2, 65529]);
    expect(Object.keys(buffer)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('the patched buffer still delivers in order and reports the loss', () => {
    const jitter = new JitterBufferCallback(90000, { latency: 100 });
    fixJitterBufferSort(jitter);
    const out: Array<number | string> = [];
    jitter.pipe((o) => {
      if (o.isPacketLost) out.push(`lost ${o.isPacketLost.from}-${o.isPacketLost.to}`);
      if (o.rtp) out.push(o.rtp.header.sequenceNumber);
    });
    for (const seq of [10, 11, 13, 12, 14]) jitter.input({ rtp: packet(seq) });
    // 16 never comes; 17.. arrive until 17 times out (latency 100 ms = 9000 ticks at 90 kHz, 10 ticks per seq here)
    jitter.input({ rtp: packet(17) });
    jitter.input({ rtp: packet(2000) });
    // werift names the range up to the timed-out packet itself (17 arrived; 15 and 16 did not).
    expect(out).toEqual([10, 11, 12, 13, 14, 'lost 15-17', 17, 2000]);
  });
});
