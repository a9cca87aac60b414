/**
 * The real browser publishes with the official WebSDK and our server receives it.
 * Runs in its own network namespace (unshare --net, lo up); everything is on 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { silentLogger } from '../../src/log';
import { SignalingServer } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import type { AudioFrame, VideoFrame } from '../../src/media/frames';
import type { PublisherHandle as Publisher } from '../../src/webrtc/publisher-host';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { ChromiumBrowser, describeWithChromium, PageServer, pageState, stopPublishing, waitForStatus } from '../helpers/chromium';
import { oggOpusFile } from '../webrtc/ogg-opus-writer';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(90000);

const FFMPEG = '/usr/bin/ffmpeg';

function annexB(frames: VideoFrame[]): Buffer {
  const start = Buffer.from([0, 0, 0, 1]);
  return Buffer.concat(frames.flatMap((f) => f.nalUnits.flatMap((n) => [start, n])));
}

/** Frames ffmpeg decodes from a file, or the error it printed. */
function decodedFrames(file: string, extra: string[] = []): { frames: number; stderr: string; status: number | null } {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-v', 'error', ...extra, '-i', file, '-f', 'framemd5', '-'], { encoding: 'utf8', timeout: 30000 });
  const frames = r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).length;
  return { frames, stderr: r.stderr, status: r.status };
}

