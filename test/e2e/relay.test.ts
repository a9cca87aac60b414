/**
 * The product end to end: Chromium publishes with the official WebSDK, the REST API
 * starts transponders, and a real nginx-rtmp receives what ffprobe/ffmpeg then decode.
 * Runs in a private network namespace (npm test); everything is on 127.0.0.1.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { FlvTagType, isSequenceHeader, isVideoKeyframe } from '../../src/flv/flv-tag';
import { ChromiumBrowser, describeWithChromium, waitForStatus } from '../helpers/chromium';
import { decodeErrors, ffprobePackets, ffprobeStreams } from '../helpers/media-tools';
import { decodeToPcm, rms, toneAmplitude } from '../media/audio-analysis';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { loopbackSettings } from '../helpers/loopback-settings';
import { mediaTags, recordedMs, recordedTags } from '../helpers/flv-recording';
import { StatusWatch } from '../helpers/status-watch';
import { waitForValue } from '../helpers/wait-for';
import { PushApi, ourFfmpegs } from '../helpers/push-api';

jest.setTimeout(120_000);
const run = promisify(execFile);

interface Rest {
  status: number;
  body: any; // JSON of the API under test: read field by field
}

/** Waits (with a deadline) until `get` gives a value, and returns it. */
function until<T>(get: () => Promise<T | undefined | false> | T | undefined | false, ms: number, what: string): Promise<T> {
  return waitForValue(get, { what, timeoutMs: ms, intervalMs: 100 });
}


