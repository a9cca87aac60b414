/**
 * The relay benchmark: what a transponder adds between the browser and the RTMP server.
 *
 *   npx tsx bench/relay.ts [--quick] [--ffmpeg-aac | --aac-encoder ffmpeg|vo-aacenc]   prints a markdown section
 *   (--ffmpeg-aac: aac_encoder_host=false, an ffmpeg child per stream; --aac-encoder: the host's encoder)
 *
 * Chromium publishes 720p30 (y4m over its fake camera, WAV over its fake microphone)
 * with the official WebSDK; transponders relay to a real nginx-rtmp on loopback.
 *
 *  1. Startup: POST /rest-api/push/startup → the first video frame arriving whole at an
 *     RTMP player that was already waiting on rtmp_<name> at nginx (bench/lib/rtmp-player).
 *  2. Added latency, from a frame's arrival (video: the access unit its last RTP packet
 *     completes; audio: the last Opus packet an AAC frame needs) to its FLV tag handed to
 *     the RTMP socket, through the LatencyProbe seam (bench/lib/latency-recorder). The
 *     service runs in-process for 1–3 so the probe can see inside it.
 *  3. A/V offset at nginx with a flash-and-beep source (bench/lib/av-sync), and the same
 *     measured on the Publisher's own frames, to tell Chromium's offset from ours.
 *  4. CPU and RSS per transponder, passthrough and transcoding: the service as a child
 *     process (src/main.ts), sampled with its ffmpeg children.
 *
 * Started on the host, the script re-runs itself in a private network namespace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Settings } from '../src/config';
import { AAC_ENCODER_NAMES, type AacEncoderName } from '../src/config/settings-schema';
import { silentLogger } from '../src/log';
import { OpusPcmDecoder } from '../src/media/opus-decoder';
import { TransponderService } from '../src/server';
import type { AudioFrame, VideoFrame } from '../src/media/frames';
import { ChromiumBrowser, chromiumAvailable, waitForStatus } from '../test/helpers/chromium';
import { NginxRtmp } from '../test/helpers/nginx-rtmp';
import { avEvents, beepOnsets, decodeAudio, ensureFlashBeepSource, flashOnsets, frameLuma, pairEvents, type AvEvent, type FlashBeepSource } from './lib/av-sync';
import { LatencyRecorder, percentile, type AudioTimeline, type VideoTimeline } from './lib/latency-recorder';
import { networkIsolated, reexecIsolatedOrContinue } from './lib/netns';
import { ProcessSampler } from './lib/proc-sampler';
import { renderSection, round, type BenchSection } from './lib/report';
import { RtmpPlayer } from './lib/rtmp-player';
import { ServiceProcess } from './lib/service-process';
import { loopbackSettings } from '../test/helpers/loopback-settings';
import { setTimeout as sleep } from 'node:timers/promises';

export type { BenchSection } from './lib/report';

/** The service's AAC settings under measurement (each absent: the setting's default). */
interface AacChoice {
  aacEncoderHost?: boolean;
  aacEncoder?: AacEncoderName;
}

export interface RelayBenchOptions extends AacChoice {
  quick?: boolean;
  /** progress lines (default: stderr) */
  log?: (line: string) => void;
}

type Row = Record<string, string | number>;

const BROWSER_BITRATE = { min: 1_000_000, max: 2_500_000 };
const TRANSCODE = { height: 360, bitrate: 800 };
const STREAM = 'relaybench';

interface Timing {
  startups: number;
  latencyMs: number;
  cpuBaselineMs: number;
  cpuWarmupMs: number;
  cpuMeasureMs: number;
}