describeWithChromium('WebRTC ingest with the official WebSDK in Chromium', () => {
  let registry: StreamRegistry;
  let server: SignalingServer;
  let pages: PageServer;
  let browser: ChromiumBrowser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ingest-e2e-'));
    registry = new StreamRegistry(silentLogger);
    server = new SignalingServer({
      port: 0,
      host: '127.0.0.1',
      maxMessageBytes: 64 * 1024,
      maxStreamsPerSession: 4,
      maxStreamsTotal: 16,
      keepAliveIntervalMs: 5000,
      keepAliveTimeoutMs: 15000,
      webrtc: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1', minBitrateKbps: 1500, maxBitrateKbps: 2500 },
    }, registry, silentLogger);
    await server.listen();
    pages = new PageServer();
    await pages.start();
    browser = new ChromiumBrowser();
    await browser.launch();
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // What a test opens, closed after it whether it passed or not.
  const openPages: Page[] = [];
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await Promise.all(openPages.splice(0).map((p) => p.close()));
  });

  async function open(name: string, query = ''): Promise<Page> {
    const page = await browser.newPage(`${pages.url}/?server=ws://127.0.0.1:${server.ports.ws}&name=${name}&autostart=1${query}`);
    openPages.push(page);
    return page;
  }

  it('publishes, and the frames decode with ffmpeg; a keyframe follows requestKeyframe; unpublish ends the stream', async () => {
    // A consumer that attaches on 'publish' sees the stream from its first frame on.
    const video: VideoFrame[] = [];
    const audio: AudioFrame[] = [];
    let lastKeyframeAt = Number.NEGATIVE_INFINITY;
    const published = new Promise<Publisher>((resolve) => registry.once('publish', (p) => {
      p.on('video', (f) => {
        video.push(f);
        if (f.keyframe) lastKeyframeAt = performance.now();
      });
      p.on('audio', (f) => audio.push(f));
      resolve(p);
    }));
    const page = await open('cam1');
    const state = await waitForStatus(page, ['PUBLISHING', 'FAILED']);
    expect(state.status).toBe('PUBLISHING');
    const publisher = await published;
    expect(registry.get('cam1')).toBe(publisher);
    // Enough media to judge, and Chromium past its first keyframe: it ignores requests
    // that come within ~300 ms of its last keyframe.
    const settled = (): boolean => video.length >= 30 && audio.length > 100 && performance.now() - lastKeyframeAt >= 400;
    await waitFor(settled, { timeoutMs: 20_000, what: '30 video and 100 audio frames, 400 ms after a keyframe', seen: () => `${video.length} video, ${audio.length} audio` });

    // A keyframe follows the request (how soon: `npm run bench -- relay`, startup keyframe).
    const askedAt = performance.now();
    const before = video.length;
    const requests = publisher.toJSON().video!.keyframeRequests;
    publisher.requestKeyframe();
    publisher.requestKeyframe(); // within rtcp_pli_request_interval: not sent again
    expect(publisher.toJSON().video!.keyframeRequests).toBe(requests + 1);
    await waitFor(() => video.slice(before).find((f) => f.keyframe), { timeoutMs: 10_000, what: 'a keyframe after requestKeyframe()' });
    const keyframeDelay = Math.round(performance.now() - askedAt);
    // It answered our one request, not a later one of ours.
    expect(publisher.toJSON().video!.keyframeRequests).toBe(requests + 1);
    await waitFor(() => performance.now() - lastKeyframeAt >= 400, { timeoutMs: 5_000, what: '400 ms since the last keyframe' });

    // A starting consumer's urgent request is not held back by rtcp_pli_request_interval.
    const urgentBefore = video.length;
    const beforeUrgent = publisher.toJSON().video!.keyframeRequests;
    publisher.requestKeyframe({ urgent: true });
    expect(publisher.toJSON().video!.keyframeRequests).toBe(beforeUrgent + 1);
    await waitFor(() => video.slice(urgentBefore).find((f) => f.keyframe), { timeoutMs: 10_000, what: 'a keyframe after an urgent request' });

    const stats = publisher.toJSON();
    expect(stats.video?.width).toBe(1280);
    expect(stats.video?.height).toBe(720);
    expect(stats.video?.keyframes).toBeGreaterThanOrEqual(1);
    expect(stats.audio?.frames).toBeGreaterThan(100);

    // The stream starts with a keyframe carrying SPS and PPS, and every access unit decodes
    expect(video[0]!.keyframe).toBe(true);
    expect(video[0]!.nalUnits.map((n) => n[0]! & 0x1f).slice(0, 2)).toEqual([7, 8]);
    const h264 = join(dir, 'cam1.h264');
    writeFileSync(h264, annexB(video));
    const v = decodedFrames(h264);
    expect(v.stderr).toBe('');
    expect(v.status).toBe(0);
    expect(v.frames).toBe(video.length);

    const ogg = join(dir, 'cam1.opus');
    writeFileSync(ogg, oggOpusFile(audio.map((a) => a.opus)));
    const a = decodedFrames(ogg);
    expect(a.status).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.frames).toBeGreaterThan(100);

    // pts: one clock, never backwards per track, audio and video close together
    for (const list of [video, audio]) {
      for (let i = 1; i < list.length; i++) expect(list[i]!.pts).toBeGreaterThanOrEqual(list[i - 1]!.pts);
    }
    expect(Math.abs(video[video.length - 1]!.pts - audio[audio.length - 1]!.pts)).toBeLessThan(500);

    console.log(`e2e cam1: ${video.length} video frames (${stats.video?.keyframes} keyframes, ${stats.video?.width}x${stats.video?.height}, ${stats.video?.bitrateKbps} kbit/s), ${audio.length} audio frames, keyframe ${keyframeDelay} ms after request, ffmpeg decoded ${v.frames} video / ${a.frames} audio frames`);

    const closed = new Promise<string>((resolve) => publisher.once('close', resolve));
    const unpublished = new Promise<string>((resolve) => registry.once('unpublish', (_p, reason) => resolve(reason)));
    await stopPublishing(page);
    const end = await waitForStatus(page, ['UNPUBLISHED', 'FAILED']);
    expect(end.status).toBe('UNPUBLISHED');
    expect(await closed).toMatch(/unpublished/);
    expect(await unpublished).toMatch(/unpublished/);
    expect(registry.get('cam1')).toBeUndefined();
    expect(publisher.closed).toBe(true);
  });

  it('closing the page ends the stream and frees the name', async () => {
    const published = new Promise<Publisher>((resolve) => registry.once('publish', (p) => resolve(p)));
    const page = await open('cam2');
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'])).status).toBe('PUBLISHING');
    const publisher = await published;
    const closed = new Promise<string>((resolve) => publisher.once('close', resolve));
    await page.close();
    expect(await closed).toMatch(/session closed/);
    expect(registry.get('cam2')).toBeUndefined();
    expect(registry.isFree('cam2')).toBe(true);
  });

  it('a server that stops looks to the WebSDK like a server that went away: the stream FAILED (what "Stream auto restore" restarts on), never UNPUBLISHED', async () => {
    // A server of its own, stopped in the middle of a publish (a rolling restart).
    const own = new SignalingServer({
      port: 0, host: '127.0.0.1', maxMessageBytes: 64 * 1024, maxStreamsPerSession: 4, maxStreamsTotal: 16,
      keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 15000,
      webrtc: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1' },
    }, new StreamRegistry(silentLogger), silentLogger);
    await own.listen();
    try {
      const page = await browser.newPage(`${pages.url}/?server=ws://127.0.0.1:${own.ports.ws}&name=restart1&autostart=1`);
      openPages.push(page);
      expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'])).status).toBe('PUBLISHING');
      await own.close();
      const state = await waitForStatus(page, ['FAILED', 'UNPUBLISHED']);
      expect(state.status).toBe('FAILED');
      expect(state.history).not.toContain('UNPUBLISHED');
      // The socket was cut: the session is over too (DISCONNECTED, as after a network loss).
      const after = await waitFor(async () => {
        const st = await pageState(page);
        return st.session !== 'ESTABLISHED' ? st : undefined;
      }, { timeoutMs: 10_000, what: 'the session to end' });
      expect(['FAILED', 'DISCONNECTED']).toContain(after.session);
    } finally {
      await own.close();
    }
  });

  it('a second publish of a published name fails with the WCS info, the first keeps publishing', async () => {
    const page1 = await open('dup');
    expect((await waitForStatus(page1, ['PUBLISHING', 'FAILED'])).status).toBe('PUBLISHING');
    const page2 = await open('dup');
    const second = await waitForStatus(page2, ['PUBLISHING', 'FAILED']);
    expect(second.status).toBe('FAILED');
    expect(second.info).toBe('Stream name is already in use');
    expect((await pageState(page1)).status).toBe('PUBLISHING');
    expect(registry.get('dup')?.closed).toBe(false);
  });

  it('bad input on another session gets its errors while a browser keeps publishing', async () => {
    let frames = 0;
    registry.once('publish', (p) => p.on('video', () => { frames++; }));
    const page = await open('steady');
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'])).status).toBe('PUBLISHING');

    const ws = new WebSocket(`ws://127.0.0.1:${server.ports.ws}`);
    sockets.push(ws);
    const heard: Array<{ message: string; data: Array<Record<string, unknown>> }> = [];
    ws.on('message', (d) => heard.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    const send = (message: string, payload: unknown): void => ws.send(JSON.stringify({ message, data: [payload] }));
    send('connection', { appKey: 'defaultApp' });
    ws.send('not json at all');
    send('somethingUnknown', {});
    send('publishStream', { mediaSessionId: 'b1', name: 'bad1' });
    send('publishStream', { mediaSessionId: 'b2', name: 'bad2', sdp: 'v=0\r\ngarbage' });
    ws.send(JSON.stringify({ message: 'publishStream', data: [{ mediaSessionId: 'b3', sdp: 'x'.repeat(1024 * 1024) }] }));
    send('publishStream', { mediaSessionId: 'b4', name: 'steady', sdp: 'v=0' });
    const before = frames;
    const infos = (): string[] => heard.filter((m) => m.message === 'fail' || m.message === 'notifyStreamStatusEvent').map((m) => String(m.data[0]!.info));
    await waitFor(() => infos().length >= 6, { timeoutMs: 10_000, what: 'six answers to bad input', seen: () => JSON.stringify(infos()) });
    // The browser's stream goes on meanwhile (half a second of video at 30 fps).
    await waitFor(() => frames - before > 15, { timeoutMs: 10_000, what: 'the browser to go on sending video', seen: () => `${frames - before} frames` });
    expect(infos()).toEqual([
      'Message is not JSON',
      'somethingUnknown is not supported',
      'SDP offer is missing in publishStream',
      'Bad SDP: SDP line is not <type>=<value>: garbage',
      'Message of 1048645 bytes is larger than the limit of 65536',
      'Stream name is already in use',
    ]);
    expect((await pageState(page)).status).toBe('PUBLISHING');
  });
});
