import { RtpHeader, RtpPacket } from 'werift';
import { copyRtpHeader, fastRtpHeaderDeSerialize, parseRtpHeader, weriftRtpHeaderDeSerialize } from '../../src/webrtc/rtp-header-fast-path';
import { randomRtpPacket as randomPacket } from '../helpers/random-rtp-packet';
import { seededRandom } from '../helpers/seeded-random';
import { weriftSrtpReceiver } from '../helpers/werift-srtp-receiver';

describe('RTP header fast path', () => {
  const seed = 0x5eed0008;

  it('parses 2000 seeded packets into headers equal to werift\'s own, field order and prototype included', () => {
    const rnd = seededRandom(seed);
    for (let i = 0; i < 2000; i++) {
      const packet = randomPacket(rnd);
      const ours = parseRtpHeader(packet);
      const theirs = weriftRtpHeaderDeSerialize(packet);
      expect({ seed, i, keys: ours && Object.keys(ours) }).toEqual({ seed, i, keys: Object.keys(theirs) });
      expect(ours).toEqual(theirs);
      expect(ours).toBeInstanceOf(RtpHeader);
    }
  });

  it('leaves packets too short for their header to werift\'s parser, which throws as before', () => {
    const truncated = [Buffer.from([0x80, 0x60, 0, 1]), Buffer.from([0x83, ...Buffer.alloc(15)]), Buffer.from([0x90, ...Buffer.alloc(13)])];
    for (const raw of truncated) {
      expect(parseRtpHeader(raw)).toBeUndefined();
      expect(() => RtpHeader.deSerialize(raw)).toThrow(/out of range|outside buffer bounds/);
    }
  });

  it('byte-exact on RFC 8285 4.2 one-byte extensions: two elements, padding between them', () => {
    // V=2 X=1 PT=96 seq=0x1234 ts=0x01020304 ssrc=0xcafebabe; 0xBEDE, length 2 words:
    // id 1 len 1 [0xaa], a padding byte, id 2 len 2 [0xbb 0xcc], then padding to the word
    const raw = Buffer.from('90601234' + '01020304' + 'cafebabe' + 'bede0002' + '10aa0021' + 'bbcc0000' + 'ff', 'hex');
    const h = RtpHeader.deSerialize(raw);
    expect(h).toMatchObject({ version: 2, extension: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 0x01020304, ssrc: 0xcafebabe, extensionProfile: 0xbede, extensionLength: 8, payloadOffset: 24 });
    expect(h.extensions.map((e) => [e.id, e.payload.toString('hex')])).toEqual([[1, 'aa'], [2, 'bbcc']]);
  });

  it('werift\'s RtpPacket.deSerialize and clone go through the fast path (fails if werift stops calling them)', () => {
    const raw = randomPacket(seededRandom(seed + 1));
    expect(RtpHeader.deSerialize).toBe(fastRtpHeaderDeSerialize);
    const spy = jest.spyOn(RtpHeader, 'deSerialize');
    try {
      const packet = RtpPacket.deSerialize(raw);
      expect(spy).toHaveBeenCalledTimes(1);
      const copy = packet.clone();
      expect(copy.header).not.toBe(packet.header);
      expect(copy.header).toEqual(weriftRtpHeaderDeSerialize(raw));
      expect(copy.payload).toBe(packet.payload);
    } finally {
      spy.mockRestore();
    }
  });

  it('a copy keeps fields someone added to a header, as werift\'s spread does', () => {
    const h = weriftRtpHeaderDeSerialize(randomPacket(seededRandom(seed + 2)));
    (h as unknown as { note: string }).note = 'mine';
    expect(copyRtpHeader(h)).toEqual(h);
    expect((copyRtpHeader(h) as unknown as { note: string }).note).toBe('mine');
  });
});

describe('werift\'s SRTP receive path with the RTP header fast path', () => {
  it('an SRTP packet given to RTCDtlsTransport arrives as the RtpPacket it was, its header parsed by our parser', () => {
    const { received, send } = weriftSrtpReceiver(0x5eed0009);
    const raw = randomPacket(seededRandom(0x5eed000a));
    const plain = RtpPacket.deSerialize(raw);
    plain.header.padding = false; // werift's encrypt would not add the padding bytes
    const sent = plain.header;
    const spy = jest.spyOn(RtpHeader, 'deSerialize');
    try {
      send(plain.payload, plain.header);
      // once to authenticate the SRTP packet, once for the decrypted one
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
    expect(received).toHaveLength(1);
    expect(received[0]!.header).toMatchObject({ ssrc: sent.ssrc, sequenceNumber: sent.sequenceNumber, timestamp: sent.timestamp, payloadType: sent.payloadType, marker: sent.marker });
    expect(received[0]!.payload).toEqual(plain.payload);
  });
});
