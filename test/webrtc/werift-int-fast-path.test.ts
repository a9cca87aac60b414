import { createRequire } from 'node:module';
import * as werift from 'werift';
import { MediaStreamTrack, RTCRtpCodecParameters, RTCRtpReceiver, RtpHeader, RtpPacket } from 'werift';
import { fastInt, weriftInt } from '../../src/webrtc/werift-int-fast-path';
import { seededRandom } from '../helpers/seeded-random';

describe('werift int fast path', () => {
  it('equals werift\'s Number.parseInt(n, 10) on 20000 seeded numbers of every magnitude and sign', () => {
    const seed = 0x5eed0308;
    const rnd = seededRandom(seed);
    const differing: Array<{ i: number; n: number; ours: number; theirs: number }> = [];
    let nearBounds = 0;
    for (let i = 0; i < 20000; i++) {
      // 10^-12 .. 10^24, either sign, so both sides of the 1e-6 and 1e21 bounds are drawn
      const n = (rnd() < 0.5 ? -1 : 1) * rnd() * 10 ** Math.floor(rnd() * 37 - 12);
      const ours = fastInt(n);
      const theirs = weriftInt(n);
      if (!Object.is(ours, theirs)) differing.push({ i, n, ours, theirs });
      if (Math.abs(n) < 1e-6 || Math.abs(n) >= 1e21) nearBounds++;
    }
    expect({ seed, differing }).toEqual({ seed, differing: [] });
    expect(nearBounds).toBeGreaterThan(1000);
  });

  it('equals werift\'s on the edges and on what is not a plain number', () => {
    const edges: unknown[] = [0, -0, 1e-6, -1e-6, 9.99e-7, -9.99e-7, 1e-7, 1e21, -1e21, 9.999999999999999e20, -9.999999999999999e20, 2 ** 53 + 2, 0.5, -0.5, 1.9999999, -1.9999999,
      NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, '42', ' 7.9px', '', 'x', undefined, null, 12n];
    for (const n of edges) {
      const expected = weriftInt(n);
      expect(Object.is(fastInt(n), expected)).toBe(true);
    }
  });

  it('is the int werift\'s statistics call for every RTP packet (fails if werift stops calling it)', () => {
    const numberModule = createRequire(require.resolve('werift'))('../../common/src/number.js') as { int: (n: unknown) => number };
    expect(numberModule.int).toBe(fastInt);
    expect((werift as unknown as { int: unknown }).int).toBe(fastInt);
    const receiver = new RTCRtpReceiver({} as never, 'audio', 1234) as unknown as {
      prepareReceive(p: object): void;
      handleRTP(packet: RtpPacket, extensions: object, track: MediaStreamTrack): void;
      stop(): void;
    };
    const spy = jest.spyOn(numberModule, 'int');
    try {
      receiver.prepareReceive({ codecs: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 })], encodings: [] });
      const track = new MediaStreamTrack({ kind: 'audio' });
      for (let seq = 1; seq <= 3; seq++) receiver.handleRTP(new RtpPacket(new RtpHeader({ payloadType: 111, ssrc: 9, sequenceNumber: seq, timestamp: seq * 960 }), Buffer.alloc(20)), {}, track);
      // StreamStatistics.add: the arrival time in clock units of each packet in order
      expect(spy).toHaveBeenCalledTimes(3);
      expect(spy.mock.results.every((r) => Number.isInteger(r.value))).toBe(true);
    } finally {
      spy.mockRestore();
      receiver.stop();
    }
  });
});
