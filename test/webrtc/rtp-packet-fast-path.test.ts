import { RtpHeader, RtpPacket } from 'werift';
import { fastRtpPacketDeSerialize, newRtpPacket, weriftRtpPacketDeSerialize } from '../../src/webrtc/rtp-packet-fast-path';
import { weriftRtpHeaderDeSerialize } from '../../src/webrtc/rtp-header-fast-path';
import { randomRtpPacket as randomPacket } from '../helpers/random-rtp-packet';
import { seededRandom } from '../helpers/seeded-random';
import { weriftSrtpReceiver } from '../helpers/werift-srtp-receiver';

describe('RtpPacket fast path', () => {
  const seed = 0x5eed0108;

  it('parses 500 seeded packets into packets equal to werift\'s own: fields, order, prototype, payload bytes', () => {
    const rnd = seededRandom(seed);
    for (let i = 0; i < 500; i++) {
      const raw = randomPacket(rnd);
      const ours = RtpPacket.deSerialize(raw);
      const theirs = weriftRtpPacketDeSerialize(raw);
      expect({ seed, i, keys: Object.keys(ours) }).toEqual({ seed, i, keys: Object.keys(theirs) });
      expect(ours).toEqual(theirs);
      expect(ours).toBeInstanceOf(RtpPacket);
      // the payload is a view of the same bytes, as werift's
      expect(ours.payload.buffer).toBe(raw.buffer);
      expect(ours.payload.byteOffset).toBe(theirs.payload.byteOffset);
      expect(ours.serializeSize).toBe(theirs.serializeSize);
    }
  });

  it('newRtpPacket gives what the constructor gives, and werift\'s methods work on it', () => {
    const raw = randomPacket(seededRandom(seed + 1));
    const header = weriftRtpHeaderDeSerialize(raw);
    const payload = Buffer.from('payload');
    const ours = newRtpPacket(header, payload);
    expect(ours).toEqual(new RtpPacket(header, payload));
    expect(Object.getOwnPropertyDescriptors(ours)).toEqual(Object.getOwnPropertyDescriptors(new RtpPacket(header, payload)));
    expect(ours.clone()).toEqual(ours);
    expect(RtpPacket.deSerialize(ours.serialize())).toEqual(weriftRtpPacketDeSerialize(new RtpPacket(header, payload).serialize()));
  });

  it('malformed input throws as werift\'s does', () => {
    const short = Buffer.from([0x83, ...Buffer.alloc(15)]);
    expect(() => weriftRtpPacketDeSerialize(short)).toThrow();
    expect(() => RtpPacket.deSerialize(short)).toThrow();
  });
});

describe('werift\'s SRTP receive path with the RtpPacket fast path', () => {
  it('RTCDtlsTransport builds the decrypted packet through our RtpPacket.deSerialize (fails if werift stops calling it)', () => {
    const { received, send } = weriftSrtpReceiver(0x5eed0109);
    const plain = weriftRtpPacketDeSerialize(randomPacket(seededRandom(0x5eed010a)));
    plain.header.padding = false; // werift's encrypt would not add the padding bytes
    expect(RtpPacket.deSerialize).toBe(fastRtpPacketDeSerialize);
    const spy = jest.spyOn(RtpPacket, 'deSerialize');
    try {
      send(plain.payload, plain.header);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.results[0]!.value).toBe(received[0]);
    } finally {
      spy.mockRestore();
    }
    expect(received).toHaveLength(1);
    expect(received[0]!.header).toBeInstanceOf(RtpHeader);
    expect(received[0]!.header).toMatchObject({ ssrc: plain.header.ssrc, sequenceNumber: plain.header.sequenceNumber, timestamp: plain.header.timestamp, marker: plain.header.marker });
    expect(received[0]!.payload).toEqual(plain.payload);
  });
});
