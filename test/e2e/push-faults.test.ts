/**
 * Faults, tested like features: the official WebSDK in a real Chromium publishes, the
 * REST API starts pushes, real nginx-rtmp servers receive them, and the test breaks
 * something on purpose — a destination restarted, stopped for 30 s or frozen for 20 s,
 * a server that never answers, requests racing each other, the publisher's browser
 * killed or frozen, an ffmpeg child killed. Each test states what must hold and fails
 * if it does not; waits are on conditions with deadlines, and the only timed spans are
 * the faults themselves (an outage of 30 s, a stall of 20 s) while their properties are
 * checked throughout. Runs in a private network namespace (npm test), all on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { transponderManagerOptionsFrom } from '../../src/server-options';
import type { TransponderJson } from '../../src/rest/schemas';
import type { TransponderInfo } from '../../src/transponder/transponder-api';
import { DEFAULT_DROP_QUEUE_MAX_BYTES } from '../../src/rtmp/drop-queue';
import { FlvTagType, isVideoKeyframe } from '../../src/flv/flv-tag';
import { mediaTags, recordedTags } from '../helpers/flv-recording';
import { StatusWatch } from '../helpers/status-watch';
import { ChromiumBrowser, describeWithChromium, waitForStatus } from '../helpers/chromium';
import { decodeErrors } from '../helpers/media-tools';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { ScriptedRtmpServer } from '../helpers/scripted-rtmp-server';
import { loopbackSettings } from '../helpers/loopback-settings';
import { holdsFor, waitFor, waitForValue } from '../helpers/wait-for';
import { PushApi, ourFfmpegs, type ErrorJson } from '../helpers/push-api';

jest.setTimeout(180_000);

const ENDED = new Set(['TERMINATED', 'FAILED']);
/** A startup option that makes the manager read a file (media/beep.wav) before it creates the transponder. */
const SOUND_ON = { action: 'sound_on', soundFile: 'beep.wav', loop: false };

/** ffmpeg children of this test process (AAC encoders, transcoders), with their command lines. */

/** The one ffmpeg child whose command line matches (e.g. the AAC encoder: `-c:a aac`). */
async function oneFfmpeg(pattern: RegExp, what: string): Promise<number> {
  const found = await waitForValue(() => {
    const matching = ourFfmpegs().filter((p) => pattern.test(p.args));
    return matching.length > 0 ? matching : undefined;
  }, { what, timeoutMs: 10_000, intervalMs: 50 });
  expect(found).toHaveLength(1);
  return found[0].pid;
}