describeWithChromium('relaying a browser camera to nginx-rtmp', () => {
  let dir: string;
  let mediaDir: string;
  let nginx: NginxRtmp;
  let service: TransponderService;
  let settings: Settings;
  let browser: ChromiumBrowser;
  const pages: Page[] = [];

  async function rest(method: string, body: unknown = {}): Promise<Rest> {
    return new PushApi(settings.httpPort).call(method, body) as Promise<Rest>;
  }

  async function find(mediaSessionId: string): Promise<any> {
    const r = await rest('find_all');
    return r.status === 200 ? r.body.find((t: { mediaSessionId: string }) => t.mediaSessionId === mediaSessionId) : undefined;
  }

  async function waitForState(id: string, state: string, ms = 15_000): Promise<void> {
    await until(async () => (await find(id))?.status === state, ms, `transponder ${state}`);
  }

  async function publish(name: string, query = ''): Promise<Page> {
    const page = await browser.newPage(`http://127.0.0.1:${settings.httpPort}/?server=ws://127.0.0.1:${settings.wsPort}&name=${name}&autostart=1${query}`);
    pages.push(page);
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000)).status).toBe('PUBLISHING');
    return page;
  }

  async function recording(name: string, index = 0): Promise<string> {
    return until(() => nginx.recordings(name)[index], 10_000, `a recording of ${name}`);
  }

  /** Waits until nginx has recorded `ms` of media (video, or audio) of the index-th publish of `name`. */
  async function recorded(name: string, ms: number, opts: { index?: number; type?: 8 | 9 } = {}): Promise<string> {
    const file = await recording(name, opts.index ?? 0);
    await until(() => recordedMs(file, opts.type) >= ms, ms + 30_000, `${ms} ms of ${name} recorded`);
    return file;
  }

  /** Waits until `ms` more of audio than now are recorded: a phase of the stream, measured on its own clock. */
  async function moreAudio(file: string, ms: number): Promise<void> {
    const from = recordedMs(file, FlvTagType.Audio);
    await until(() => recordedMs(file, FlvTagType.Audio) >= from + ms, ms + 30_000, `${ms} ms more audio recorded`);
  }

  /** The index-th recording of `name`, once nginx closed it (on_record_done): the file is complete. */
  async function complete(name: string, index = 0): Promise<string> {
    return until(() => {
      const file = nginx.recordings(name)[index];
      return file !== undefined && nginx.completeRecordings(name).includes(file) ? file : undefined;
    }, 15_000, `recording ${index} of ${name} complete`);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-e2e-'));
    mediaDir = path.join(dir, 'media');
    fs.mkdirSync(mediaDir);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100', '-t', '2', '-ac', '1', path.join(mediaDir, 'tone-1k.wav')]);
    fs.writeFileSync(path.join(dir, 'secret.wav'), fs.readFileSync(path.join(mediaDir, 'tone-1k.wav')));
    fs.symlinkSync(path.join(dir, 'secret.wav'), path.join(mediaDir, 'link-out.wav'));
    // The microphone: a steady 440 Hz tone, so mute and the 1 kHz insert are measurable.
    const mic = path.join(dir, 'mic-440.wav');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '60', '-ac', '2', mic]);

    nginx = await NginxRtmp.start();
    settings = await loopbackSettings({
      mediaDir,
      rtmpPushRestore: true,
      rtmpPushRestoreAttempts: 20,
      rtmpPushRestoreIntervalMs: 500,
    });
    service = new TransponderService(settings, silentLogger);
    await service.start();
    browser = new ChromiumBrowser();
    await browser.launch({ audioFile: mic });
  });

  afterEach(async () => {
    // Each test's browser pages stop publishing: leftover 720p encoders would starve the next test.
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await nginx?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('startup relays H.264 + AAC 48 kHz stereo as rtmp_<stream>, decodable, keyframes ≤ 4 s apart; terminate ends it and its ffmpeg', async () => {
    await publish('cam1');
    const started = await rest('startup', { streamName: 'cam1', rtmpUrl: nginx.url() });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ streamName: 'rtmp_cam1', rtmpUrl: nginx.url(), muted: false, soundEnabled: false });
    const id: string = started.body.mediaSessionId;
    await waitForState(id, 'PUBLISHING');
    await recorded('rtmp_cam1', 20_000); // long enough to see the keyframe rhythm YouTube checks
    const live = await find(id);
    expect(live.width).toBe(1280);
    expect(live.height).toBe(720);
    expect(live.stats.bytesSent).toBeGreaterThan(100_000);
    expect((await rest('terminate', { mediaSessionId: id })).status).toBe(200);
    expect((await find(id))?.status).toBe('TERMINATED'); // at once, before its children are released
    await until(() => ourFfmpegs().length === 0 || undefined, 10_000, 'no ffmpeg child left');

    const file = await complete('rtmp_cam1');
    const streams = await ffprobeStreams(file);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 1280, height: 720 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });
    expect(await decodeErrors(file)).toBe('');
    const packets = await ffprobePackets(file);
    const keyTimes = packets.filter((p) => p.codec_type === 'video' && p.flags.startsWith('K')).map((p) => Number(p.pts_time));
    const videoEnd = Math.max(...packets.filter((p) => p.codec_type === 'video').map((p) => Number(p.pts_time)));
    expect(videoEnd).toBeGreaterThan(19);
    expect(keyTimes[0]).toBe(0);
    const gaps = [...keyTimes.slice(1), videoEnd].map((t, i) => t - keyTimes[i]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(4);
  });

  it('full-URL naming and query parameters reach nginx', async () => {
    await publish('cam2');
    nginx.hooks.calls.length = 0;
    const byName = await rest('startup', { streamName: 'cam2', rtmpUrl: `${nginx.url('other')}?token=abc` });
    const full = await rest('startup', { streamName: 'cam2', rtmpUrl: `${nginx.url()}/custom-key?sig=xyz`, rtmpTransponderFullUrl: true });
    expect(byName.status).toBe(200);
    expect(full.status).toBe(200);
    expect(full.body.streamName).toBe('custom-key?sig=xyz');
    await waitForState(byName.body.mediaSessionId, 'PUBLISHING');
    await waitForState(full.body.mediaSessionId, 'PUBLISHING');
    const publishes = nginx.hooks.calls.filter((c) => c.call === 'publish');
    expect(publishes.map((c) => c.params.name).sort()).toEqual(['custom-key', 'rtmp_cam2']);
    expect(publishes.find((c) => c.params.name === 'custom-key')!.params.sig).toBe('xyz');
    const connects = nginx.hooks.calls.filter((c) => c.call === 'connect');
    expect(connects.some((c) => c.params.app === 'other' && c.params.token === 'abc')).toBe(true);
    await rest('terminate', { mediaSessionId: byName.body.mediaSessionId });
    await rest('terminate', { mediaSessionId: full.body.mediaSessionId });
  });

  it('mute silences the relayed audio, unmute brings it back; sound_on mixes in a 1 kHz WAV, sound_off removes it', async () => {
    await publish('cam3');
    const started = await rest('startup', { streamName: 'cam3', rtmpUrl: nginx.url() });
    const id: string = started.body.mediaSessionId;
    await waitForState(id, 'PUBLISHING');
    // Each phase lasts 4 s of recorded audio (the stream's own clock, whatever the load).
    const phase = 4000;
    const live = await recorded('rtmp_cam3', phase, { type: FlvTagType.Audio }); // 0–4 s: the microphone (440 Hz)
    expect((await rest('mute', { mediaSessionId: id })).status).toBe(200);
    expect((await find(id)).muted).toBe(true);
    await moreAudio(live, phase); // 4–8 s: silence
    expect((await rest('unmute', { mediaSessionId: id })).status).toBe(200);
    await moreAudio(live, phase); // 8–12 s: the microphone again
    expect((await rest('sound_on', { mediaSessionId: id, soundFile: 'tone-1k.wav', loop: true })).status).toBe(200);
    expect((await find(id)).soundEnabled).toBe(true);
    await moreAudio(live, phase); // 12–16 s: microphone + 1 kHz
    expect((await rest('sound_off', { mediaSessionId: id })).status).toBe(200);
    expect((await find(id)).soundEnabled).toBe(false);
    await moreAudio(live, phase); // 16–20 s: the microphone alone
    await rest('terminate', { mediaSessionId: id });

    const file = await complete('rtmp_cam3');
    // Quarter-second windows of the relayed audio: level, and the 1 kHz component.
    const rate = 16000;
    const pcm = await decodeToPcm(file, 1, rate);
    const win = rate / 4;
    const db = (x: number): number => 20 * Math.log10(Math.max(x, 1e-9) / 32768);
    const windows: Array<{ level: number; khz: number }> = [];
    for (let i = 0; i + win <= pcm.length; i += win) {
      const w = pcm.subarray(i, i + win);
      windows.push({ level: db(rms(w)), khz: db(toneAmplitude(w, 1000, rate)) });
    }
    // The phases in order, wherever the pipeline's latency put them: a run of at least
    // 2 s for each (8 windows), found one after the other.
    const runOf = (from: number, test: (w: { level: number; khz: number }) => boolean): number => {
      for (let i = from; i + 8 <= windows.length; i++) if (windows.slice(i, i + 8).every(test)) return i;
      return -1;
    };
    const heard = (w: { level: number }): boolean => w.level > -60;
    const mic = runOf(0, heard);
    const muted = runOf(mic, (w) => w.level < -80);
    const back = runOf(muted + 8, (w) => heard(w) && w.khz < -45);
    const tone = runOf(back + 8, (w) => w.khz > -30);
    const after = runOf(tone + 8, (w) => heard(w) && w.khz < -45);
    console.log(`relay audio phases (s): mic ${mic / 4}, muted ${muted / 4}, back ${back / 4}, 1 kHz ${tone / 4}, after sound_off ${after / 4}`);
    expect(mic).toBeGreaterThanOrEqual(0); // the microphone is heard
    expect(muted).toBeGreaterThan(mic); // mute: digital silence
    expect(back).toBeGreaterThan(muted); // unmute: the microphone again, no 1 kHz yet
    expect(tone).toBeGreaterThan(back); // sound_on: the 1 kHz insert
    expect(after).toBeGreaterThan(tone); // sound_off: gone, the microphone stays
  });

  it('transcodes {height: 240, fps: 15, bitrate: 300, keyFrameInterval: 30}', async () => {
    await publish('cam4');
    const started = await rest('startup', { streamName: 'cam4', rtmpUrl: nginx.url(), height: 240, fps: 15, bitrate: 300, keyFrameInterval: 30 });
    expect(started.status).toBe(200);
    const id: string = started.body.mediaSessionId;
    await waitForState(id, 'PUBLISHING');
    await recorded('rtmp_cam4', 9000);
    expect((await find(id)).transcoding).toBe(true);
    await rest('terminate', { mediaSessionId: id });
    await until(() => ourFfmpegs().length === 0 || undefined, 10_000, 'no ffmpeg child left');

    const file = await complete('rtmp_cam4');
    const video = (await ffprobeStreams(file)).find((s) => s.codec_type === 'video')!;
    expect(video.height).toBe(240);
    expect(video.width).toBe(426);
    const packets = (await ffprobePackets(file)).filter((p) => p.codec_type === 'video');
    const times = packets.map((p) => Number(p.pts_time));
    const span = times[times.length - 1] - times[0];
    const fps = (packets.length - 1) / span;
    // At most 15 a second: the transcoder keeps one frame per 1/15 s slot, so no second of
    // media holds more than 16 (slot edges). No lower bound: a loaded browser sends fewer
    // frames than its 30, and how many is the machine's business, not the relay's.
    expect(packets.length).toBeGreaterThan(30);
    const mostInOneSecond = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1).length));
    expect(mostInOneSecond).toBeLessThanOrEqual(16);
    // keyFrameInterval counts frames (WCS): a keyframe every 30 frames, 2 s at 15 fps.
    const keyIndexes = packets.map((p, i) => (p.flags.startsWith('K') ? i : -1)).filter((i) => i >= 0);
    const frameGaps = keyIndexes.slice(1).map((k, i) => k - keyIndexes[i]);
    expect(frameGaps.length).toBeGreaterThanOrEqual(2);
    for (const g of frameGaps) expect(g).toBe(30);
    const keys = keyIndexes.map((i) => Number(packets[i].pts_time));
    const gaps = keys.slice(1).map((t, i) => t - keys[i]);
    const bytes = packets.reduce((n, p) => n + Number(p.size), 0);
    const kbps = (bytes * 8) / span / 1000;
    console.log(`transcoded: ${video.width}x${video.height}, ${fps.toFixed(1)} fps (at most ${mostInOneSecond} in a second), keyframes every ${gaps.map((g) => g.toFixed(2)).join(', ')} s, ${kbps.toFixed(0)} kbit/s`);
    // Constant bitrate, measured on the media's own clock: filler never takes it above
    // 300 (+50 % for the VBV window at the ends). The lower bound is loose on purpose:
    // x264 budgets each frame for 15 a second, so a browser sending fewer frames under
    // load gives proportionally fewer bits.
    expect(kbps).toBeLessThan(450);
    expect(kbps).toBeGreaterThan(100);
    expect(await decodeErrors(file)).toBe('');
  });

  it('keeps decoding when the browser lowers its resolution mid-stream (new sequence header; no second onMetaData, no phantom stream)', async () => {
    const page = await publish('cam5');
    const started = await rest('startup', { streamName: 'cam5', rtmpUrl: nginx.url() });
    const id: string = started.body.mediaSessionId;
    await waitForState(id, 'PUBLISHING');
    await recorded('rtmp_cam5', 3000);
    await page.evaluate(() => (globalThis as unknown as { publisherApi: { setResolution(w: number, h: number): Promise<void> } }).publisherApi.setResolution(640, 360));
    await until(async () => (await find(id))?.width === 640, 10_000, 'the new resolution');
    // A player joining now sees exactly one video stream, at the new size (from the
    // sequence header), and one audio stream: a second onMetaData mid-stream would add a
    // data stream behind nginx's `meta copy`.
    const live = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,width,height', '-of', 'json', `${nginx.url()}/rtmp_cam5`], { timeout: 15_000 });
    const liveStreams = (JSON.parse(live.stdout) as { streams: Array<{ codec_type: string; width?: number; height?: number }> }).streams;
    expect(liveStreams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(liveStreams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 640, height: 360 });
    await rest('terminate', { mediaSessionId: id });
    const file = await complete('rtmp_cam5');
    const flv = recordedTags(file);
    const headers = flv.filter((t) => t.type === FlvTagType.Video && isSequenceHeader(t));
    expect(headers.length).toBeGreaterThanOrEqual(2);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=width', '-of', 'csv=p=0', file], { maxBuffer: 64 * 1024 * 1024 });
    const widths = new Set(stdout.split('\n').filter(Boolean).map(Number));
    expect(widths).toEqual(new Set([1280, 640]));
    expect(await decodeErrors(file)).toBe('');
  });

  it('comes back after nginx restarts mid-stream, and what arrives decodes', async () => {
    await publish('cam6');
    const started = await rest('startup', { streamName: 'cam6', rtmpUrl: nginx.url() });
    const id: string = started.body.mediaSessionId;
    await waitForState(id, 'PUBLISHING');
    await recorded('rtmp_cam6', 2000);
    const states = new StatusWatch(() => service.transponders.find({}).find((t) => t.mediaSessionId === id));
    try {
      await nginx.restartServer();
      const restored = await until(async () => {
        const t = await find(id);
        return t?.status === 'PUBLISHING' && t.stats.restores > 0 ? t : undefined;
      }, 15_000, 'restored');
      expect(restored.stats.restores).toBe(1);
    } finally {
      states.stop();
    }
    // RESTORING was seen (not assumed), between two PUBLISHING.
    expect(states.statuses).toEqual(['PUBLISHING', 'RESTORING', 'PUBLISHING']);
    await recorded('rtmp_cam6', 3000, { index: 1 });
    await rest('terminate', { mediaSessionId: id });
    const second = await complete('rtmp_cam6', 1);
    expect(await decodeErrors(second)).toBe('');
    const video = mediaTags(recordedTags(second), FlvTagType.Video);
    expect(video.length).toBeGreaterThan(30);
    expect(isVideoKeyframe(video[0])).toBe(true);
    expect(video[0].timestamp).toBe(0);
  });

  it('publishStream.rtmpUrl starts a transponder; closing the page ends all its pushes', async () => {
    const page = await publish('cam7', `&rtmpUrl=${encodeURIComponent(nginx.url())}`);
    const manual = await rest('startup', { streamName: 'cam7', rtmpUrl: nginx.url('other') });
    expect(manual.status).toBe(200);
    const relays = await until(async () => {
      const r = await rest('find', { streamName: 'cam7' });
      return r.status === 200 && r.body.length === 2 && r.body.every((t: { status: string }) => t.status === 'PUBLISHING') ? r.body : undefined;
    }, 15_000, 'both transponders publishing');
    await recorded('rtmp_cam7', 2000);
    await page.close();
    await until(async () => {
      const all = await Promise.all(relays.map((t: { mediaSessionId: string }) => find(t.mediaSessionId)));
      return all.every((t) => t.status === 'TERMINATED') || undefined;
    }, 10_000, 'both transponders terminated');
    // TERMINATED comes at once; the ffmpeg children are released after (their grace periods).
    await until(() => ourFfmpegs().length === 0 || undefined, 10_000, 'no ffmpeg child left');
    const file = await complete('rtmp_cam7');
    expect(await decodeErrors(file)).toBe('');
  });

  it('answers bad requests with the WCS status codes and changes nothing', async () => {
    await publish('cam8');
    const first = await rest('startup', { streamName: 'cam8', rtmpUrl: nginx.url() });
    expect(first.status).toBe(200);
    const id: string = first.body.mediaSessionId;
    expect((await rest('startup', { streamName: 'cam8', rtmpUrl: nginx.url() })).status).toBe(409);
    expect((await rest('startup', { streamName: 'nobody', rtmpUrl: nginx.url() })).status).toBe(404);
    const noHost = await rest('startup', { streamName: 'cam8', rtmpUrl: 'rtmp://no-such-host.invalid/live' });
    expect(noHost.status).toBe(400);
    expect(noHost.body.field).toBe('rtmpUrl');
    expect((await rest('startup', { streamName: 'cam8' })).status).toBe(400);
    expect((await rest('startup', { streamName: 'cam8', rtmpUrl: 'http://x/live' })).status).toBe(400);
    expect((await rest('startup', { streamName: 'cam8', rtmpUrl: nginx.url(), height: -1 })).body.field).toBe('height');
    expect((await rest('terminate', { mediaSessionId: 'nope' })).status).toBe(404);
    expect((await rest('mute', { mediaSessionId: 'nope' })).status).toBe(404);
    const missing = await rest('sound_on', { mediaSessionId: id, soundFile: 'nope.wav', loop: false });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/No such file/);
    expect((await rest('sound_on', { mediaSessionId: id, soundFile: '../secret.wav', loop: false })).status).toBe(400);
    expect((await rest('sound_on', { mediaSessionId: id, soundFile: '/etc/passwd', loop: false })).status).toBe(400);
    expect((await rest('sound_on', { mediaSessionId: id, soundFile: 'link-out.wav', loop: false })).status).toBe(400);
    expect((await find(id)).soundEnabled).toBe(false);
    const all = await rest('find_all');
    expect(all.body.filter((t: { status: string }) => t.status !== 'TERMINATED').length).toBe(1);
    await waitForState(id, 'PUBLISHING');
    await rest('terminate', { mediaSessionId: id });
  });
});

