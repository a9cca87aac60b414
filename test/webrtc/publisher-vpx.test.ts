import { RtpHeader, RtpPacket, type MediaStreamTrack, type RTCPeerConnection } from 'werift';
import { silentLogger } from '../../src/log';
import type { VideoFrame, VpxFrame } from '../../src/media/frames';
import { Publisher } from '../../src/webrtc/publisher';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { SdpError } from '../../src/webrtc/sdp-offer';
import { syntheticOffer } from './synthetic-offer';

/**
 * The Publisher's receive path for a VP8/VP9-only offer, fed with synthetic RTP through
 * werift's own track: depacketizing, keyframe gate after losses, keyframe requests.
 */
const FRAME_TICKS = 3000;
const options = {
  ...defaultPublisherOptions,
  ip: '127.0.0.1',
  ipLocal: '127.0.0.1',
  pliIntervalMs: 60_000,
  jitterBufferLatencyMs: (2 * FRAME_TICKS * 1000) / 90000,
};

/** The synthetic Chromium offer with its H.264 replaced by VP8 (PT 96) or VP9 (PT 98): no H.264 offered. */
function offer(codec: 'VP8' | 'VP9'): string {
  const pt = codec === 'VP8' ? 96 : 98;
  return syntheticOffer()
    .replace('m=video 9 UDP/TLS/RTP/SAVPF 102 106', `m=video 9 UDP/TLS/RTP/SAVPF ${pt}`)
    .replace(/a=rtpmap:102 H264[^\n]*\n|a=rtcp-fb:102 [^\n]*\n|a=fmtp:102 [^\n]*\n|a=fmtp:106 [^\n]*\n/g, '')
    .replace('a=rtpmap:106 H264/90000', `a=rtpmap:${pt} ${codec}/90000`)
    .replace(/a=rtcp-fb:106/g, `a=rtcp-fb:${pt}`);
}

/** VP8 640x480 keyframe head (RFC 6386 9.1) and an interframe. */
const VP8_KEY = Buffer.from([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0x11, 0x22]);
const VP8_INTER = Buffer.from([0x11, 0x02, 0x00, 0x33, 0x44]);
/** VP9 profile 0 640x480 keyframe (uncompressed header start) and an interframe. */
const VP9_KEY = Buffer.from([0x82, 0x49, 0x83, 0x42, 0x20, 0x27, 0xf0, 0x1d, 0xf0, 0x00]);
const VP9_INTER = Buffer.from([0x86, 0x00, 0x11]);

/** Numbers the packets of whole frames, each frame in two packets. */
class VpxRtpSource {
  private seq = 2000;
  private timestamp = 90000;
  constructor(private readonly codec: 'VP8' | 'VP9') {}

  keyframe(): RtpPacket[] {
    return this.frame(this.codec === 'VP8' ? VP8_KEY : VP9_KEY, true);
  }

  interframe(): RtpPacket[] {
    return this.frame(this.codec === 'VP8' ? VP8_INTER : VP9_INTER, false);
  }

  private frame(data: Buffer, key: boolean): RtpPacket[] {
    const half = Math.ceil(data.length / 2);
    const parts = [data.subarray(0, half), data.subarray(half)];
    const descriptors =
      this.codec === 'VP8'
        ? [Buffer.from([0x10]), Buffer.from([0x00])] // S=1 PID=0, then a continuation
        : [Buffer.from([key ? 0x08 : 0x48]), Buffer.from([key ? 0x04 : 0x44])]; // B, then E (P on interframes)
    const packets = parts.map((part, i) => new RtpPacket(
      new RtpHeader({ payloadType: this.codec === 'VP8' ? 96 : 98, ssrc: 2222, sequenceNumber: (this.seq + i) & 0xffff, timestamp: this.timestamp, marker: i === 1 }),
      Buffer.concat([descriptors[i]!, part]),
    ));
    this.seq += 2;
    this.timestamp += FRAME_TICKS;
    return packets;
  }
}

function videoTrack(p: Publisher): MediaStreamTrack {
  const pc = (p as unknown as { pc: RTCPeerConnection }).pc;
  const track = pc.getTransceivers().find((t) => t.kind === 'video')?.receiver.tracks[0];
  if (!track) throw new Error('werift made no video track from the offer');
  return track;
}

