/**
 * The load generator publishes to our service as the WebSDK does, and what the service
 * receives is real media: PUBLISHING, frames that ffmpeg decodes, keyframes, Opus.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSettings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import type { AudioFrame, VideoFrame } from '../../src/media/frames';
import type { PublisherHandle as Publisher } from '../../src/webrtc/publisher-host';
import { accessUnits } from '../../tools/load-publisher/access-units';
import { OggError, oggOpusPackets, oggPackets } from '../../tools/load-publisher/ogg-packets';
import { loopbackOnlySdp } from '../../tools/load-publisher/load-stream';
import { LoadPublisher } from '../../tools/load-publisher';
import { runCli, type CliRun } from '../helpers/run-cli';
import { seededBytes, seededRandom, withSeed } from '../helpers/seeded-random';
import { waitFor } from '../helpers/wait-for';
import { oggOpusFile } from '../webrtc/ogg-opus-writer';

jest.setTimeout(90_000);

const FFMPEG = '/usr/bin/ffmpeg';

function annexB(frames: VideoFrame[]): Buffer {
  const start = Buffer.from([0, 0, 0, 1]);
  return Buffer.concat(frames.flatMap((f) => f.nalUnits.flatMap((n) => [start, n])));
}

/** Frames ffmpeg decodes from a file, the size it saw, and what it complained about. */
function decode(file: string): { frames: number; size?: string; stderr: string; status: number | null } {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-v', 'error', '-i', file, '-f', 'framemd5', '-'], { encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.split('\n');
  const size = lines.find((l) => l.startsWith('#dimensions'))?.split(':')[1]?.trim();
  return { frames: lines.filter((l) => l && !l.startsWith('#')).length, size, stderr: r.stderr, status: r.status };
}

describe('load publisher pieces', () => {
  it('reads Ogg Opus packets across pages and skips OpusHead/OpusTags', () => {
    const opus = [Buffer.from([0xfc, 1, 2, 3]), Buffer.alloc(600, 7), Buffer.from([0xfc, 9])];
    const file = oggOpusFile(opus);
    expect(oggOpusPackets(file)).toEqual(opus);
    // The 600-byte packet spans lacing values 255, 255, 90: one packet, not three.
    expect(oggPackets(file).map((p) => p.length)).toEqual([19, expect.any(Number), 4, 600, 2]);
  });

  it('refuses garbage and cut files with an OggError, never a crash', () => {
    const file = oggOpusFile([Buffer.alloc(300, 1)]);
    expect(() => oggPackets(Buffer.from('not an ogg file at all, just some text'))).toThrow(OggError);
    expect(() => oggPackets(file.subarray(0, file.length - 10))).toThrow(OggError);
    expect(() => oggOpusPackets(oggPackets(file)[1]!)).toThrow(OggError);
    const seed = 0x0995;
    const rnd = seededRandom(seed);
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.concat([Buffer.from('OggS'), seededBytes(rnd, 40 + i)]);
      withSeed(seed, () => {
        try { oggPackets(junk); } catch (e) { expect(e).toBeInstanceOf(OggError); }
      }, i);
    }
  });

  it('splits an Annex B stream into access units at the delimiters', () => {
    const sc = [0, 0, 0, 1];
    const stream = Buffer.from([
      ...sc, 0x09, 0x10, ...sc, 0x67, 1, 2, ...sc, 0x68, 3, ...sc, 0x65, 4, 5,
      ...sc, 0x09, 0x30, ...sc, 0x41, 6,
      ...sc, 0x09, 0x30, ...sc, 0x06, 7, ...sc, 0x41, 8,
    ]);
    const units = accessUnits(stream);
    expect(units.map((u) => u.nalUnits.map((n) => n[0]))).toEqual([[0x67, 0x68, 0x65], [0x41], [0x06, 0x41]]);
    expect(units.map((u) => u.keyframe)).toEqual([true, false, false]);
  });

  it('keeps only loopback host candidates in the offer', () => {
    const sdp = ['v=0', 'a=candidate:1 1 udp 2130706431 10.0.0.5 5000 typ host', 'a=candidate:2 1 udp 2130706431 127.0.0.1 5001 typ host', 'a=end-of-candidates', ''].join('\r\n');
    expect(loopbackOnlySdp(sdp)).toBe(['v=0', 'a=candidate:2 1 udp 2130706431 127.0.0.1 5001 typ host', 'a=end-of-candidates', ''].join('\r\n'));
  });
});

