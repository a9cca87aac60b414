/**
 * VP8 and VP9 frames made by the real ffmpeg (libvpx), read from IVF (no RTP: the
 * depacketizers have their own tests), fed as a publisher's 'vpxVideo' with Opus audio
 * to a Transponder, which transcodes them to H.264 (ffmpeg reading our IVF stream) and
 * relays to a real nginx-rtmp; the recording is decoded there.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log';
import { parseVp8FrameHeader, parseVp9FrameHeader, type AudioFrame, type VideoCodec, type VideoFrame, type VpxFrame } from '../../src/media';
import { Transponder, type TransponderSource } from '../../src/transponder/transponder';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import { transcodeForSource, type TranscodeParams } from '../../src/transponder/transcode-params';
import { TypedEmitter } from '../../src/util/typed-emitter';
import { decodeErrors, ffprobePackets, ffprobeStreams } from '../helpers/media-tools';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { readIvf } from '../helpers/ivf-reader';
import { waitFor } from '../helpers/wait-for';
import { oggOpusPackets } from '../media/audio-analysis';

jest.setTimeout(90_000);

type SourceEvents = { video: [VideoFrame]; vpxVideo: [VpxFrame]; audio: [AudioFrame]; close: [string] };

/** Plays VP8/VP9 frames (30 fps) and 20 ms Opus packets in real time on one clock, looping. */
class VpxSource extends TypedEmitter<SourceEvents> implements TransponderSource {
  closed = false;
  keyframeRequests = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    readonly streamName: string,
    private readonly codec: 'vp8' | 'vp9',
    private readonly frames: Array<Omit<VpxFrame, 'pts'>>,
    private readonly opus: Buffer[],
    /** the first frame played: not 0 to start on interframes */
    private readonly firstFrame = 0,
  ) {
    super();
  }

  hasAudio(): boolean { return true; }
  hasVideo(): boolean { return true; }
  videoCodec(): VideoCodec { return this.codec; }
  requestKeyframe(): void { this.keyframeRequests++; }

  play(): void {
    const t0 = performance.now();
    let v = 0;
    let a = 0;
    this.timers.push(setInterval(() => {
      const f = this.frames[(this.firstFrame + v) % this.frames.length]!;
      this.emit('vpxVideo', { ...f, pts: Math.round(t0 + v * (1000 / 30)) });
      v++;
    }, 1000 / 30));
    this.timers.push(setInterval(() => {
      this.emit('audio', { pts: t0 + a * 20, opus: this.opus[a % this.opus.length]! });
      a++;
    }, 20));
  }

  stop(reason: string): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.closed = true;
    this.emit('close', reason);
  }
}

