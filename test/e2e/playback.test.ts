/**
 * WebRTC playback in the real browser: one page publishes with the official WebSDK,
 * another plays the stream with `session.createStream({name, display}).play()`.
 * Runs in its own network namespace (unshare --net, lo up); everything is on 127.0.0.1.
 */
import type { Page } from 'playwright-core';
import { silentLogger } from '../../src/log';
import { Playback, defaultPlaybackOptions } from '../../src/playback';
import { SignalingServer } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import type { PublisherHandle as Publisher } from '../../src/webrtc/publisher-host';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { ChromiumBrowser, describeWithChromium, PageServer, stopPublishing, waitForStatus } from '../helpers/chromium';
import { waitFor } from '../helpers/wait-for';
import { inbound, picture, viewerScript, waitForViewerStatus, type ViewerPageState } from '../helpers/player-page';

jest.setTimeout(120000);

declare const window: { viewerState: ViewerPageState; viewerApi: { play(name: string): void; stop(): void } };

describeWithChromium('WebRTC playback with the official WebSDK in Chromium', () => {
  let registry: StreamRegistry;
  let playback: Playback;
  let server: SignalingServer;
  let pages: PageServer;
  let browser: ChromiumBrowser;

  beforeAll(async () => {
    registry = new StreamRegistry(silentLogger);
    const webrtc = { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1' };
    playback = new Playback(defaultPlaybackOptions, webrtc, silentLogger);
    server = new SignalingServer({
      port: 0, host: '127.0.0.1', maxMessageBytes: 64 * 1024, maxStreamsPerSession: 4, maxStreamsTotal: 16,
      keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 15000, webrtc, playback,
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
    await playback?.close('test over');
  });

  const openPages: Page[] = [];
  afterEach(async () => {
    playback.update({ maxViewersPerStream: defaultPlaybackOptions.maxViewersPerStream, maxViewersTotal: defaultPlaybackOptions.maxViewersTotal });
    await Promise.all(openPages.splice(0).map((p) => p.close()));
    await waitFor(() => playback.viewerCount === 0 && registry.list().length === 0, { timeoutMs: 15_000, what: 'every viewer and publisher of the test gone' });
  });

  async function publish(name: string): Promise<{ page: Page; publisher: Publisher }> {
    const published = new Promise<Publisher>((resolve) => {
      const onPublish = (p: Publisher): void => { if (p.streamName === name) { registry.off('publish', onPublish); resolve(p); } };
      registry.on('publish', onPublish);
    });
    const page = await browser.newPage(`${pages.url}/?server=ws://127.0.0.1:${server.ports.ws}&name=${name}&autostart=1`);
    openPages.push(page);
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'])).status).toBe('PUBLISHING');
    return { page, publisher: await published };
  }

  async function player(): Promise<Page> {
    const page = await browser.newPage(`${pages.url}/?server=ws://127.0.0.1:${server.ports.ws}`);
    openPages.push(page);
    await page.evaluate(viewerScript(`ws://127.0.0.1:${server.ports.ws}`));
    await page.waitForFunction(() => window.viewerState.session === 'ESTABLISHED', undefined, { timeout: 10_000, polling: 50 });
    return page;
  }

  it('plays a published stream: PLAYING, moving non-black pictures with audio; stopStream ends it with STOPPED', async () => {
    const { publisher } = await publish('play1');
    const page = await player();
    await page.evaluate(() => window.viewerApi.play('play1'));
    const playing = await waitForViewerStatus(page, ['PLAYING', 'FAILED', 'STOPPED']);
    expect(playing.status).toBe('PLAYING');
    expect(playback.viewerCount).toBe(1);

    const first = await waitFor(async () => { const p = await picture(page); return p.currentTime > 0 && p.width > 0 ? p : undefined; }, { timeoutMs: 15_000, what: 'the player showing a picture' });
    const later = await waitFor(async () => { const p = await picture(page); return p.currentTime > first.currentTime + 1 ? p : undefined; }, { timeoutMs: 15_000, what: 'currentTime one second further' });
    // Chromium's fake camera: a bright moving pattern, never black.
    expect(later.meanLuma).toBeGreaterThan(20);
    expect(later.lumaSpread).toBeGreaterThan(20);
    expect(later.width).toBe(publisher.toJSON().video?.width);
    expect(later.audioTracks).toBe(1);
    expect(later.videoTracks).toBe(1);
    const received = await waitFor(async () => { const r = await inbound(page); return r.audioPackets > 50 && r.videoFrames > 10 ? r : undefined; }, { timeoutMs: 10_000, what: 'audio packets and decoded frames at the player' });
    const state = await page.evaluate(() => window.viewerState);
    expect(state.firstFrameAt).toBeGreaterThan(state.playAt);
    const viewer = playback.list()[0]!;
    expect(viewer.toJSON().video?.senderReports).toBeGreaterThan(0);
    expect(viewer.toJSON().keyframeRequests).toBeGreaterThan(0);
    console.log(`playback: play() → first frame ${Math.round(state.firstFrameAt - state.playAt)} ms; ${later.width}x${later.height}; player decoded ${received.videoFrames} frames, ${received.audioPackets} audio packets, ${received.nacks} NACKs`);

    await page.evaluate(() => window.viewerApi.stop());
    const stopped = await waitForViewerStatus(page, ['STOPPED', 'FAILED']);
    expect(stopped.status).toBe('STOPPED');
    expect(stopped.history).toEqual(['PLAYING', 'STOPPED']);
    await waitFor(() => playback.viewerCount === 0, { what: 'the viewer gone after stopStream' });
    expect(viewer.closed).toBe(true);
    expect(publisher.closed).toBe(false);
  });

  it('a publisher that stops ends its players with STOPPED "Stopped by publisher stop"', async () => {
    const { page: publisherPage } = await publish('play2');
    const page = await player();
    await page.evaluate(() => window.viewerApi.play('play2'));
    expect((await waitForViewerStatus(page, ['PLAYING', 'FAILED'])).status).toBe('PLAYING');
    await stopPublishing(publisherPage);
    const end = await waitForViewerStatus(page, ['STOPPED', 'FAILED']);
    expect(end).toMatchObject({ status: 'STOPPED', info: 'Stopped by publisher stop' });
    await waitFor(() => playback.viewerCount === 0, { what: 'the viewer gone with its publisher' });
  });

  it('closing the player page releases its viewer', async () => {
    await publish('play3');
    const page = await player();
    await page.evaluate(() => window.viewerApi.play('play3'));
    expect((await waitForViewerStatus(page, ['PLAYING', 'FAILED'])).status).toBe('PLAYING');
    const viewer = playback.list()[0]!;
    openPages.splice(openPages.indexOf(page), 1);
    await page.close();
    await waitFor(() => playback.viewerCount === 0, { what: 'the viewer released after its page closed' });
    expect(viewer.closed).toBe(true);
    await viewer.drained;
  });

  it('a name nobody publishes fails with "Stream not found"; beyond the per-stream limit a play fails and says which limit', async () => {
    const page = await player();
    await page.evaluate(() => window.viewerApi.play('nobody'));
    expect(await waitForViewerStatus(page, ['PLAYING', 'FAILED'])).toMatchObject({ status: 'FAILED', info: 'Stream not found' });
    expect(playback.viewerCount).toBe(0);

    await publish('play4');
    playback.update({ maxViewersPerStream: 1 });
    const one = await player();
    await one.evaluate(() => window.viewerApi.play('play4'));
    expect((await waitForViewerStatus(one, ['PLAYING', 'FAILED'])).status).toBe('PLAYING');
    const two = await player();
    await two.evaluate(() => window.viewerApi.play('play4'));
    const refused = await waitForViewerStatus(two, ['PLAYING', 'FAILED']);
    expect(refused.status).toBe('FAILED');
    expect(refused.info).toMatch(/Limit of 1 players per stream/);
    expect(playback.viewerCount).toBe(1);
  });
});
