/**
 * A mid-stream resolution change, as players behind a real nginx-rtmp see it: ffprobe
 * reads the live stream from nginx (`meta copy` and `meta on`), one player from before
 * the change through it, one joining after it. The change is signalled as ffmpeg and OBS
 * do (a new AVC sequence header); players must still see exactly one video and one audio
 * stream, with the new size, and no data stream.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../../src/log';
import { NalType, nalType, splitAnnexB } from '../../src/media/h264';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import { Transponder, type TransponderSource } from '../../src/transponder/transponder';
import { TypedEmitter } from '../../src/util/typed-emitter';
import type { AudioFrame, VideoFrame } from '../../src/media/frames';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { oggOpusPackets } from '../media/audio-analysis';
import { accessUnits } from '../helpers/h264-access-units';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(60_000);
const run = promisify(execFile);

type SourceEvents = { video: [VideoFrame]; audio: [AudioFrame]; close: [string] };

/** Plays 30 fps access units and 20 ms Opus packets in real time, looping, until stopped. */
class LoopingSource extends TypedEmitter<SourceEvents> implements TransponderSource {
  closed = false;
  private timers: NodeJS.Timeout[] = [];
  /** Video frames emitted so far (the clip of each size is 60 frames). */
  videoFrames = 0;

  constructor(readonly streamName: string, private readonly video: VideoFrame[], private readonly opus: Buffer[]) {
    super();
  }

  hasAudio(): boolean {
    return true;
  }

  hasVideo(): boolean {
    return true;
  }

  requestKeyframe(): void {}

  play(): void {
    const t0 = performance.now();
    let a = 0;
    this.timers.push(setInterval(() => {
      const v = this.videoFrames++;
      this.emit('video', { ...this.video[v % this.video.length], pts: Math.round(t0 + v * (1000 / 30)) });
    }, 1000 / 30));
    this.timers.push(setInterval(() => {
      this.emit('audio', { pts: t0 + a * 20, opus: this.opus[a % this.opus.length] });
      a++;
    }, 20));
  }

  stop(reason: string): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.closed) return;
    this.closed = true;
    this.emit('close', reason);
  }
}


interface PlayerView {
  streams: Array<{ codec_type: string; width?: number; height?: number }>;
  packets: Array<{ codec_type: string }>;
}

/** A player: ffprobe reading the live stream from nginx for `seconds`. */
async function play(url: string, seconds: number): Promise<PlayerView> {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-rw_timeout', '10000000', '-read_intervals', `%+${seconds}`,
    '-show_entries', 'stream=codec_type,width,height:packet=codec_type', '-of', 'json', url,
  ], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as PlayerView;
}

const types = (v: PlayerView): string[] => v.streams.map((s) => s.codec_type).sort();

describe.each(['copy', 'on'] as const)('a resolution change behind nginx-rtmp `meta %s`', (meta) => {
  let nginx: NginxRtmp | undefined;
  let dir: string;
  let source: LoopingSource | undefined;
  let transponder: Transponder | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resolution-change-'));
    nginx = await NginxRtmp.start({ hooks: false, meta });
  });

  afterEach(async () => {
    source?.stop('the test is over');
    await transponder?.close('the test is over');
    source = undefined;
    transponder = undefined;
  });

  afterAll(async () => {
    await nginx?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function clip(name: string, size: string): VideoFrame[] {
    const file = path.join(dir, `${name}.h264`);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-t', '2', '-c:v', 'libx264',
      '-profile:v', 'baseline', '-g', '30', '-bf', '0', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', file]);
    return accessUnits(file);
  }

  it('players see one video and one audio stream, never a data stream, before and after the change', async () => {
    const ogg = path.join(dir, 'a.ogg');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', '-ac', '2',
      '-c:a', 'libopus', '-frame_duration', '20', '-f', 'ogg', ogg]);
    // 2 s at 320x240, then 2 s at 640x360 (a new SPS on its first keyframe), looping.
    const video = [...clip('small', '320x240'), ...clip('big', '640x360')];
    const name = `res${meta}`;
    source = new LoopingSource(name, video, oggOpusPackets(fs.readFileSync(ogg)).packets);
    transponder = new Transponder({
      mediaSessionId: name,
      source,
      rtmpUrl: `${nginx!.url()}/${name}`,
      naming: { fullUrl: true },
      sendMetadata: true,
      restore: new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }),
      outputBuffer: { enabled: false, startSizeMs: 300, initialSizeMs: 2000, pollingTimeMs: 50, maxBufferingsAllowed: -1 },
      log: silentLogger,
    });
    transponder.start();
    source.play();
    await waitFor(() => transponder!.state === 'PUBLISHING', { timeoutMs: 10_000, what: 'PUBLISHING', seen: () => transponder!.state });
    // One player joins before the change (at frame 60) and reads through it; one joins after
    // it, while the big clip plays (frames 60-119 of each loop).
    const before = play(`${nginx!.url()}/${name}`, 4);
    await waitFor(() => source!.videoFrames >= 65, { timeoutMs: 15_000, what: 'the source to pass the size change', seen: () => `${source!.videoFrames} frames` });
    const after = play(`${nginx!.url()}/${name}`, 2);
    const views = [await before, await after];
    // The player that joined after the change decodes the new size from the sequence header.
    expect(views[1].streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 640, height: 360 });
    for (const view of views) {
      expect(types(view)).toEqual(['audio', 'video']);
      expect(view.packets.filter((p) => p.codec_type !== 'audio' && p.codec_type !== 'video')).toEqual([]);
      expect(view.packets.filter((p) => p.codec_type === 'video').length).toBeGreaterThan(20);
      expect(view.packets.filter((p) => p.codec_type === 'audio').length).toBeGreaterThan(40);
    }
  });
});