describe('VP8/VP9 source → transcoder (IVF) → nginx-rtmp', () => {
  let nginx: NginxRtmp;
  let dir: string;
  let opus: Buffer[];
  const frames: Record<'vp8' | 'vp9', Array<Omit<VpxFrame, 'pts'>>> = { vp8: [], vp9: [] };

  function encode(codec: 'vp8' | 'vp9'): Array<Omit<VpxFrame, 'pts'>> {
    const file = path.join(dir, `v.${codec}.ivf`);
    execFileSync('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-t', '2',
      '-c:v', codec === 'vp8' ? 'libvpx' : 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0',
      '-auto-alt-ref', '0', '-g', '30', '-b:v', '500k', '-f', 'ivf', file,
    ]);
    return readIvf(fs.readFileSync(file)).frames.map(({ data }) => {
      const info = codec === 'vp8' ? parseVp8FrameHeader(data) : parseVp9FrameHeader(data);
      return { codec, data, keyframe: info.keyframe, width: info.width, height: info.height };
    });
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vpx-transcode-'));
    frames.vp8 = encode('vp8');
    frames.vp9 = encode('vp9');
    const ogg = path.join(dir, 'a.ogg');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', '-ac', '2', '-c:a', 'libopus', '-frame_duration', '20', '-f', 'ogg', ogg]);
    opus = oggOpusPackets(fs.readFileSync(ogg)).packets;
    nginx = await NginxRtmp.start({ hooks: false });
  });

  afterAll(async () => {
    await nginx?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const running: Array<{ t: Transponder; source: VpxSource }> = [];
  afterEach(async () => {
    for (const { t, source } of running.splice(0)) {
      if (!source.closed) source.stop('test over');
      await t.close('test over');
    }
  });

  async function relay(name: string, source: VpxSource, requested?: TranscodeParams): Promise<{ file: string; t: Transponder }> {
    const t = new Transponder({
      mediaSessionId: name,
      source,
      rtmpUrl: `${nginx.url()}/${name}`,
      naming: { fullUrl: true },
      sendMetadata: true,
      restore: new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }),
      outputBuffer: { enabled: false, startSizeMs: 300, initialSizeMs: 2000, pollingTimeMs: 50, maxBufferingsAllowed: -1 },
      // What the manager gives a VP8/VP9 source.
      transcode: transcodeForSource(requested, source.videoCodec()),
      log: silentLogger,
    });
    running.push({ t, source });
    t.start();
    source.play();
    await waitFor(() => t.state === 'PUBLISHING' && t.snapshot().stats.framesSent >= 60 + 100, {
      timeoutMs: 30_000, what: `${name} publishing 2 s of media`, seen: () => `${t.state} ${JSON.stringify(t.snapshot().stats)}`,
    });
    expect(t.snapshot().transcoding).toBe(true);
    source.stop('the test is over');
    await waitFor(() => t.state === 'TERMINATED', { timeoutMs: 10_000, what: `${name} TERMINATED`, seen: () => t.state });
    await waitFor(() => nginx.recordingsDone(name) === 1, { timeoutMs: 10_000, what: `nginx to close the recording of ${name}` });
    return { file: nginx.recordings(name)[0]!, t };
  }

  it('libvpx makes keyframes our frame header readers recognise, with their size', () => {
    for (const codec of ['vp8', 'vp9'] as const) {
      expect(frames[codec][0]).toMatchObject({ keyframe: true, width: 320, height: 240 });
      expect(frames[codec].filter((f) => f.keyframe).length).toBeGreaterThanOrEqual(2); // -g 30 over 2 s
      expect(frames[codec].filter((f) => !f.keyframe).length).toBeGreaterThan(30);
    }
  });

  it.each(['vp8', 'vp9'] as const)('%s is relayed as H.264 + AAC, in sync, decodable', async (codec) => {
    const { file } = await relay(`${codec}relay`, new VpxSource(`${codec}relay`, codec, frames[codec], opus));
    const streams = await ffprobeStreams(file);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac', channels: 2 });
    expect(await decodeErrors(file)).toBe('');
    const packets = await ffprobePackets(file);
    const first = (kind: string): number => Math.min(...packets.filter((p) => p.codec_type === kind).map((p) => Number(p.pts_time)));
    // Both tracks come from one clock (the source's): they start together, as they were made.
    expect(Math.abs(first('video') - first('audio'))).toBeLessThan(0.25);
    const keyframes = packets.filter((p) => p.codec_type === 'video' && p.flags.startsWith('K')).length;
    expect(keyframes).toBeGreaterThanOrEqual(1);
  });

  it('follows the parameters of the request (height → width from the aspect) and asks for a keyframe when starting on interframes', async () => {
    const source = new VpxSource('vp8scaled', 'vp8', frames.vp8, opus, 5);
    const { file } = await relay('vp8scaled', source, { height: 180, bitrateKbps: 300 });
    expect(source.keyframeRequests).toBeGreaterThan(0);
    const streams = await ffprobeStreams(file);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 240, height: 180 });
    expect(await decodeErrors(file)).toBe('');
  });
});
