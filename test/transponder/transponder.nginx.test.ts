/**
 * A Transponder fed by a scripted source (H.264 access units and Opus packets made by
 * the real ffmpeg, paced in real time) relaying to a real nginx-rtmp: the cases a
 * browser cannot easily produce — a publish without audio, a publish without video.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log';
import { NalType, nalType, splitAnnexB } from '../../src/media/h264';
import { Transponder, type TransponderSnapshot, type TransponderSource } from '../../src/transponder/transponder';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import { TypedEmitter } from '../../src/util/typed-emitter';
import type { AudioFrame, VideoFrame } from '../../src/media/frames';
import { decodeErrors, ffprobePackets, ffprobeStreams } from '../helpers/media-tools';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { waitFor } from '../helpers/wait-for';
import { decodeToPcm, oggOpusPackets, rms } from '../media/audio-analysis';
import { accessUnits } from '../helpers/h264-access-units';

jest.setTimeout(60_000);

type SourceEvents = { video: [VideoFrame]; audio: [AudioFrame]; close: [string] };

/** Plays H.264 access units (30 fps) and/or 20 ms Opus packets in real time, looping. */
class ScriptedSource extends TypedEmitter<SourceEvents> implements TransponderSource {
  closed = false;
  keyframeRequests = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(readonly streamName: string, private readonly video: VideoFrame[], private readonly opus: Buffer[]) {
    super();
  }

  hasAudio(): boolean {
    return this.opus.length > 0;
  }

  hasVideo(): boolean {
    return this.video.length > 0;
  }

  requestKeyframe(): void {
    this.keyframeRequests++;
  }

  play(): void {
    const t0 = performance.now();
    let v = 0;
    let a = 0;
    if (this.video.length) {
      this.timers.push(setInterval(() => {
        const f = this.video[v % this.video.length];
        this.emit('video', { ...f, pts: Math.round(t0 + v * (1000 / 30)) });
        v++;
      }, 1000 / 30));
    }
    if (this.opus.length) {
      this.timers.push(setInterval(() => {
        this.emit('audio', { pts: t0 + a * 20, opus: this.opus[a % this.opus.length] });
        a++;
      }, 20));
    }
  }

  stop(reason: string): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.closed = true;
    this.emit('close', reason);
  }
}


describe('Transponder → nginx-rtmp with a scripted source', () => {
  let nginx: NginxRtmp;
  let dir: string;
  let video: VideoFrame[];
  let opus: Buffer[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transponder-'));
    const h264 = path.join(dir, 'v.h264');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-t', '2', '-c:v', 'libx264', '-profile:v', 'baseline', '-g', '30', '-bf', '0', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', h264]);
    video = accessUnits(h264);
    const ogg = path.join(dir, 'a.ogg');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', '-ac', '2', '-c:a', 'libopus', '-frame_duration', '20', '-f', 'ogg', ogg]);
    opus = oggOpusPackets(fs.readFileSync(ogg)).packets;
    nginx = await NginxRtmp.start({ hooks: false });
  });

  afterAll(async () => {
    await nginx?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // What a test starts, ended after it whether it passed or not.
  const running: Array<{ t: Transponder; source: ScriptedSource }> = [];
  afterEach(async () => {
    for (const { t, source } of running.splice(0)) {
      if (!source.closed) source.stop('test over');
      await t.close('test over');
    }
  });

  /** Relays `source` until `enough(stats)` holds, ends the source, and returns the finished recording. */
  async function relay(name: string, source: ScriptedSource, enough: (s: TransponderSnapshot['stats']) => boolean): Promise<string> {
    const t = new Transponder({
      mediaSessionId: name,
      source,
      rtmpUrl: `${nginx.url()}/${name}`,
      naming: { fullUrl: true },
      sendMetadata: true,
      restore: new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }),
      outputBuffer: { enabled: false, startSizeMs: 300, initialSizeMs: 2000, pollingTimeMs: 50, maxBufferingsAllowed: -1 },
      log: silentLogger,
    });
    running.push({ t, source });
    t.start();
    source.play();
    await waitFor(() => t.state === 'PUBLISHING' && enough(t.snapshot().stats), {
      timeoutMs: 20_000, what: `${name} publishing enough media`, seen: () => `${t.state} ${JSON.stringify(t.snapshot().stats)}`,
    });
    source.stop('the test is over');
    await waitFor(() => t.state === 'TERMINATED', { timeoutMs: 10_000, what: `${name} TERMINATED`, seen: () => t.state });
    expect(t.snapshot().reason).toMatch(/the published stream ended: the test is over/);
    await waitFor(() => nginx.recordingsDone(name) === 1, { timeoutMs: 10_000, what: `nginx to close the recording of ${name}` });
    return nginx.recordings(name)[0];
  }

  it('a publish without audio still gets a continuous silent AAC track', async () => {
    // 2.5 s of video (and the audio the transponder makes for it)
    const file = await relay('noaudio', new ScriptedSource('noaudio', video, []), (s) => s.framesSent >= 75 + 117);
    const streams = await ffprobeStreams(file);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });
    const audio = (await ffprobePackets(file)).filter((p) => p.codec_type === 'audio').map((p) => Number(p.pts_time));
    const videoEnd = Math.max(...(await ffprobePackets(file)).filter((p) => p.codec_type === 'video').map((p) => Number(p.pts_time)));
    expect(audio[audio.length - 1]).toBeGreaterThan(videoEnd - 0.5); // audio runs as long as the video
    const gaps = audio.slice(1).map((t, i) => t - audio[i]);
    expect(Math.max(...gaps)).toBeLessThan(0.05); // no holes: one AAC frame every 21.3 ms
    const pcm = await decodeToPcm(file, 1, 48000);
    expect(rms(pcm)).toBe(0); // and it is silence
    expect(await decodeErrors(file)).toBe('');
  });

  it('a publish without video relays its audio at once, waiting for no keyframe', async () => {
    const source = new ScriptedSource('novideo', [], opus);
    const file = await relay('novideo', source, (s) => s.framesSent >= 100); // 2.1 s of AAC
    const streams = await ffprobeStreams(file);
    expect(streams.map((s) => s.codec_type)).toEqual(['audio']);
    const pcm = await decodeToPcm(file, 1, 48000);
    expect(pcm.length / 48000).toBeGreaterThan(1.5);
    expect(rms(pcm)).toBeGreaterThan(1000); // the 440 Hz tone
    expect(source.keyframeRequests).toBeLessThanOrEqual(1);
    expect(await decodeErrors(file)).toBe('');
  });
});