describe('load publisher against the service', () => {
  let service: TransponderService;
  let wsUrl: string;
  let generator: LoadPublisher | undefined;
  let cli: CliRun | undefined;
  let dir: string;
  /** Removes what a test listens to on the service's registry (the service listens too). */
  const listeners: Array<() => void> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'load-publisher-'));
    service = new TransponderService({
      ...defaultSettings(),
      wsPort: 0,
      httpPort: 0,
      bindAddress: '127.0.0.1',
      ip: '127.0.0.1',
      ipLocal: '127.0.0.1',
    }, silentLogger);
    const addresses = await service.start();
    wsUrl = `ws://127.0.0.1:${addresses.ws}`;
  });

  afterEach(async () => {
    for (const remove of listeners.splice(0)) remove();
    generator?.close('test over');
    generator = undefined;
    await cli?.end();
    cli = undefined;
  });

  afterAll(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two generated streams reach PUBLISHING and the publishers emit frames that decode, keyframes included', async () => {
    const video = new Map<string, VideoFrame[]>();
    const audio = new Map<string, AudioFrame[]>();
    const onPublish = (p: Publisher): void => {
      const v: VideoFrame[] = [];
      const a: AudioFrame[] = [];
      video.set(p.streamName, v);
      audio.set(p.streamName, a);
      p.on('video', (f) => v.push(f));
      p.on('audio', (f) => a.push(f));
    };
    service.registry.on('publish', onPublish);
    listeners.push(() => service.registry.off('publish', onPublish));
    generator = new LoadPublisher({ url: wsUrl, streams: 2, namePrefix: 'gen-' });
    await generator.start();
    expect(generator.streams.map((s) => s.state)).toEqual(['publishing', 'publishing']);
    expect(service.registry.list().map((p) => p.streamName).sort()).toEqual(['gen-1', 'gen-2']);
    // ~3 s at 30 fps, GOP 2 s: a second keyframe, and 2.5 s of audio
    const enough = (name: string): boolean => {
      const v = video.get(name) ?? [];
      return v.length > 75 && v.filter((f) => f.keyframe).length >= 2 && (audio.get(name)?.length ?? 0) > 125;
    };
    await waitFor(() => enough('gen-1') && enough('gen-2'), {
      timeoutMs: 30_000, what: '75 video frames, 2 keyframes and 125 audio frames on each stream',
      seen: () => ['gen-1', 'gen-2'].map((n) => `${n}: ${video.get(n)?.length ?? 0} video, ${audio.get(n)?.length ?? 0} audio`).join('; '),
    });

    for (const name of ['gen-1', 'gen-2']) {
      const frames = video.get(name)!;
      const stats = service.registry.get(name)!.toJSON();
      // The first frame is the first keyframe.
      expect(frames[0]!.keyframe).toBe(true);
      expect(stats.video).toMatchObject({ width: 1280, height: 720, lost: 0 });

      const h264 = join(dir, `${name}.h264`);
      writeFileSync(h264, annexB(frames));
      const v = decode(h264);
      expect(v).toMatchObject({ stderr: '', status: 0, frames: frames.length, size: '1280x720' });
      const ogg = join(dir, `${name}.opus`);
      writeFileSync(ogg, oggOpusFile(audio.get(name)!.map((f) => f.opus)));
      const a = decode(ogg);
      expect(a).toMatchObject({ stderr: '', status: 0 });
      expect(a.frames).toBeGreaterThan(125);
      console.log(`${name}: ${frames.length} video frames (${frames.filter((f) => f.keyframe).length} keyframes, ${stats.video?.bitrateKbps} kbit/s), ${audio.get(name)!.length} audio frames; ffmpeg decoded ${v.frames} / ${a.frames}`);
    }

    const unpublished = new Promise<void>((resolve) => {
      let left = 2;
      const onUnpublish = (): void => { if (--left === 0) resolve(); };
      service.registry.on('unpublish', onUnpublish);
      listeners.push(() => service.registry.off('unpublish', onUnpublish));
    });
    generator.close('test over');
    await unpublished;
    expect(service.registry.list()).toEqual([]);
  });

  it('the CLI publishes for --duration and reports what it sent', async () => {
    cli = runCli('tools/load-publisher.ts', ['--url', wsUrl, '--streams', '1', '--duration', '2', '--prefix', 'cli-', '--quiet']);
    expect(await cli.exited).toBe(0);
    const result = JSON.parse(cli.output().trim().split('\n').pop()!) as { ok: boolean; publishing: number; totals: { videoFrames: number } };
    expect(result.ok).toBe(true);
    expect(result.totals.videoFrames).toBeGreaterThan(45);
  });

  it('the CLI says what is wrong with its arguments (exit 2) and when the server is away (exit 1)', async () => {
    cli = runCli('tools/load-publisher.ts', ['--streams', '2']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/--url ws:\/\/HOST:PORT is required/);
    cli = runCli('tools/load-publisher.ts', ['--url', 'ws://127.0.0.1:1', '--streams', '1', '--duration', '1', '--quiet']);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/ECONNREFUSED/);
  });
});
