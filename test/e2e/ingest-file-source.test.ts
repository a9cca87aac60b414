/**
 * Known content end to end: Chromium's fake camera and microphone play files made by
 * ffmpeg (testsrc2 640x480 as y4m, a 1 kHz tone as WAV), the official WebSDK publishes
 * them, and what the Publisher emits decodes to 640x480 H.264 and to Opus audio whose
 * energy sits at 1 kHz. Runs in its own network namespace like the other e2e tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { silentLogger } from '../../src/log';
import { SignalingServer } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import type { AudioFrame, VideoFrame } from '../../src/media/frames';
import type { PublisherHandle as Publisher } from '../../src/webrtc/publisher-host';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { ChromiumBrowser, describeWithChromium, PageServer, waitForStatus } from '../helpers/chromium';
import { waitFor } from '../helpers/wait-for';
import { oggOpusFile } from '../webrtc/ogg-opus-writer';

jest.setTimeout(90_000);

const FFMPEG = '/usr/bin/ffmpeg';
const RATE = 48000;

function ffmpeg(args: string[]): { stdout: Buffer; stderr: string; status: number | null } {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-v', 'error', '-y', ...args], { timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
}

/** Power of one frequency in a block of samples (Goertzel), normalised by the block length. */
function goertzel(samples: Float64Array, hz: number): number {
  const k = (2 * Math.cos((2 * Math.PI * hz) / RATE));
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / (samples.length * samples.length);
}

describeWithChromium('known content from files through the WebSDK into the Publisher', () => {
  let dir: string;
  let registry: StreamRegistry;
  let server: SignalingServer;
  let pages: PageServer;
  let browser: ChromiumBrowser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ingest-file-'));
    const y4m = join(dir, 'testsrc2-640x480.y4m');
    const wav = join(dir, 'tone-1khz.wav');
    expect(ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-t', '5', '-pix_fmt', 'yuv420p', y4m]).status).toBe(0);
    expect(ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=1000:sample_rate=${RATE}`, '-t', '5', '-ac', '1', '-c:a', 'pcm_s16le', wav]).status).toBe(0);
    registry = new StreamRegistry(silentLogger);
    server = new SignalingServer({
      port: 0, host: '127.0.0.1', maxMessageBytes: 65536, maxStreamsPerSession: 4, maxStreamsTotal: 16,
      keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 15000,
      webrtc: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1', minBitrateKbps: 1000, maxBitrateKbps: 2000 },
    }, registry, silentLogger);
    await server.listen();
    pages = new PageServer();
    await pages.start();
    browser = new ChromiumBrowser();
    await browser.launch({ videoFile: y4m, audioFile: wav });
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.stop();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let page: Page | undefined;
  afterEach(async () => {
    await page?.close();
    page = undefined;
  });

  it('the frames decode to 640x480 H.264 and the Opus audio is a 1 kHz tone', async () => {
    const video: VideoFrame[] = [];
    const audio: AudioFrame[] = [];
    const published = new Promise<Publisher>((resolve) => registry.once('publish', (p) => {
      p.on('video', (f) => video.push(f));
      p.on('audio', (f) => audio.push(f));
      resolve(p);
    }));
    page = await browser.newPage(`${pages.url}/?server=ws://127.0.0.1:${server.ports.ws}&name=file1&width=640&height=480&autostart=1`);
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'])).status).toBe('PUBLISHING');
    const publisher = await published;
    // 60 video frames, and 3.2 s of audio (20 ms packets): the analysis below reads seconds 1 to 3
    await waitFor(() => video.length > 60 && audio.length >= 160, { timeoutMs: 30_000, what: '60 video frames and 160 audio packets', seen: () => `${video.length} video, ${audio.length} audio` });
    const stats = publisher.toJSON();
    await page.close();

    // Video: the SPS says 640x480, and ffmpeg decodes every access unit at that size.
    expect(stats.video).toMatchObject({ width: 640, height: 480 });
    expect(video[0]!.keyframe).toBe(true);
    const h264 = join(dir, 'file1.h264');
    const start = Buffer.from([0, 0, 0, 1]);
    writeFileSync(h264, Buffer.concat(video.flatMap((f) => f.nalUnits.flatMap((n) => [start, n]))));
    const v = ffmpeg(['-i', h264, '-f', 'framemd5', '-']);
    const lines = v.stdout.toString().split('\n');
    expect(v.stderr).toBe('');
    expect(lines.find((l) => l.startsWith('#dimensions'))).toMatch(/640x480/);
    expect(lines.filter((l) => l && !l.startsWith('#')).length).toBe(video.length);
    expect(video.length).toBeGreaterThan(60);

    // Audio: decode the Opus packets to 48 kHz mono PCM; skip the first second (the
    // encoder and Chromium's audio processing settle), then measure.
    const ogg = join(dir, 'file1.opus');
    writeFileSync(ogg, oggOpusFile(audio.map((f) => f.opus)));
    const a = ffmpeg(['-i', ogg, '-f', 's16le', '-ac', '1', '-ar', String(RATE), '-']);
    expect(a.status).toBe(0);
    expect(a.stderr).toBe('');
    const pcm = a.stdout;
    const all = new Float64Array(pcm.length / 2);
    for (let i = 0; i < all.length; i++) all[i] = pcm.readInt16LE(i * 2) / 32768;
    const samples = all.subarray(RATE, RATE * 3);
    expect(samples.length).toBe(2 * RATE);
    const rms = Math.sqrt(samples.reduce((n, x) => n + x * x, 0) / samples.length);
    const tone = goertzel(samples, 1000);
    const others = [250, 500, 750, 1250, 1500, 2000, 3000].map((hz) => goertzel(samples, hz));
    let crossings = 0;
    for (let i = 1; i < samples.length; i++) if ((samples[i - 1]! < 0) !== (samples[i]! < 0)) crossings++;
    const zeroCrossingHz = crossings / 2 / (samples.length / RATE);
    console.log(`file source: ${video.length} frames ${stats.video?.width}x${stats.video?.height}; audio ${audio.length} packets, rms ${rms.toFixed(3)}, 1 kHz power ${tone.toExponential(2)} vs max other ${Math.max(...others).toExponential(2)}, zero crossings ${zeroCrossingHz.toFixed(0)} Hz`);
    // Chromium's audio processing (AGC, noise suppression) lowers the level (~0.013 measured
    // for ffmpeg's 0.088 rms sine); what matters is that the energy is at 1 kHz.
    expect(rms).toBeGreaterThan(0.003);
    for (const o of others) expect(tone).toBeGreaterThan(o * 100);
    expect(zeroCrossingHz).toBeGreaterThan(950);
    expect(zeroCrossingHz).toBeLessThan(1050);
  });
});
