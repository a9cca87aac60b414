import { RtcpPacketConverter, RtcpSenderInfo, RtcpSrPacket, type RtpPacket } from 'werift';
import { msToNtp, ntpToUnixMs, referenceFromPublisherReport, rtpTimestampAt } from '../../src/playback/sender-report';
import { ViewerTrack } from '../../src/playback/viewer-track';

describe('sender report timing', () => {
  it('converts Unix ms to NTP as RFC 3550 figure 2: 10 Nov 1995 11:33:25.125 UTC is 0xb44db705:20000000', () => {
    const ms = Date.UTC(1995, 10, 10, 11, 33, 25, 125);
    expect(msToNtp(ms)).toBe(0xb44db70520000000n);
    expect(ntpToUnixMs(0xb44db70520000000n)).toBe(ms);
    expect(msToNtp(0)).toBe(2208988800n << 32n);
  });

  it('extrapolates the RTP timestamp from a reference at the clock rate, wrapping at 2^32', () => {
    expect(rtpTimestampAt({ atMs: 1000, rtpTimestamp: 90000 }, 90000, 2000)).toBe(180000);
    expect(rtpTimestampAt({ atMs: 1000, rtpTimestamp: 90000 }, 90000, 500)).toBe(45000);
    expect(rtpTimestampAt({ atMs: 0, rtpTimestamp: 0xffffffff }, 48000, 1)).toBe(47);
    expect(rtpTimestampAt({ atMs: 0, rtpTimestamp: 10 }, 48000, -1)).toBe(0xffffffff - 37);
  });

  it('maps a publisher report onto the viewer: one clock shift for both tracks keeps their distance', () => {
    // The publisher's reports: video and audio name instants 40 ms apart on its clock.
    const shift = 5000;
    const video = referenceFromPublisherReport({ ntpMs: 100_000, rtpTimestamp: 900 }, shift, 1000);
    const audio = referenceFromPublisherReport({ ntpMs: 100_040, rtpTimestamp: 480 }, shift, 0xffffff00);
    expect(video).toEqual({ atMs: 105_000, rtpTimestamp: 1900 });
    expect(audio).toEqual({ atMs: 105_040, rtpTimestamp: (480 + 0xffffff00) % 2 ** 32 });
    // At one "now", the viewer's timestamps of both tracks are the publisher's, shifted.
    const now = 106_000;
    expect(rtpTimestampAt(video, 90000, now)).toBe(1900 + 90000);
    expect(rtpTimestampAt(audio, 48000, now)).toBe((480 + 0xffffff00 + 48000 * 0.96) % 2 ** 32);
  });
});

function rtp(seq: number, ts: number, payload: number[], ssrc = 0x1234, marker = false): RtpPacket {
  return { header: { ssrc, sequenceNumber: seq, timestamp: ts, marker, padding: false, paddingSize: 0 }, payload: Buffer.from(payload) } as unknown as RtpPacket;
}

