import type { MediaStreamTrack, RTCPeerConnection, RtpPacket } from 'werift';
import { silentLogger } from '../../src/log';
import type { VideoFrame } from '../../src/media/frames';
import { Publisher } from '../../src/webrtc/publisher';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { syntheticOffer } from './synthetic-offer';
import { FRAME_TICKS, H264RtpSource, IDR_SLICE, P_SLICE } from './synthetic-h264-rtp';

/**
 * The Publisher's receive path fed with synthetic RTP through werift's own track (as
 * werift's receiver feeds it once SRTP is up): jitter buffer, access units, keyframe gate.
 */
const options = {
  ...defaultPublisherOptions,
  ip: '127.0.0.1',
  ipLocal: '127.0.0.1',
  // long enough that only an urgent request can go out twice in one test
  pliIntervalMs: 60_000,
  // 2 frames at 30 fps: the jitter buffer gives up on a gap two frames later
  jitterBufferLatencyMs: (2 * FRAME_TICKS * 1000) / 90000,
};

/** The remote video track werift made from the offer (the Publisher reads RTP from it). */
function videoTrack(p: Publisher): MediaStreamTrack {
  const pc = (p as unknown as { pc: RTCPeerConnection }).pc;
  const transceiver = pc.getTransceivers().find((t) => t.kind === 'video');
  const track = transceiver?.receiver.tracks[0];
  if (!track) throw new Error('werift made no video track from the offer');
  return track;
}

describe('Publisher after video packets NACK could not recover', () => {
  const open: Publisher[] = [];
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    // keyframe requests are throttled on performance.now(): the test moves it by hand
    jest.spyOn(performance, 'now').mockImplementation(() => now);
  });
  afterEach(async () => {
    // Each close returns the peer connection's release: wait for it, so nothing outlives the test.
    await Promise.all(open.splice(0).map((p) => p.close('test over')));
    jest.restoreAllMocks();
  });

  async function publisher(): Promise<{ p: Publisher; frames: VideoFrame[]; send: (packets: RtpPacket[]) => void }> {
    const p = await Publisher.create({ streamName: 'lossy', offerSdp: syntheticOffer(), options, log: silentLogger });
    open.push(p);
    const frames: VideoFrame[] = [];
    p.on('video', (f) => frames.push(f));
    const track = videoTrack(p);
    const send = (packets: RtpPacket[]): void => {
      for (const rtp of packets) {
        now += 10;
        track.onReceiveRtp.execute(rtp);
      }
    };
    return { p, frames, send };
  }

  const kinds = (frames: VideoFrame[]): string => frames.map((f) => (f.keyframe ? 'K' : 'P')).join('');

  it('sends no frame after a lost one until the next keyframe, and counts the dropped ones', async () => {
    const { p, frames, send } = await publisher();
    const src = new H264RtpSource();
    send(src.keyframe());
    send(src.pFrame());
    src.pFrame(); // lost: the whole frame
    for (let i = 0; i < 4; i++) send(src.pFrame());
    expect(kinds(frames)).toBe('KP');
    send(src.keyframe());
    send(src.pFrame());
    send(src.pFrame());
    expect(kinds(frames)).toBe('KPKPP');
    expect(frames[2]!.nalUnits[frames[2]!.nalUnits.length - 1]).toEqual(IDR_SLICE);
    expect(p.toJSON().video).toMatchObject({ unrecoveredLosses: 1, framesDroppedUntilKeyframe: 4 });
  });

  it('never sends a frame that lost a fragment, nor what follows it', async () => {
    const { p, frames, send } = await publisher();
    const src = new H264RtpSource();
    send(src.keyframe());
    const broken = src.keyframe();
    send([broken[0]!, broken[1]!, broken[3]!]); // the middle FU-A fragment is lost
    for (let i = 0; i < 4; i++) send(src.pFrame());
    expect(kinds(frames)).toBe('K');
    expect(p.toJSON().video?.framesDroppedUntilKeyframe).toBeGreaterThanOrEqual(2);
    expect(p.toJSON().video?.unrecoveredLosses).toBe(1);
  });

  it('asks for a keyframe at once on a loss, however recent the last routine request', async () => {
    const { p, send } = await publisher();
    const src = new H264RtpSource();
    send(src.keyframe());
    p.requestKeyframe(); // a routine request: the next one would wait rtcp_pli_request_interval (60 s)
    expect(p.toJSON().video?.keyframeRequests).toBe(1);
    now += 1000;
    send(src.pFrame());
    src.pFrame(); // lost
    for (let i = 0; i < 6; i++) send(src.pFrame());
    // one urgent request for the loss; the frames dropped after it ask at the routine pace
    expect(p.toJSON().video?.keyframeRequests).toBe(2);
    // This browser negotiated nack pli: both went out as PLI, none as FIR (the metrics' pli/fir counters).
    expect(p.toJSON().video).toMatchObject({ plisSent: 2, firsSent: 0 });
  });

  it('a keyframe right after lost packets is sent when it carries its parameter sets', async () => {
    const { frames, send } = await publisher();
    const src = new H264RtpSource();
    send(src.keyframe());
    send(src.pFrame());
    src.pFrame(); // lost
    send(src.keyframe());
    for (let i = 0; i < 3; i++) send(src.pFrame());
    expect(kinds(frames)).toBe('KPKPPP');
  });

  it('padding packets between frames are not losses', async () => {
    const { p, frames, send } = await publisher();
    const src = new H264RtpSource();
    send(src.keyframe());
    send([src.padding(), src.padding()]);
    for (let i = 0; i < 4; i++) send(src.pFrame());
    expect(kinds(frames)).toBe('KPPPP');
    expect(p.toJSON().video).toMatchObject({ unrecoveredLosses: 0, framesDroppedUntilKeyframe: 0, paddingPackets: 2 });
    expect(frames[1]!.nalUnits).toEqual([P_SLICE]);
  });
});