describeWithChromium('push faults: a relay through destination, network, browser and ffmpeg failures', () => {
  let dir: string;
  let mic: string;
  /** The destination that fails (restarted, stopped, frozen). */
  let flaky: NginxRtmp;
  /** A destination that stays healthy. */
  let healthy: NginxRtmp;
  let settings: Settings;
  let service: TransponderService;
  let api: PushApi;
  let browser: ChromiumBrowser;
  const pages: Page[] = [];
  /** What a test started beyond the shared setup, ended in afterEach (last first), also when it fails. */
  const cleanups: Array<() => unknown> = [];

  async function publish(name: string, on: { settings: Settings; browser?: ChromiumBrowser } = { settings }): Promise<Page> {
    const s = on.settings;
    const page = await (on.browser ?? browser).newPage(`http://127.0.0.1:${s.httpPort}/?server=ws://127.0.0.1:${s.wsPort}&name=${name}&autostart=1`);
    pages.push(page);
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000)).status).toBe('PUBLISHING');
    return page;
  }

  function inProcess(svc: TransponderService, id: string): () => TransponderInfo | undefined {
    return () => svc.transponders.findAll().find((t) => t.mediaSessionId === id);
  }

  function watch(id: string, svc = service): StatusWatch {
    const w = new StatusWatch(inProcess(svc, id));
    cleanups.push(() => w.stop());
    return w;
  }

  /** A second service (other settings), stopped after the test. */
  async function extraService(overrides: Partial<Settings>): Promise<{ settings: Settings; service: TransponderService; api: PushApi }> {
    const s = await loopbackSettings(overrides);
    const svc = new TransponderService(s, silentLogger);
    cleanups.push(() => svc.stop());
    await svc.start();
    return { settings: s, service: svc, api: new PushApi(s.httpPort) };
  }

  /** Waits until the transponder has sent `frames` more frames (audio + video) than it had. */
  async function moreFrames(a: PushApi, id: string, frames: number, timeoutMs = 20_000): Promise<TransponderJson> {
    const from = (await a.find(id))?.stats.framesSent ?? 0;
    return waitForValue(async () => {
      const t = await a.find(id);
      return t && t.stats.framesSent >= from + frames ? t : undefined;
    }, { what: `${frames} more frames sent`, timeoutMs, intervalMs: 100 });
  }

  /** The file nginx closed for the index-th publish of `name` (on_record_done: the file is complete). */
  async function completeRecording(nginx: NginxRtmp, name: string, index: number): Promise<string> {
    return waitForValue(() => {
      const file = nginx.recordings(name)[index];
      return file !== undefined && nginx.completeRecordings(name).includes(file) ? file : undefined;
    }, { what: `recording ${index} of ${name} complete`, timeoutMs: 15_000, intervalMs: 50 });
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'push-faults-'));
    // The microphone: a steady tone, so a relay's audio track always carries sound.
    mic = path.join(dir, 'mic-440.wav');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '60', '-ac', '2', mic]);
    [flaky, healthy] = await Promise.all([NginxRtmp.start(), NginxRtmp.start()]);
    settings = await loopbackSettings({
      rtmpPushRestore: true,
      rtmpPushRestoreAttempts: -1,
      rtmpPushRestoreIntervalMs: 500,
      // Each push's AAC in an ffmpeg child of its own, so a kill hits one push (the AAC
      // encoder host is tested below, on a service of its own).
      aacEncoderHost: false,
    });
    service = new TransponderService(settings, silentLogger);
    await service.start();
    api = new PushApi(settings.httpPort);
    browser = new ChromiumBrowser();
    await browser.launch({ audioFile: mic });
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve().then(c).catch(() => undefined);
    // Each test's pages stop publishing: leftover 720p encoders would starve the next test.
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
    flaky.thaw();
    if (!flaky.running) await flaky.startServer();
    for (const t of service.transponders.findAll()) if (!ENDED.has(t.status)) await service.transponders.terminate(t.mediaSessionId);
    // The next test counts ffmpeg children: this one's are released first.
    await waitFor(() => ourFfmpegs().length === 0, { what: 'no ffmpeg child left by the test', timeoutMs: 15_000, intervalMs: 50 }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await flaky?.stop();
    await healthy?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a destination restarted mid-stream: RESTORING, then PUBLISHING; the new connection starts on a keyframe at 0, decodes, and counts as one restore', async () => {
    await publish('restart1');
    const started = await api.startup({ streamName: 'restart1', rtmpUrl: flaky.url() });
    const id = started.mediaSessionId;
    await api.waitForStatus(id, 'PUBLISHING');
    await moreFrames(api, id, 100);
    const states = watch(id);

    await flaky.restartServer();
    const restored = await waitForValue(async () => {
      const t = await api.find(id);
      return t?.status === 'PUBLISHING' && t.stats.restores > 0 ? t : undefined;
    }, { what: 'the push restored', timeoutMs: 20_000, intervalMs: 20 });
    states.stop();

    expect(states.statuses).toEqual(['PUBLISHING', 'RESTORING', 'PUBLISHING']);
    const restoring = states.seen.filter((s) => s.status === 'RESTORING');
    expect(restoring.map((s) => s.reason).join('\n')).toMatch(/restore attempt 1\b/);
    expect(restored.stats.restores).toBe(1);
    expect(restored.stats.restoreAttempts).toBe(0);

    await moreFrames(api, id, 150); // a few seconds of media on the new connection
    expect((await api.call('terminate', { mediaSessionId: id })).status).toBe(200);
    expect((await api.find(id))?.stats.restores).toBe(1);
    const second = await completeRecording(flaky, 'rtmp_restart1', 1);
    const tags = recordedTags(second);
    const video = mediaTags(tags, FlvTagType.Video);
    expect(video.length).toBeGreaterThan(30);
    expect(isVideoKeyframe(video[0])).toBe(true);
    expect(video[0].timestamp).toBe(0);
    expect(mediaTags(tags, FlvTagType.Audio).length).toBeGreaterThan(30);
    expect(await decodeErrors(second)).toBe('');
  });

  it('a destination down for 30 s: with attempts -1 the push keeps trying and comes back; with 2 attempts it ends FAILED, saying it gave up', async () => {
    const finite = await extraService({ rtmpPushRestore: true, rtmpPushRestoreAttempts: 2, rtmpPushRestoreIntervalMs: 500 });
    await publish('outage1');
    await publish('outage2', { settings: finite.settings });
    const forever = (await api.startup({ streamName: 'outage1', rtmpUrl: flaky.url() })).mediaSessionId;
    const limited = (await finite.api.startup({ streamName: 'outage2', rtmpUrl: flaky.url() })).mediaSessionId;
    await api.waitForStatus(forever, 'PUBLISHING');
    await finite.api.waitForStatus(limited, 'PUBLISHING');
    const foreverStates = watch(forever);
    const limitedStates = watch(limited, finite.service);

    await flaky.stopServer();
    const outageStart = Date.now();
    // The limited push gives up after its 2 attempts (500 ms apart), long before the outage ends.
    const failed = await finite.api.waitForStatus(limited, 'FAILED', 15_000);
    expect(failed.reason).toMatch(/gave up after 2 restore attempts/);
    expect(limitedStates.statuses).toEqual(['PUBLISHING', 'RESTORING', 'FAILED']);

    // Throughout the outage the unlimited push is RESTORING and keeps making attempts.
    let attemptsAtHalf = 0;
    let attemptsAtEnd = 0;
    await holdsFor(async () => {
      const t = (await api.find(forever))!;
      expect(t.status).toBe('RESTORING');
      expect(t.reason).toMatch(/restore attempt \d+ (connecting|in \d+ ms)/);
      expect(t.reason).not.toMatch(/ of /); // -1: no last attempt to count towards
      if (Date.now() - outageStart < 15_000) attemptsAtHalf = t.stats.restoreAttempts;
      attemptsAtEnd = t.stats.restoreAttempts;
      return true;
    }, { durationMs: 30_000 - (Date.now() - outageStart), intervalMs: 250, what: 'the unlimited push RESTORING through the outage' });
    expect(attemptsAtHalf).toBeGreaterThan(0);
    expect(attemptsAtEnd).toBeGreaterThan(attemptsAtHalf);

    await flaky.startServer();
    const back = await waitForValue(async () => {
      const t = await api.find(forever);
      return t?.status === 'PUBLISHING' ? t : undefined;
    }, { what: 'the unlimited push back after the outage', timeoutMs: 15_000, intervalMs: 50 });
    expect(back.stats.restores).toBe(1);
    expect(foreverStates.statuses).toEqual(['PUBLISHING', 'RESTORING', 'PUBLISHING']);
    await moreFrames(api, forever, 100);
    expect((await finite.api.find(limited))?.status).toBe('FAILED'); // absorbing: the server's return changes nothing
  });

  it('a destination frozen for 20 s: queued bytes stay bounded, audio is never dropped, non-key video drops are counted, and a second push of the stream keeps flowing', async () => {
    await publish('stall1');
    // The push at the camera's own bitrate: once the server has acknowledged nothing for
    // 2 s of media it holds media back and drops non-key video (the kernel's ~4 MiB on
    // loopback would otherwise take over a minute of a camera before anything is dropped).
    const stalled = (await api.startup({ streamName: 'stall1', rtmpUrl: flaky.url() })).mediaSessionId;
    const steady = (await api.startup({ streamName: 'stall1', rtmpUrl: healthy.url() })).mediaSessionId;
    await api.waitForStatus(stalled, 'PUBLISHING');
    await api.waitForStatus(steady, 'PUBLISHING');
    await moreFrames(api, stalled, 100);
    const before = (await api.find(stalled))!.stats;
    const rssBefore = process.memoryUsage().rss;

    flaky.freeze();
    cleanups.push(() => flaky.thaw());
    let maxQueued = 0;
    let maxRss = rssBefore;
    let windows = 0;
    let windowStart = Date.now();
    let steadyFrames = (await api.find(steady))!.stats.framesSent;
    await holdsFor(async () => {
      const s = (await api.find(stalled))!;
      maxQueued = Math.max(maxQueued, s.stats.queuedBytes);
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      expect(s.status).toBe('PUBLISHING'); // a stall is ridden out, not taken for a loss
      expect(s.stats.queuedBytes).toBeLessThanOrEqual(DEFAULT_DROP_QUEUE_MAX_BYTES);
      expect(s.stats.audioFramesDropped).toBe(before.audioFramesDropped);
      if (Date.now() - windowStart >= 2000) {
        // Every 2 s window: the healthy push of the same stream has sent more frames.
        const t = (await api.find(steady))!;
        expect(t.status).toBe('PUBLISHING');
        expect(t.stats.framesSent).toBeGreaterThan(steadyFrames);
        steadyFrames = t.stats.framesSent;
        windowStart = Date.now();
        windows++;
      }
      return true;
    }, { durationMs: 20_000, intervalMs: 100, what: 'the stalled push bounded and the healthy one moving' });
    flaky.thaw();
    const after = (await api.find(stalled))!;
    const steadyBitrate = (await api.find(steady))!.stats.bitrateKbps;
    console.log(
      `stall of 20 s at ${before.bitrateKbps} kbit/s (the camera's push: ${steadyBitrate} kbit/s): queued at most ${(maxQueued / 1048576).toFixed(2)} MiB ` +
        `(bound ${DEFAULT_DROP_QUEUE_MAX_BYTES / 1048576} MiB), video dropped ${after.stats.videoFramesDropped - before.videoFramesDropped}, ` +
        `RSS ${(rssBefore / 1048576).toFixed(0)} → max ${(maxRss / 1048576).toFixed(0)} MiB, status ${after.status}`,
    );
    expect(windows).toBeGreaterThanOrEqual(8); // the checks above ran throughout
    expect(maxQueued).toBeGreaterThan(0); // the stall did reach the push's queue
    expect(after.stats.videoFramesDropped).toBeGreaterThan(before.videoFramesDropped);
    expect(after.stats.audioFramesDropped).toBe(before.audioFramesDropped);

    // Once the server reads again, the push goes on, on the same connection.
    await moreFrames(api, stalled, 100);
    const resumed = (await api.find(stalled))!;
    expect(resumed.status).toBe('PUBLISHING');
    expect(resumed.stats.restores).toBe(0);
    expect(resumed.stats.audioFramesDropped).toBe(before.audioFramesDropped);
  });

  it('terminate while CONNECTING to a server that never answers: TERMINATED at once, and the socket is closed', async () => {
    const silent = new ScriptedRtmpServer('silent');
    await silent.listen();
    cleanups.push(() => silent.close());
    await publish('silent1');
    const id = (await api.startup({ streamName: 'silent1', rtmpUrl: silent.url() })).mediaSessionId;
    await waitFor(() => silent.open === 1, { what: 'the push connected over TCP', timeoutMs: 10_000 });
    expect((await api.find(id))?.status).toBe('CONNECTING');

    expect((await api.call('terminate', { mediaSessionId: id })).status).toBe(200);
    const now = await api.find(id);
    expect(now?.status).toBe('TERMINATED');
    expect(now?.reason).toMatch(/terminated/);
    // The connect in progress is cancelled: the server sees its socket closed, well
    // before the 10 s handshake deadline would have closed it.
    await waitFor(() => silent.open === 0, { what: 'the socket closed at the server', timeoutMs: 3000 });
    expect(silent.accepted).toBe(1); // no second attempt
    expect((await api.find(id))?.status).toBe('TERMINATED'); // absorbing
    const mute = await api.call<ErrorJson>('mute', { mediaSessionId: id });
    expect(mute.status).toBe(409);
    expect(mute.body.code).toBe('TRANSPONDER_ENDED');
  });

  it('20 parallel startups of one stream to one URL: exactly one 200, the rest 409', async () => {
    await publish('race1');
    // A host name to look up and a sound file to read: real awaits inside each startup,
    // so the requests interleave between their checks and their transponders.
    const rtmpUrl = healthy.url().replace('127.0.0.1', 'localhost');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => api.call<TransponderJson | ErrorJson>('startup', { streamName: 'race1', rtmpUrl, options: SOUND_ON })),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const a of answers) if (a.status === 409) expect((a.body as ErrorJson).code).toBe('TRANSPONDER_EXISTS');
    const found = await api.call<TransponderJson[]>('find', { streamName: 'race1' });
    expect(found.body).toHaveLength(1);
    const id = found.body[0].mediaSessionId;
    await api.waitForStatus(id, 'PUBLISHING');
    await waitFor(() => healthy.hooks.calls.filter((c) => c.call === 'publish' && c.params.name === 'rtmp_race1').length === 1, {
      what: 'one publish at nginx',
    });
  });

  it('20 parallel startups to distinct URLs with a limit of N: never more than N succeed or run, the rest 503 LIMIT_REACHED', async () => {
    const limited = await extraService({ maxStreamsTotal: 1 });
    const n = transponderManagerOptionsFrom(limited.settings).maxTransponders;
    expect(n).toBeLessThan(20);
    await publish('limit1', { settings: limited.settings });
    let mostActive = 0;
    const sampler = setInterval(() => {
      const active = limited.service.transponders.findAll().filter((t) => !ENDED.has(t.status)).length;
      mostActive = Math.max(mostActive, active);
    }, 2);
    cleanups.push(() => clearInterval(sampler));

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limited.api.call<TransponderJson | ErrorJson>('startup', {
          streamName: 'limit1',
          rtmpUrl: `${healthy.url().replace('127.0.0.1', 'localhost')}/limit-${i}`,
          rtmpTransponderFullUrl: true,
          options: SOUND_ON, // a file to read: a real await inside each startup
        }),
      ),
    );
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(ok.length).toBe(n);
    expect(refused.map((a) => a.status)).toEqual(Array(20 - n).fill(503));
    for (const a of refused) expect((a.body as ErrorJson).code).toBe('LIMIT_REACHED');
    for (const a of ok) await limited.api.waitForStatus((a.body as TransponderJson).mediaSessionId, 'PUBLISHING');
    const all = await limited.api.findAll();
    expect(all.filter((t) => !ENDED.has(t.status))).toHaveLength(n);
    clearInterval(sampler);
    expect(mostActive).toBeLessThanOrEqual(n);
    for (const a of ok) await limited.api.call('terminate', { mediaSessionId: (a.body as TransponderJson).mediaSessionId });
  });

  it("the publisher's browser killed: every push of its stream ends with a reason, no ffmpeg is left, nginx sees each publish end — within the keep-alive deadline", async () => {
    const doomed = new ChromiumBrowser();
    cleanups.push(() => doomed.close());
    await doomed.launch({ audioFile: mic });
    await publish('killed1', { settings, browser: doomed });
    const ids = [
      (await api.startup({ streamName: 'killed1', rtmpUrl: flaky.url() })).mediaSessionId,
      (await api.startup({ streamName: 'killed1', rtmpUrl: healthy.url() })).mediaSessionId,
    ];
    for (const id of ids) await api.waitForStatus(id, 'PUBLISHING');
    await moreFrames(api, ids[0], 100);

    await doomed.kill();
    const deadline = settings.keepAliveServerInterval * settings.keepAliveProbes;
    const ended = await waitForValue(async () => {
      const all = await Promise.all(ids.map((id) => api.find(id)));
      return all.every((t) => t !== undefined && ENDED.has(t.status)) ? all : undefined;
    }, { what: 'every push of the stream ended', timeoutMs: deadline, intervalMs: 50 });
    for (const t of ended) expect(t!.reason).toMatch(/published stream ended/);
    await waitFor(() => ourFfmpegs().length === 0, { what: 'no ffmpeg child left', timeoutMs: deadline, intervalMs: 50 });
    await waitFor(() => flaky.publishEnded('rtmp_killed1') && healthy.publishEnded('rtmp_killed1'), {
      what: 'nginx saw both publishes end',
      timeoutMs: deadline,
      intervalMs: 50,
    });
  });

  it("the publisher's browser frozen (sockets open, nothing answered): the keep-alive ends the session and every push of its stream, with a reason", async () => {
    // A short keep-alive (1 s pings, 3 missed) so the deadline is seconds, not the default 50 s.
    const quick = await extraService({ keepAliveServerInterval: 1000, keepAliveProbes: 3 });
    const frozen = new ChromiumBrowser();
    cleanups.push(() => frozen.close());
    cleanups.push(() => frozen.kill().catch(() => undefined)); // a stopped browser never answers close()
    await frozen.launch({ audioFile: mic });
    await publish('frozen1', { settings: quick.settings, browser: frozen });
    const id = (await quick.api.startup({ streamName: 'frozen1', rtmpUrl: healthy.url() })).mediaSessionId;
    await quick.api.waitForStatus(id, 'PUBLISHING');
    await moreFrames(quick.api, id, 100);

    frozen.freeze();
    const deadline = quick.settings.keepAliveServerInterval * (quick.settings.keepAliveProbes + 1);
    const ended = await waitForValue(async () => {
      const t = await quick.api.find(id);
      return t && ENDED.has(t.status) ? t : undefined;
    }, { what: 'the push ended by the keep-alive', timeoutMs: deadline + 5000, intervalMs: 50 });
    expect(ended.reason).toMatch(/published stream ended/);
    expect(ended.reason).toMatch(/keep-alive/);
    await waitFor(() => ourFfmpegs().length === 0, { what: 'no ffmpeg child left', timeoutMs: 10_000, intervalMs: 50 });
    await waitFor(() => healthy.publishEnded('rtmp_frozen1'), { what: 'nginx saw the publish end', timeoutMs: 10_000, intervalMs: 50 });
  });

  describe('an ffmpeg child killed mid-stream', () => {
    /** The push ends FAILED naming the part, no ffmpeg is left, and nginx sees the publish end. */
    async function expectFailedNaming(id: string, part: RegExp, name: string): Promise<void> {
      const failed = await api.waitForStatus(id, 'FAILED', 10_000);
      expect(failed.reason).toMatch(part);
      // Ended is absorbing: terminate is answered (idempotent) and changes nothing.
      expect((await api.call('terminate', { mediaSessionId: id })).status).toBe(200);
      expect((await api.find(id))?.status).toBe('FAILED');
      await waitFor(() => ourFfmpegs().length === 0, { what: 'no ffmpeg child left', timeoutMs: 10_000, intervalMs: 50 });
      await waitFor(() => healthy.publishEnded(name), { what: 'nginx saw the publish end', timeoutMs: 10_000, intervalMs: 50 });
    }

    it('the AAC encoder: the push ends FAILED naming it, and never goes on as video without audio', async () => {
      await publish('ffkill1');
      const id = (await api.startup({ streamName: 'ffkill1', rtmpUrl: healthy.url() })).mediaSessionId;
      await api.waitForStatus(id, 'PUBLISHING');
      await moreFrames(api, id, 100);
      process.kill(await oneFfmpeg(/-c:a aac/, 'the AAC encoder'), 'SIGKILL');
      await expectFailedNaming(id, /AAC encoder/, 'rtmp_ffkill1');
      // What nginx got: the video does not run on past the audio (no silent push).
      const tags = recordedTags(await completeRecording(healthy, 'rtmp_ffkill1', 0));
      const lastAudio = Math.max(...mediaTags(tags, FlvTagType.Audio).map((t) => t.timestamp));
      const lastVideo = Math.max(...mediaTags(tags, FlvTagType.Video).map((t) => t.timestamp));
      expect(lastVideo - lastAudio).toBeLessThan(1000);
    });

    it('the AAC encoder while RESTORING: the push ends FAILED naming it', async () => {
      const scripted = new ScriptedRtmpServer('publish');
      await scripted.listen();
      cleanups.push(() => scripted.close());
      await publish('ffkill2');
      const id = (await api.startup({ streamName: 'ffkill2', rtmpUrl: scripted.url() })).mediaSessionId;
      await api.waitForStatus(id, 'PUBLISHING');
      scripted.mode = 'silent'; // the restore attempt hangs in the handshake
      scripted.dropAll();
      await api.waitForStatus(id, 'RESTORING');
      process.kill(await oneFfmpeg(/-c:a aac/, 'the AAC encoder'), 'SIGKILL');
      const failed = await api.waitForStatus(id, 'FAILED', 10_000);
      expect(failed.reason).toMatch(/AAC encoder/);
      await waitFor(() => ourFfmpegs().length === 0, { what: 'no ffmpeg child left', timeoutMs: 10_000, intervalMs: 50 });
      await waitFor(() => scripted.open === 0, { what: 'the restore attempt closed', timeoutMs: 5000 });
    });

    it('the AAC encoder host (every stream\'s encoder): a new one takes over, the push stays PUBLISHING, nginx gets audio with no gap', async () => {
      const other = await extraService({ aacEncoderHost: true });
      await publish('hostkill', { settings: other.settings });
      const id = (await other.api.startup({ streamName: 'hostkill', rtmpUrl: healthy.url() })).mediaSessionId;
      await other.api.waitForStatus(id, 'PUBLISHING');
      const statuses = watch(id, other.service);
      await moreFrames(other.api, id, 100);
      expect(ourFfmpegs()).toEqual([]); // its AAC is the host's, not a child of its own
      const host = other.service.aacHost!;
      const firstPid = host.pid!;
      process.kill(firstPid, 'SIGKILL');
      await waitFor(() => host.stats.restarts === 1 && host.pid !== undefined && host.pid !== firstPid, { what: 'a new host process' });
      await moreFrames(other.api, id, 150);
      expect(statuses.statuses).toEqual(['PUBLISHING']);
      expect((await other.api.call('terminate', { mediaSessionId: id })).status).toBe(200);
      // What nginx got: one publish, its audio one AAC frame apart throughout, and up to the end of the video.
      const tags = recordedTags(await completeRecording(healthy, 'rtmp_hostkill', 0));
      expect(healthy.recordings('rtmp_hostkill')).toHaveLength(1);
      const audio = mediaTags(tags, FlvTagType.Audio).filter((t) => t.data[1] === 1).map((t) => t.timestamp);
      const steps = audio.slice(1).map((ts, i) => ts - audio[i]);
      expect(steps.filter((d) => d !== 21 && d !== 22)).toEqual([]);
      const lastVideo = Math.max(...mediaTags(tags, FlvTagType.Video).map((t) => t.timestamp));
      expect(lastVideo - audio[audio.length - 1]).toBeLessThan(1000);
    });

    it('the video transcoder: the push ends FAILED naming it, and its AAC encoder goes too', async () => {
      await publish('ffkill3');
      const id = (await api.startup({ streamName: 'ffkill3', rtmpUrl: healthy.url(), height: 240 })).mediaSessionId;
      await api.waitForStatus(id, 'PUBLISHING');
      await moreFrames(api, id, 100);
      process.kill(await oneFfmpeg(/libx264/, 'the video transcoder'), 'SIGKILL');
      await expectFailedNaming(id, /video transcoder/, 'rtmp_ffkill3');
    });
  });
});