describe('ViewerTrack', () => {
  const spec = { ssrc: 0xdeadbeef, payloadType: 102, cname: 'c', firstSequence: 0x1000, firstTimestamp: 0x20000000, retransmissionCacheMs: 1000 };

  it('video starts at a keyframe (SPS first) and each packet goes out as RFC 3550 bytes with our SSRC, type and numbering', () => {
    const t = new ViewerTrack({ ...spec, kind: 'video', clockRate: 90000 });
    expect(t.forward(rtp(10, 3000, [0x41, 0x9a, 0x01]), 0)).toBeUndefined(); // a P slice: dropped
    expect(t.needsKeyframe).toBe(true);
    const sps = t.forward(rtp(11, 6000, [0x67, 0x42, 0xe0, 0x1f]), 1)!;
    expect(t.needsKeyframe).toBe(false);
    const idr = t.forward(rtp(12, 6000, [0x7c, 0x85, 0xaa], 0x1234, true), 2)!;
    // V=2, no padding/extension/CSRC | M=0, PT=102 | seq | ts | SSRC, then the payload as received
    const bytes = (p: { header: { serialize(n: number): Buffer; serializeSize: number }; payload: Buffer }): string => Buffer.concat([p.header.serialize(p.header.serializeSize), p.payload]).toString('hex');
    expect(bytes(sps)).toBe('80' + '66' + '1000' + '20000000' + 'deadbeef' + '6742e01f');
    expect(bytes(idr)).toBe('80' + 'e6' + '1001' + '20000000' + 'deadbeef' + '7c85aa');
    expect(t.stats).toMatchObject({ packets: 2, bytes: 7 });
  });

  it('a STAP-A with the SPS and an FU-A start of an IDR slice both start video; audio starts at once', () => {
    const stap = new ViewerTrack({ ...spec, kind: 'video', clockRate: 90000 });
    expect(stap.forward(rtp(1, 0, [0x78, 0x00, 0x02, 0x67, 0x42]), 0)).toBeDefined();
    expect(new ViewerTrack({ ...spec, kind: 'video', clockRate: 90000 }).forward(rtp(1, 0, [0x78, 0x00, 0x02, 0x68, 0xce]), 0)).toBeUndefined(); // STAP-A of a PPS alone
    const fu = new ViewerTrack({ ...spec, kind: 'video', clockRate: 90000 });
    expect(fu.forward(rtp(1, 0, [0x7c, 0x05, 0x00]), 0)).toBeUndefined(); // FU-A middle of an IDR
    expect(fu.forward(rtp(2, 0, [0x7c, 0x85, 0x00]), 0)).toBeDefined();
    const audio = new ViewerTrack({ ...spec, kind: 'audio', clockRate: 48000, payloadType: 111 });
    expect(audio.forward(rtp(1, 0, [0xfc]), 0)?.header.payloadType).toBe(111);
  });

  it('a new input SSRC continues the numbering and waits for the next keyframe', () => {
    const t = new ViewerTrack({ ...spec, kind: 'video', clockRate: 90000 });
    expect(t.forward(rtp(100, 0, [0x67, 0x42]), 0)).toBeDefined();
    expect(t.forward(rtp(101, 3000, [0x41, 0x9a]), 33)).toBeDefined();
    expect(t.forward(rtp(5, 777, [0x41, 0x9a], 0x9999), 100)).toBeUndefined();
    expect(t.needsKeyframe).toBe(true);
    const resumed = t.forward(rtp(6, 777, [0x67, 0x42], 0x9999), 133)!;
    expect(resumed.header.sequenceNumber).toBe(0x1002);
    expect(resumed.header.timestamp).toBe(0x20000000 + 3000 + 9000);
  });

  it('answers a NACK with the kept packets, the same bytes, and counts hits and misses', () => {
    const t = new ViewerTrack({ ...spec, kind: 'audio', clockRate: 48000, payloadType: 111 });
    const sent = [0, 1, 2].map((i) => t.forward(rtp(50 + i, i * 960, [i]), i * 20)!);
    const again = t.retransmissions([0x1001, 0x1005], 100);
    expect(again).toEqual([sent[1]]);
    expect(t.retransmissions([0x1000], 2000)).toEqual([]); // older than the cache keeps
    expect(t.stats).toMatchObject({ nacks: 2, retransmitted: 1, retransmitMisses: 2 });
  });

  it('forwards a padding-only packet as padding (the count in its last byte), so numbering has no hole', () => {
    const t = new ViewerTrack({ ...spec, kind: 'audio', clockRate: 48000, payloadType: 111 });
    t.forward(rtp(1, 0, [0xfc]), 0);
    const pad = { header: { ssrc: 0x1234, sequenceNumber: 2, timestamp: 0, marker: false, padding: true, paddingSize: 4 }, payload: Buffer.alloc(0) } as unknown as RtpPacket;
    const out = t.forward(pad, 1)!;
    expect(Buffer.concat([out.header.serialize(out.header.serializeSize), out.payload]).toString('hex')).toBe('a0' + '6f' + '1001' + '20000000' + 'deadbeef' + '00000004');
  });

  it('sends a sender report with the RFC 3550 6.4.1 layout, packet and octet counts, and SDES cname', () => {
    const t = new ViewerTrack({ ...spec, kind: 'audio', clockRate: 48000, payloadType: 111 });
    const now = Date.UTC(1995, 10, 10, 11, 33, 25, 125);
    expect(t.senderReport(now, undefined)).toBeUndefined(); // nothing sent yet
    t.forward(rtp(1, 0, [1, 2, 3]), now - 20);
    t.forward(rtp(2, 960, [4, 5]), now - 10);
    // No publisher report yet: the newest packet sent and its send time stand in (10 ms = 480 ticks).
    const [sr, sdes] = t.senderReport(now, undefined)!;
    expect(sr!.serialize().toString('hex')).toBe(
      '80c80006' + 'deadbeef' + 'b44db705' + '20000000' + (0x20000000 + 960 + 480).toString(16) + '00000002' + '00000005');
    // SDES (6.5): one chunk, CNAME item (type 1, length 1, "c"), a null item ending the list at a word boundary
    expect(sdes!.serialize().toString('hex')).toBe('81ca0002' + 'deadbeef' + '0101' + '63' + '00');
    const parsed = RtcpPacketConverter.deSerialize(sr!.serialize())[0] as RtcpSrPacket;
    expect(parsed.senderInfo).toEqual(new RtcpSenderInfo({ ntpTimestamp: 0xb44db70520000000n, rtpTimestamp: 0x20000000 + 1440, packetCount: 2, octetCount: 5 }));

    // With the publisher's report: its RTP timestamp, shifted, at its NTP time moved by the clock shift.
    t.publisherSenderReport(50_000, 4800);
    const [withPublisher] = t.senderReport(now, now - 50_000 - 100)!;
    const info = (RtcpPacketConverter.deSerialize(withPublisher!.serialize())[0] as RtcpSrPacket).senderInfo;
    expect(info.rtpTimestamp).toBe(0x20000000 + 4800 + 4800); // 100 ms after the report
  });
});
