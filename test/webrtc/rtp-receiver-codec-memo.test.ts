import { MediaStreamTrack, RTCRtpCodecParameters, RTCRtpReceiver, RtpHeader, RtpPacket } from 'werift';
import { weriftName, weriftNackEnabled, weriftTwccEnabled } from '../../src/webrtc/rtp-receiver-codec-memo';
import { seededRandom } from '../helpers/seeded-random';

interface ReceiverInternals {
  codecs: Record<number, RTCRtpCodecParameters>;
  readonly nackEnabled: unknown;
  readonly twccEnabled: unknown;
  prepareReceive(params: { codecs: RTCRtpCodecParameters[]; encodings: unknown[] }): void;
  resyncCodecs(params: { codecs: RTCRtpCodecParameters[]; encodings: unknown[] }, mediaSourceSsrc?: number): void;
  handleRTP(packet: RtpPacket, extensions: Record<string, unknown>, track?: MediaStreamTrack): void;
  stop(): void;
}

const FEEDBACK = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'transport-cc' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }];
const MIME = ['video/H264', 'video/VP8', 'video/rtx', 'video/red', 'audio/opus', 'audio/PCMU'];

function randomCodecs(rnd: () => number): RTCRtpCodecParameters[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const codecs: RTCRtpCodecParameters[] = [];
  const used = new Set<number>();
  for (let n = Math.floor(rnd() * 5); n >= 0; n--) {
    const payloadType = 96 + Math.floor(rnd() * 32);
    if (used.has(payloadType)) continue;
    used.add(payloadType);
    codecs.push(new RTCRtpCodecParameters({ mimeType: pick(MIME), clockRate: 90000, payloadType, rtcpFeedback: FEEDBACK.filter(() => rnd() < 0.5) }));
  }
  return codecs;
}

describe('receiver codec memo', () => {
  const receivers: ReceiverInternals[] = [];
  const newReceiver = (kind: 'audio' | 'video'): ReceiverInternals => {
    const r = new RTCRtpReceiver({} as never, kind, 1234) as unknown as ReceiverInternals;
    receivers.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of receivers.splice(0)) r.stop();
  });

  it('nackEnabled and twccEnabled equal werift\'s own through 500 seeded codec changes', () => {
    const seed = 0x5eed0208;
    const rnd = seededRandom(seed);
    const r = newReceiver('video');
    const same = (step: number): void => {
      expect({ seed, step, nack: r.nackEnabled, twcc: r.twccEnabled }).toEqual({ seed, step, nack: weriftNackEnabled.call(r), twcc: weriftTwccEnabled.call(r) });
      // the very objects werift's getters find, not copies
      expect(r.nackEnabled).toBe(weriftNackEnabled.call(r));
      expect(r.twccEnabled).toBe(weriftTwccEnabled.call(r));
    };
    same(-1);
    for (let step = 0; step < 500; step++) {
      const what = rnd();
      if (what < 0.4) r.prepareReceive({ codecs: randomCodecs(rnd), encodings: [] });
      else if (what < 0.7) r.resyncCodecs({ codecs: randomCodecs(rnd), encodings: [] });
      else if (what < 0.8) r.codecs = Object.fromEntries(randomCodecs(rnd).map((c) => [c.payloadType, c]));
      else {
        // a codec's feedback list changed in place: still seen
        const first = Object.values(r.codecs)[0];
        if (first) first.rtcpFeedback = FEEDBACK.filter(() => rnd() < 0.5);
      }
      same(step);
      same(step); // a second read comes from the memo
    }
  });

  it('codec name equals werift\'s split of the MIME type, odd ones included', () => {
    const odd = ['video/H264', 'audio/opus', 'VIDEO/rtx', 'noslash', 'a/b/c', '/x', 'x/', ''];
    for (const mimeType of [...odd, ...odd]) {
      const codec = new RTCRtpCodecParameters({ mimeType, clockRate: 90000, payloadType: 96 });
      expect({ mimeType, name: codec.name }).toEqual({ mimeType, name: weriftName.call(codec) });
    }
    const codec = new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 });
    expect(codec.name).toBe('VP8');
    codec.mimeType = 'video/H264';
    expect(codec.name).toBe('H264');
    codec.mimeType = undefined as unknown as string;
    expect(() => codec.name).toThrow(TypeError);
  });

  it('werift\'s handleRTP reads nackEnabled, twccEnabled and name through our getters (fails if it stops)', () => {
    const r = newReceiver('video');
    r.prepareReceive({ codecs: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, payloadType: 102, rtcpFeedback: [{ type: 'nack' }] })], encodings: [] });
    const track = new MediaStreamTrack({ kind: 'video' });
    const delivered: number[] = [];
    track.onReceiveRtp.subscribe((p: RtpPacket) => delivered.push(p.header.sequenceNumber));
    const proto = RTCRtpReceiver.prototype;
    const nack = jest.spyOn(proto as unknown as ReceiverInternals, 'nackEnabled', 'get');
    const twcc = jest.spyOn(proto as unknown as ReceiverInternals, 'twccEnabled', 'get');
    const name = jest.spyOn(RTCRtpCodecParameters.prototype, 'name', 'get');
    try {
      for (let seq = 1; seq <= 3; seq++) r.handleRTP(new RtpPacket(new RtpHeader({ payloadType: 102, ssrc: 5, sequenceNumber: seq }), Buffer.alloc(10)), {}, track);
      // per packet: twcc (no TWCC set up: the codec has no transport-cc), nack (a video track), name twice (is it rtx, is it red)
      expect(twcc).toHaveBeenCalledTimes(3);
      expect(nack).toHaveBeenCalledTimes(3);
      expect(name).toHaveBeenCalledTimes(6);
      expect(nack.mock.results.map((x) => x.value as unknown)).toEqual([0, 1, 2].map(() => weriftNackEnabled.call(r)));
      expect(weriftNackEnabled.call(r)).toEqual({ type: 'nack' });
    } finally {
      nack.mockRestore();
      twcc.mockRestore();
      name.mockRestore();
    }
    expect(delivered).toEqual([1, 2, 3]);
    // our getters are the ones installed (the spies wrapped them and are gone)
    expect(Object.getOwnPropertyDescriptor(proto, 'nackEnabled')!.get).not.toBe(weriftNackEnabled);
    expect(Object.getOwnPropertyDescriptor(proto, 'twccEnabled')!.get).not.toBe(weriftTwccEnabled);
    expect(Object.getOwnPropertyDescriptor(RTCRtpCodecParameters.prototype, 'name')!.get).not.toBe(weriftName);
  });
});