describe.each(['VP8', 'VP9'] as const)('a %s-only publisher', (codec) => {
  const open: Publisher[] = [];
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(performance, 'now').mockImplementation(() => now);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close('test over')));
    jest.restoreAllMocks();
  });

  async function publisher(): Promise<{ p: Publisher; frames: VpxFrame[]; h264: VideoFrame[]; send: (packets: RtpPacket[]) => void }> {
    const p = await Publisher.create({ streamName: 'vpx', offerSdp: offer(codec), options, log: silentLogger });
    open.push(p);
    const frames: VpxFrame[] = [];
    const h264: VideoFrame[] = [];
    p.on('vpxVideo', (f) => frames.push(f));
    p.on('video', (f) => h264.push(f));
    const track = videoTrack(p);
    const send = (packets: RtpPacket[]): void => {
      for (const rtp of packets) {
        now += 10;
        track.onReceiveRtp.execute(rtp);
      }
    };
    return { p, frames, h264, send };
  }

  const kinds = (frames: VpxFrame[]): string => frames.map((f) => (f.keyframe ? 'K' : 'P')).join('');

  it('negotiates it, and emits whole frames as vpxVideo (never as H.264) with the keyframe size', async () => {
    const { p, frames, h264, send } = await publisher();
    expect(p.videoCodec()).toBe(codec.toLowerCase());
    expect(p.answerSdp).toContain(`a=rtpmap:${codec === 'VP8' ? 96 : 98} ${codec}/90000`);
    const src = new VpxRtpSource(codec);
    send(src.keyframe());
    send(src.interframe());
    send(src.interframe());
    expect(kinds(frames)).toBe('KPP');
    expect(frames[0]).toMatchObject({ codec: codec.toLowerCase(), keyframe: true, width: 640, height: 480, data: codec === 'VP8' ? VP8_KEY : VP9_KEY });
    expect(frames[1]!.data).toEqual(codec === 'VP8' ? VP8_INTER : VP9_INTER);
    // one frame apart on the publisher clock (whole ms)
    expect(Math.abs(frames[1]!.pts - frames[0]!.pts - FRAME_TICKS / 90)).toBeLessThan(1);
    expect(h264).toHaveLength(0);
    expect(p.toJSON().video).toMatchObject({ codec: codec.toLowerCase(), payloadType: codec === 'VP8' ? 96 : 98, keyframes: 1, width: 640, height: 480 });
    expect(p.codecs.video).toBeUndefined(); // players are offered no video of it
  });

  it('sends nothing after a lost frame until the next keyframe, which it asks for at once', async () => {
    const { p, frames, send } = await publisher();
    const src = new VpxRtpSource(codec);
    send(src.keyframe());
    send(src.interframe());
    src.interframe(); // lost
    for (let i = 0; i < 4; i++) send(src.interframe());
    expect(kinds(frames)).toBe('KP');
    expect(p.toJSON().video?.keyframeRequests).toBeGreaterThanOrEqual(1);
    send(src.keyframe());
    send(src.interframe());
    expect(kinds(frames)).toBe('KPKP');
    expect(p.toJSON().video).toMatchObject({ unrecoveredLosses: 1, framesDroppedUntilKeyframe: 4 });
  });

  it('never sends a frame that lost its first packet', async () => {
    const { p, frames, send } = await publisher();
    const src = new VpxRtpSource(codec);
    send(src.keyframe());
    const broken = src.interframe();
    send([broken[1]!]); // the first packet is lost
    for (let i = 0; i < 4; i++) send(src.interframe());
    expect(kinds(frames)).toBe('K');
    expect(p.toJSON().video?.unrecoveredLosses).toBe(1);
  });

  it('is refused with the WCS info when transcoding is disabled', async () => {
    const refusal = await Publisher.create({ streamName: 'vpx', offerSdp: offer(codec), options: { ...options, transcodingDisabled: true }, log: silentLogger }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(SdpError);
    expect((refusal as SdpError).info).toBe('Transcoding required, but disabled');
  });
});