describeWithChromium('rtmp_push_auto_start', () => {
  it('relays every stream that starts publishing to rtmp_push_auto_start_url', async () => {
    const nginx = await NginxRtmp.start();
    const settings: Settings = await loopbackSettings({
      rtmpPushAutoStart: true,
      rtmpPushAutoStartUrl: [nginx.url()],
    });
    const service = new TransponderService(settings, silentLogger);
    const browser = new ChromiumBrowser();
    try {
      await service.start();
      await browser.launch();
      const page = await browser.newPage(`http://127.0.0.1:${settings.httpPort}/?server=ws://127.0.0.1:${settings.wsPort}&name=auto1&autostart=1`);
      expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000)).status).toBe('PUBLISHING');
      const list = await until(() => {
        const l = service.transponders.find({ streamName: 'auto1' });
        return l.length === 1 && l[0].status === 'PUBLISHING' ? l : undefined;
      }, 15_000, 'the automatic transponder');
      expect(list[0].streamName).toBe('rtmp_auto1');
      const file = await until(() => nginx.recordings('rtmp_auto1')[0], 10_000, 'the recording');
      await until(() => recordedMs(file) >= 3000, 30_000, '3 s of video recorded');
      await page.close();
      await until(() => service.transponders.find({ streamName: 'auto1' })[0]?.status === 'TERMINATED' || undefined, 10_000, 'terminated');
      await until(() => nginx.completeRecordings('rtmp_auto1').includes(file), 15_000, 'the recording complete');
      expect(await decodeErrors(file)).toBe('');
    } finally {
      await browser.close();
      await service.stop();
      await nginx.stop();
    }
  });
});