function timing(quick: boolean): Timing {
  return quick
    ? { startups: 3, latencyMs: 8000, cpuBaselineMs: 4000, cpuWarmupMs: 2000, cpuMeasureMs: 5000 }
    : { startups: 5, latencyMs: 20_000, cpuBaselineMs: 6000, cpuWarmupMs: 3000, cpuMeasureMs: 12_000 };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

interface RestAnswer {
  status: number;
  body: Record<string, unknown> & { mediaSessionId?: string };
}

async function rest(httpPort: number, method: string, body: unknown): Promise<RestAnswer> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/rest-api/push/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

async function startup(httpPort: number, body: Record<string, unknown>): Promise<string> {
  const r = await rest(httpPort, 'startup', body);
  if (r.status !== 200 || !r.body.mediaSessionId) throw new Error(`startup answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.mediaSessionId;
}

async function transponders(httpPort: number): Promise<Array<{ mediaSessionId: string; status: string; stats: { bitrateKbps: number } }>> {
  const r = await rest(httpPort, 'find_all', {});
  return r.status === 200 ? (r.body as unknown as Array<{ mediaSessionId: string; status: string; stats: { bitrateKbps: number } }>) : [];
}

async function waitPublishing(httpPort: number, ids: string[], ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const all = await transponders(httpPort);
    if (ids.every((id) => all.find((t) => t.mediaSessionId === id)?.status === 'PUBLISHING')) return;
    if (Date.now() > end) throw new Error(`transponders not PUBLISHING within ${ms} ms: ${JSON.stringify(all.map((t) => t.status))}`);
    await sleep(100);
  }
}

const ms = (v: number): string => (Number.isFinite(v) ? `${round(v, 1)}` : '-');
const stats = (values: number[]): string => `p50 ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))}, max ${ms(Math.max(...values))} ms`;

// ---- 1–3: the service in-process ------------------------------------------------

interface InProcessResult {
  rows: Row[];
  notes: string[];
}

async function inProcess(t: Timing, source: FlashBeepSource, browser: ChromiumBrowser, log: (l: string) => void, aac: AacChoice): Promise<InProcessResult> {
  const nginx = await NginxRtmp.start({ hooks: false });
  const recorders = new Map<string, LatencyRecorder>();
  const settings: Settings = await loopbackSettings({
    webrtcCcMinBitrate: BROWSER_BITRATE.min,
    webrtcCcMaxBitrate: BROWSER_BITRATE.max,
    ...(aac.aacEncoderHost === undefined ? {} : { aacEncoderHost: aac.aacEncoderHost }),
    ...(aac.aacEncoder === undefined ? {} : { aacEncoder: aac.aacEncoder }),
  });
  const service = new TransponderService(settings, silentLogger, {
    latencyProbe: (id) => {
      const r = new LatencyRecorder();
      recorders.set(id, r);
      return r;
    },
  });
  let page: Page | undefined;
  const work = mkdtempSync(join(tmpdir(), 'bench-relay-'));
  try {
    await service.start();
    page = await browser.newPage(`http://127.0.0.1:${settings.httpPort}/?server=ws://127.0.0.1:${settings.wsPort}&name=${STREAM}&autostart=1`);
    const state = await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000);
    if (state.status !== 'PUBLISHING') throw new Error(`Chromium did not publish: ${state.status} ${state.info}`);
    const publisher = service.registry.get(STREAM);
    if (!publisher) throw new Error('the published stream is not in the registry');
    log('in-process: Chromium PUBLISHING');
    await sleep(3000); // the browser's rate ramp, the first RTCP sender reports

    // 1. startup → first video frame at a waiting player
    const startups: Array<{ total: number; rest: number; keyframe: number; firstTag: number; pliSent: boolean; sinceKeyframe: number }> = [];
    let lastKeyframeAt = -Infinity;
    const trackKeyframes = (f: VideoFrame): void => {
      if (f.keyframe) lastKeyframeAt = performance.now();
    };
    publisher.on('video', trackKeyframes);
    const pliCount = (): number => publisher.toJSON().video?.keyframeRequests ?? 0;
    for (let i = 0; i < t.startups; i++) {
      const player = await RtmpPlayer.play({ host: '127.0.0.1', port: nginx.rtmpPort, app: 'live', name: `rtmp_${STREAM}` });
      let keyAt: number | undefined;
      const onVideo = (f: VideoFrame): void => {
        if (f.keyframe && keyAt === undefined) keyAt = performance.now();
      };
      publisher.on('video', onVideo);
      let id: string | undefined;
      try {
        const plis = pliCount();
        const t0 = performance.now();
        const sinceKeyframe = t0 - lastKeyframeAt;
        id = await startup(settings.httpPort, { streamName: STREAM, rtmpUrl: nginx.url() });
        const restAt = performance.now();
        const pliSent = pliCount() > plis;
        const first = await withTimeout(player.firstVideoFrame, 10_000, 'the first video frame at the player');
        const rec = recorders.get(id);
        startups.push({ total: first - t0, rest: restAt - t0, keyframe: (keyAt ?? NaN) - t0, firstTag: (rec?.firstVideoOut ?? NaN) - t0, pliSent, sinceKeyframe });
        log(`startup ${i + 1}: ${round(first - t0)} ms`);
        await sleep(300);
      } finally {
        publisher.off('video', onVideo);
        player.close();
        if (id) await rest(settings.httpPort, 'terminate', { mediaSessionId: id });
      }
      // Spread the starts over the periodic keyframe cycle (periodic_fir_request_interval 2 s).
      await sleep(1200 + 350 * i);
    }
    publisher.off('video', trackKeyframes);

    // 2 + 3. one longer relay: latency, and the A/V offset at nginx and at the Publisher
    const id = await startup(settings.httpPort, { streamName: STREAM, rtmpUrl: nginx.url() });
    await waitPublishing(settings.httpPort, [id]);
    await sleep(2000);
    const rec = recorders.get(id)!;
    const videoIn: VideoFrame[] = [];
    const audioIn: AudioFrame[] = [];
    const onVideo = (f: VideoFrame): void => {
      if (videoIn.length > 0 || f.keyframe) videoIn.push(f);
    };
    const onAudio = (f: AudioFrame): void => {
      audioIn.push(f);
    };
    publisher.on('video', onVideo);
    publisher.on('audio', onAudio);
    publisher.requestKeyframe();
    rec.recording = true;
    await sleep(t.latencyMs);
    rec.recording = false;
    publisher.off('video', onVideo);
    publisher.off('audio', onAudio);
    await rest(settings.httpPort, 'terminate', { mediaSessionId: id });
    log(`latency window: ${rec.video.total.length} video, ${rec.audio.total.length} audio tags`);

    const rows: Row[] = [];
    const notes: string[] = [];
    const total = startups.map((s) => s.total);
    rows.push({
      measure: `1. startup: POST /push/startup → first video frame at an RTMP player on nginx (${startups.length} starts)`,
      value: `p50 ${ms(percentile(total, 50))}, max ${ms(Math.max(...total))} ms`,
      goal: '≤ 500 ms',
      met: Math.max(...total) <= 500 ? 'yes' : percentile(total, 50) <= 500 ? 'p50 only' : 'no',
      detail: `per start, ms after the POST (REST answered / Chromium keyframe in / first video tag written / at player; our PLI sent or held back by rtcp_pli_request_interval, previous keyframe): ${startups.map((s) => `${ms(s.rest)}/${ms(s.keyframe)}/${ms(s.firstTag)}/${ms(s.total)} (PLI ${s.pliSent ? 'sent' : 'held back'}, keyframe ${ms(s.sinceKeyframe)} ms before)`).join('; ')}`,
    });
    const v = rec.video;
    const a = rec.audio;
    rows.push({
      measure: '2. video added latency: last RTP packet of a frame → its FLV tag written (passthrough)',
      value: stats(v.total),
      goal: 'p99 ≤ 5 ms',
      met: percentile(v.total, 99) <= 5 ? 'yes' : 'no',
      detail: `${v.total.length} frames; waiting in the Interleaver for AAC: ${stats(v.interleaver)}; Interleaver → socket: ${stats(v.afterInterleaver)}; unmatched ${rec.unmatched.video}`,
    });
    rows.push({
      measure: '2. audio added latency: last Opus packet an AAC frame needs → its FLV tag written',
      value: stats(a.total),
      // issue 8's goal
      goal: 'p99 ≤ 50 ms',
      met: percentile(a.total, 99) <= 50 ? 'yes' : 'no',
      detail: `${a.total.length} AAC frames; of which Opus decode + AAC encoder (until the frame reaches the Interleaver): ${stats(a.interleaver)}; Interleaver → socket: ${stats(a.afterInterleaver)}; unmatched ${rec.unmatched.audio}`,
    });
    notes.push(...interleaverWhatIf(rec.videoTimeline, rec.audioTimeline));

    // 3. A/V offsets
    const recording = nginx.recordings(`rtmp_${STREAM}`).pop();
    await sleep(500);
    const atNginx = recording ? await offsetsInFlv(recording) : undefined;
    const atPublisher = await offsetsAtPublisher(videoIn, audioIn, work);
    const describe = (o: number[]): string => (o.length ? `mean ${ms(mean(o))}, min ${ms(Math.min(...o))}, max ${ms(Math.max(...o))} ms (${o.length} flashes)` : 'no flash/beep pairs found');
    if (atNginx) {
      const offsets = atNginx.map((e) => e.offsetMs);
      const worst = Math.max(...offsets.map(Math.abs));
      // The same flash at the Publisher and at nginx: the video frames are the same ones
      // (passthrough), so the difference is what our audio path did to that beep.
      const pairs = pairEvents(atPublisher.events, atNginx, (rec.firstVideoOutTimestamp ?? NaN) / 1000);
      const ours = pairs.map(([p, n]) => n.offsetMs - p.offsetMs);
      rows.push({
        measure: '3. A/V offset at nginx (beep onset − flash onset; + = audio late), flash-and-beep source',
        value: describe(offsets),
        goal: 'within ±40 ms (ours)',
        // Judged on what the relay adds: Chromium's own offset depends on how its two fake devices started.
        met: ours.length ? (Math.max(...ours.map(Math.abs)) <= 40 ? `ours yes${worst > 40 ? ' (Chromium\'s own is larger)' : ''}` : 'no') : '?',
        detail: `through Chromium alone (the Publisher's own frames, a part of the same relay): ${describe(atPublisher.events.map((e) => e.offsetMs))}; ours, the same flash at nginx minus at the Publisher: ${ours.length ? `mean ${ms(mean(ours))}, min ${ms(Math.min(...ours))}, max ${ms(Math.max(...ours))} ms (${ours.length} flashes)` : '-'}${atPublisher.note ? `; ${atPublisher.note}` : ''}`,
      });
    }
    notes.push(
      `Startup: a player (our wire code; connect/createStream/play) waits on rtmp_${STREAM} at nginx before the POST; the time is when the first AVC NALU message has arrived whole at it. ffprobe/ffplay as the player would add their own stream probing. Decoding the frame adds a few ms in any player.`,
      `Latency: in-process service with TransponderService seams.latencyProbe (src/transponder/latency-probe.ts; the product sets none). "Arrival" is the Publisher's 'video' event (the frame assembler completes an access unit on its marker packet, after the jitter buffer) and each Opus packet's 'audio' event; "written" is RtmpPublisher.writeTag handing the chunks to the socket. An AAC frame with pts P needs Opus audio up to P + 21.3 ms: matched to the arrival of the last Opus packet whose audio (pts − 6.5 ms look-ahead) starts before that; this includes the encoder's own MDCT look-ahead (a further 1024 samples, 21.3 ms), which any AAC-LC encoder pays. rtmp_out_buffer off (the default).`,
      `A/V: flashes from the mean luma of each decoded frame (ffmpeg signalstats; 33 ms per frame quantises the flash onset), beeps from a 1 ms envelope; at the Publisher the H.264 frames are decoded in order and given their pts, the Opus packets decoded with libopus and placed at pts − 6.5 ms (the decoder's look-ahead, as AudioTrack does), so both sides use the publisher clock aligned by RTCP sender reports. Chromium plays the y4m and the WAV from two free-running fake devices, so its own offset is whatever the two loops happened to start with.`,
    );
    return { rows, notes };
  } finally {
    await page?.close().catch(() => undefined);
    await service.stop();
    await nginx.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

/** What the Interleaver's wait is made of, and what other rules would give (computed from the timelines). */
function interleaverWhatIf(video: VideoTimeline[], audio: AudioTimeline[]): string[] {
  if (video.length === 0 || audio.length === 0) return [];
  // For each video frame: the AAC frames with an earlier timestamp, and when they left the encoder.
  const lagBehindVideo: number[] = [];
  const idealEncoderWait: number[] = [];
  const lookaheadWait: number[] = [];
  let inversions = 0;
  let worstInversion = 0;
  for (const f of video) {
    const earlier = audio.filter((x) => x.pts < f.pts && x.pts > f.pts - 500);
    if (earlier.length === 0) continue;
    const lastEarlier = earlier.reduce((m, x) => (x.interleaved > m.interleaved ? x : m));
    lagBehindVideo.push(Math.max(0, lastEarlier.interleaved - f.in));
    idealEncoderWait.push(Math.max(0, Math.max(...earlier.map((x) => x.needIn)) - f.in));
    const ahead = earlier.map((x) => x.lookaheadIn ?? x.interleaved);
    lookaheadWait.push(Math.max(0, Math.max(...ahead) - f.in));
    // Without waiting, this frame would be written at about f.in: AAC tags with an earlier timestamp still to come.
    const after = earlier.filter((x) => x.interleaved > f.in);
    if (after.length > 0) {
      inversions++;
      worstInversion = Math.max(worstInversion, f.pts - Math.min(...after.map((x) => x.pts)));
    }
  }
  // ffmpeg's own delay: an AAC frame out of the encoder after the input its look-ahead needs arrived.
  const encoderOwn = audio.filter((x) => x.lookaheadIn !== undefined).map((x) => x.interleaved - x.lookaheadIn!);
  const newestAacBehind: number[] = [];
  for (const f of video) {
    const before = audio.filter((x) => x.interleaved <= f.in);
    if (before.length) newestAacBehind.push(f.pts - before[before.length - 1].pts);
  }
  const caps = [30, 60, 100].map((cap) => `${cap} ms: ${round((100 * lagBehindVideo.filter((w) => w > cap).length) / lagBehindVideo.length)} %`);
  return [
    `Interleaver breakdown: when a video frame arrives, the newest AAC frame already out of the encoder is ${stats(newestAacBehind)} behind it in timestamp; the AAC frames earlier than the video frame leave the encoder ${stats(lagBehindVideo)} after the video frame arrived (what the video waits, capped by interleaveMaxWaitMs 150).`,
    `AAC encoder delay beyond what AAC-LC itself needs (an AAC frame out of the encoder, minus the arrival of the Opus packet holding the end of its MDCT window, i.e. audio up to pts + 42.7 ms): ${stats(encoderOwn)} — the encoder's own look-ahead (ffmpeg's: a whole frame, 21.3 ms; VisualOn's: 576 samples, 12 ms), Opus decode, the pipe, and scheduling on a 2-core machine shared with Chromium.`,
    `What-if (from the same timelines), keeping timestamp order: (a) an encoder that emits each AAC frame the moment its look-ahead input has arrived (the floor for AAC-LC) would make video wait ${stats(lookaheadWait)}; (a') one with no look-ahead at all (each AAC frame out as soon as its own last Opus packet arrived) ${stats(idealEncoderWait)}. Not keeping it: (b) video not waiting at all would put ${inversions} of ${video.length} video tags (${round((100 * inversions) / video.length)} %) before AAC tags with an earlier timestamp, by up to ${ms(worstInversion)} ms of timestamp; with a lower interleaveMaxWaitMs, the share of video tags that would go out before an earlier AAC tag is ${caps.join(', ')}. The "next AAC timestamp is already later" rule cannot release these frames: the AAC frames that precede them are still inside ffmpeg, so their timestamps are earlier, not later.`,
  ];
}

/** Beep − flash offsets in an FLV recording (ffmpeg decodes it as a player would). */
async function offsetsInFlv(file: string): Promise<AvEvent[]> {
  const luma = await frameLuma(['-i', file]);
  const flashes = flashOnsets(luma, (f) => f.t);
  const { pcm, start } = await decodeAudio(file, 48000);
  return avEvents(flashes, beepOnsets(pcm, 48000, start));
}

/** The same on the Publisher's frames: H.264 decoded in order with their pts, Opus decoded with libopus. */
async function offsetsAtPublisher(video: VideoFrame[], audio: AudioFrame[], dir: string): Promise<{ events: AvEvent[]; note?: string }> {
  if (video.length === 0 || audio.length === 0) return { events: [], note: 'no Publisher frames captured' };
  const h264 = join(dir, 'publisher.h264');
  const start = Buffer.from([0, 0, 0, 1]);
  writeFileSync(h264, Buffer.concat(video.flatMap((f) => f.nalUnits.flatMap((n) => [start, n]))));
  const luma = await frameLuma(['-f', 'h264', '-i', h264]);
  let note: string | undefined;
  if (luma.length !== video.length) note = `${luma.length} of ${video.length} Publisher frames decoded: flash times matched by decode order may be off`;
  const flashes = flashOnsets(luma, (f) => (video[f.n]?.pts ?? NaN) / 1000).filter(Number.isFinite);
  // Opus: each packet's decoded audio at pts − 6.5 ms, mono, on one array over the window.
  const decoder = new OpusPcmDecoder();
  const first = audio[0].pts;
  const lastPts = audio[audio.length - 1].pts;
  const pcm = new Int16Array(Math.ceil((lastPts - first + 100) * 48));
  try {
    for (const f of audio) {
      let stereo: Int16Array;
      try {
        stereo = decoder.decode(f.opus);
      } catch {
        continue;
      }
      const at = Math.round((f.pts - first) * 48);
      for (let i = 0; i * 2 + 1 < stereo.length && at + i < pcm.length; i++) pcm[at + i] = (stereo[i * 2] + stereo[i * 2 + 1]) >> 1;
    }
  } finally {
    decoder.close();
  }
  const beeps = beepOnsets(pcm, 48000, (first - 312 / 48) / 1000);
  return { events: avEvents(flashes, beeps), note };
}

// ---- 4: CPU and RSS per transponder (service as a child process) ----------------

async function cpuPerTransponder(t: Timing, browser: ChromiumBrowser, log: (l: string) => void, aac: AacChoice): Promise<{ rows: Row[]; notes: string[] }> {
  const nginx = await NginxRtmp.start({ hooks: false });
  const service = await ServiceProcess.start({
    webrtc_cc_min_bitrate: BROWSER_BITRATE.min,
    webrtc_cc_max_bitrate: BROWSER_BITRATE.max,
    ...(aac.aacEncoderHost === undefined ? {} : { aac_encoder_host: String(aac.aacEncoderHost) }),
    ...(aac.aacEncoder === undefined ? {} : { aac_encoder: aac.aacEncoder }),
  });
  const sampler = new ProcessSampler(service.pid, { withChildren: true });
  let page: Page | undefined;
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    page = await browser.newPage(`http://127.0.0.1:${service.httpPort}/?server=${service.wsUrl}&name=cpubench&autostart=1`);
    const state = await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000);
    if (state.status !== 'PUBLISHING') throw new Error(`Chromium did not publish to the service process: ${state.status} ${state.info}`);
    sampler.start();
    await sleep(3000);
    const b0 = sampler.now();
    await sleep(t.cpuBaselineMs);
    const base = sampler.summary(b0, sampler.now());
    log(`cpu: baseline ${round(base.cpuMean)} %`);
    rows.push({
      measure: '4. service process, Chromium publishing, no transponder (baseline)',
      value: `CPU ${round(base.cpuMean)} % (max ${round(base.cpuMax)}), RSS ${round(base.rssMeanMiB)} MiB`,
      goal: '',
      met: '',
      detail: `${base.samples} samples`,
    });
    let n = 0;
    for (const kind of ['passthrough', 'transcoding'] as const) {
      const ids: string[] = [];
      for (const count of [1, 3]) {
        while (ids.length < count) {
          const extra = kind === 'transcoding' ? TRANSCODE : {};
          ids.push(await startup(service.httpPort, { streamName: 'cpubench', rtmpUrl: `${nginx.url()}/cpu-${kind}-${++n}`, rtmpTransponderFullUrl: true, ...extra }));
        }
        await waitPublishing(service.httpPort, ids);
        await sleep(t.cpuWarmupMs);
        const from = sampler.now();
        await sleep(t.cpuMeasureMs);
        const load = sampler.summary(from, sampler.now());
        const live = (await transponders(service.httpPort)).filter((x) => ids.includes(x.mediaSessionId));
        const ffmpegs = countFfmpegChildren(service.pid);
        const per = (x: number, b: number): number => round((x - b) / count, 1);
        log(`cpu: ${count} ${kind}: ${round(load.cpuMean)} %`);
        rows.push({
          measure: `4. ${count} ${kind} transponder${count > 1 ? 's' : ''}${kind === 'transcoding' ? ` (height ${TRANSCODE.height}, ${TRANSCODE.bitrate} kbit/s)` : ''} of one 720p30 stream`,
          value: `per transponder: CPU ${per(load.cpuMean, base.cpuMean)} %, RSS ${per(load.rssMeanMiB, base.rssMeanMiB)} MiB`,
          goal: '',
          met: '',
          detail: `service + ${ffmpegs} ffmpeg children: CPU ${round(load.cpuMean)} % (max ${round(load.cpuMax)}), RSS ${round(load.rssMeanMiB)} MiB; states ${live.map((x) => x.status).join(', ')}; out ${live.map((x) => x.stats.bitrateKbps).join(', ')} kbit/s`,
        });
      }
      for (const id of ids) await rest(service.httpPort, 'terminate', { mediaSessionId: id });
      await sleep(1000);
    }
    notes.push(
      `CPU/RSS: the service as a child process (node --import tsx src/main.ts), sampled every second from /proc with its descendants (our AAC encoder ffmpeg per transponder, and the libx264 transcoder ffmpeg when transcoding); CPU % is of one core (200 % = both cores). Per transponder = (with transponders − baseline with the same Chromium stream but no transponder) / N; warm-up ${t.cpuWarmupMs / 1000} s, ${t.cpuMeasureMs / 1000} s measured. Chromium and nginx run on the same 2 cores and are not counted.`,
    );
    return { rows, notes };
  } finally {
    sampler.stop();
    await page?.close().catch(() => undefined);
    await service.stop();
    await nginx.stop();
  }
}

function countFfmpegChildren(pid: number): number {
  try {
    return execFileSync('ps', ['-o', 'comm=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter((l) => /ffmpeg/.test(l)).length;
  } catch {
    return 0;
  }
}

/** Runs every part; the caller should be in a private network namespace (see netns.ts). */
export async function runRelayBench(opts: RelayBenchOptions = {}): Promise<BenchSection> {
  const quick = opts.quick ?? false;
  const log = opts.log ?? ((l: string) => process.stderr.write(`bench relay: ${l}\n`));
  const t = timing(quick);
  const rows: Row[] = [];
  const notes: string[] = [];
  if (!chromiumAvailable()) {
    return { title: 'Relay: browser → transponder → nginx-rtmp', rows, notes: ['skipped: /usr/bin/chromium is absent'] };
  }
  const source = ensureFlashBeepSource(10);
  const browser = new ChromiumBrowser();
  try {
    await browser.launch({ videoFile: source.y4m, audioFile: source.wav });
    for (const [name, part] of [
      ['startup, latency and A/V', () => inProcess(t, source, browser, log, opts)],
      ['CPU per transponder', () => cpuPerTransponder(t, browser, log, opts)],
    ] as const) {
      try {
        const r = await part();
        rows.push(...r.rows);
        notes.push(...r.notes);
      } catch (error) {
        notes.push(`${name} failed: ${(error as Error).message.split('\n').slice(0, 6).join(' | ')}`);
      }
    }
  } finally {
    await browser.close();
  }
  const cpu = cpus();
  notes.push(
    `${quick ? 'quick run: ' : ''}${opts.aacEncoderHost === undefined ? '' : `aac_encoder_host=${opts.aacEncoderHost}; `}${opts.aacEncoder === undefined ? '' : `aac_encoder=${opts.aacEncoder}; `}${t.startups} startups, ${t.latencyMs / 1000} s latency window. Source: Chromium (WebSDK page) with a 1280x720 30 fps y4m (testsrc2, the whole picture white for 100 ms each second) and a 48 kHz WAV (1 kHz beep for the same 100 ms), both 10 s loops; browser bitrate held to ${BROWSER_BITRATE.min / 1e6}–${BROWSER_BITRATE.max / 1e6} Mbit/s (webrtc_cc_min/max_bitrate). nginx-rtmp 1 worker with record on.`,
    `machine: ${cpu[0]?.model ?? '?'} × ${cpu.length}, Node ${process.version}; ${networkIsolated() ? 'private network namespace (lo only)' : 'NOT isolated: host loopback'}.`,
  );
  return { title: 'Relay: browser → transponder → nginx-rtmp', rows, notes };
}

if (require.main === module) {
  reexecIsolatedOrContinue();
  const quick = process.argv.includes('--quick');
  const encoderAt = process.argv.indexOf('--aac-encoder');
  const aacEncoder = encoderAt < 0 ? undefined : AAC_ENCODER_NAMES.find((n) => n === process.argv[encoderAt + 1]);
  if (encoderAt >= 0 && aacEncoder === undefined) throw new Error(`--aac-encoder wants one of ${AAC_ENCODER_NAMES.join(', ')}`);
  runRelayBench({ quick, aacEncoder, ...(process.argv.includes('--ffmpeg-aac') ? { aacEncoderHost: false } : {}) }).then(
    (section) => {
      console.log(renderSection(section));
      process.exit(0);
    },
    (error: Error) => {
      console.error(`bench relay: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