describeWithChromium('media_workers=1: the publishers\' media received in a worker thread', () => {
  it('a WebSDK publish is relayed to nginx and decodes; a worker that dies fails the page\'s publish with its reason, and the next publish is relayed again', async () => {
    const nginx = await NginxRtmp.start();
    const settings: Settings = await loopbackSettings({ mediaWorkers: 1, rtmpPushAutoStart: true, rtmpPushAutoStartUrl: [nginx.url()] });
    const service = new TransponderService(settings, silentLogger);
    const browser = new ChromiumBrowser();
    try {
      await service.start();
      await browser.launch();
      const relayed = async (name: string): Promise<{ page: Page; file: string }> => {
        const page = await browser.newPage(`http://127.0.0.1:${settings.httpPort}/?server=ws://127.0.0.1:${settings.wsPort}&name=${name}&autostart=1`);
        expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000)).status).toBe('PUBLISHING');
        await until(() => service.transponders.find({ streamName: name })[0]?.status === 'PUBLISHING' || undefined, 15_000, `the automatic transponder of ${name}`);
        const file = await until(() => nginx.recordings(`rtmp_${name}`)[0], 10_000, 'the recording');
        await until(() => recordedMs(file) >= 3000, 30_000, `3 s of ${name} recorded`);
        return { page, file };
      };

      const first = await relayed('wk1');
      expect(service.mediaWorkers?.workers.map((w) => w.load)).toEqual([1]);
      await service.mediaWorkers!.workers[0]!.terminate();
      const failed = await waitForStatus(first.page, ['FAILED', 'UNPUBLISHED'], 15_000);
      expect(failed).toMatchObject({ status: 'FAILED', info: expect.stringMatching(/^media worker stopped \(exit code 1\)/) });
      await until(() => service.transponders.find({ streamName: 'wk1' })[0]?.status === 'TERMINATED' || undefined, 10_000, 'the push ended with its publisher');
      await until(() => nginx.completeRecordings('rtmp_wk1').includes(first.file), 15_000, 'the first recording complete');
      expect(await decodeErrors(first.file)).toBe('');

      const second = await relayed('wk2');
      await second.page.close();
      await until(() => nginx.completeRecordings('rtmp_wk2').includes(second.file), 15_000, 'the second recording complete');
      expect(await decodeErrors(second.file)).toBe('');
    } finally {
      await browser.close();
      await service.stop();
      await nginx.stop();
    }
    expect(service.mediaWorkers?.workers).toEqual([]);
  });
});
