/**
 * Flashphoner's official example pages, unchanged, served by our service at WCS's path and
 * driven in headless Chromium as a person would (fill the fields, click the buttons, read
 * the status texts). Each test also records the page's WebSocket frames and asserts the
 * server answered nothing the page sent with `fail`.
 * Runs in its own network namespace (unshare --net, lo up); everything is on 127.0.0.1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page, WebSocket as PageSocket } from 'playwright-core';
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { ChromiumBrowser, describeWithChromium } from '../helpers/chromium';
import { freePort, NginxRtmp } from '../helpers/nginx-rtmp';
import { loopbackSettings } from '../helpers/loopback-settings';
import { decodeErrors, ffprobeStreams } from '../helpers/media-tools';
import { recordedMs } from '../helpers/flv-recording';
import { runCli, waitForOutput, type CliRun } from '../helpers/run-cli';
import { waitForValue } from '../helpers/wait-for';
import { picture, type Picture } from '../helpers/player-page';

jest.setTimeout(120_000);

interface Frame { message: string; data: Array<Record<string, unknown> | null> }

/** The WCS frames a page sent and received, over every WebSocket it opened. */
class PageFrames {
  readonly sent: Frame[] = [];
  readonly received: Frame[] = [];
  sockets = 0;

  constructor(page: Page) {
    page.on('websocket', (ws: PageSocket) => {
      this.sockets++;
      ws.on('framesent', (f) => { const m = parse(f.payload); if (m) this.sent.push(m); });
      ws.on('framereceived', (f) => { const m = parse(f.payload); if (m) this.received.push(m); });
    });
  }

  sentOf(message: string): Frame[] {
    return this.sent.filter((m) => m.message === message);
  }

  receivedOf(message: string): Frame[] {
    return this.received.filter((m) => m.message === message);
  }
}

function parse(payload: string | Buffer): Frame | undefined {
  try {
    return JSON.parse(String(payload)) as Frame;
  } catch {
    return undefined;
  }
}

const EXAMPLES = '/client2/examples/demo/streaming';

describeWithChromium('WCS example pages (unchanged, served by the service) in Chromium', () => {
  let nginx: NginxRtmp;
  let settings: Settings;
  let service: TransponderService;
  let browser: ChromiumBrowser;
  const pages: Page[] = [];
  let wsUrl: string;

  async function open(pagePath: string, base = `http://127.0.0.1:${settings.httpPort}`): Promise<{ page: Page; frames: PageFrames }> {
    const page = await browser.newPage(`${base}${EXAMPLES}/${pagePath}`);
    pages.push(page);
    const frames = new PageFrames(page);
    return { page, frames };
  }

  async function text(page: Page, selector: string): Promise<string> {
    return (await page.locator(selector).textContent())?.trim() ?? '';
  }

  /** Waits until the element's text is one of `wanted`; returns it. */
  async function shows(page: Page, selector: string, wanted: string[], timeoutMs = 30_000): Promise<string> {
    return waitForValue(async () => {
      const t = await text(page, selector);
      return wanted.includes(t) ? t : undefined;
    }, { what: `${selector} to show ${wanted.join(' or ')}`, timeoutMs, intervalMs: 100 });
  }

  /**
   * What a person sees of a <video>: it plays (currentTime moves on by half a second) and
   * shows a picture that is not black (Chromium's fake camera: a bright moving pattern).
   */
  async function videoPlays(page: Page, selector: string): Promise<Picture> {
    const first = await waitForValue(async () => { const p = await picture(page, selector); return p.currentTime > 0 && p.width > 0 ? p : undefined; }, { what: `${selector} showing a picture`, timeoutMs: 15_000, intervalMs: 100 });
    const later = await waitForValue(async () => { const p = await picture(page, selector); return p.currentTime > first.currentTime + 0.5 ? p : undefined; }, { what: `${selector} playing on`, timeoutMs: 15_000, intervalMs: 100 });
    expect(later.meanLuma).toBeGreaterThan(20);
    expect(later.lumaSpread).toBeGreaterThan(20);
    return later;
  }

  async function debugStream(name: string, httpPort = settings.httpPort): Promise<Record<string, any> | undefined> {
    const res = await fetch(`http://127.0.0.1:${httpPort}/debug/streams`);
    const list = (await res.json()) as Array<Record<string, any>>;
    return list.find((s) => s.streamName === name);
  }

  beforeAll(async () => {
    nginx = await NginxRtmp.start();
    settings = await loopbackSettings();
    service = new TransponderService(settings, silentLogger);
    await service.start();
    wsUrl = `ws://127.0.0.1:${settings.wsPort}`;
    browser = new ChromiumBrowser();
    // Two fake cameras, so "Media devices manager" can switch between them.
    await browser.launch({ extraArgs: ['--use-fake-device-for-media-stream=device-count=2'] });
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await nginx?.stop();
  });

  it('"WebRTC as RTMP republishing": Start shows PUBLISHING and the RTMP URL; nginx-rtmp receives H.264 + AAC that decodes; Stop shows UNPUBLISHED', async () => {
    const { page, frames } = await open('webrtc-as-rtmp-republishing/webrtc-as-rtmp-republishing.html');
    await page.fill('#url', wsUrl);
    await page.fill('#rtmpUrl', nginx.url());
    await page.fill('#streamName', 'rep1');
    await page.click('#publishBtn');
    expect(await shows(page, '#status', ['PUBLISHING', 'FAILED', 'DISCONNECTED'])).toBe('PUBLISHING');
    expect(await text(page, '#player')).toBe(`${nginx.url()}/rtmp_rep1`);
    const file = await waitForValue(() => nginx.recordings('rtmp_rep1')[0], { what: 'a recording of rtmp_rep1', timeoutMs: 15_000, intervalMs: 100 });
    await waitForValue(() => recordedMs(file) >= 3000, { what: '3 s of video at nginx', timeoutMs: 30_000, intervalMs: 200 });
    await page.click('#publishBtn'); // Stop
    expect(await shows(page, '#status', ['UNPUBLISHED', 'FAILED'])).toBe('UNPUBLISHED');
    await waitForValue(() => nginx.completeRecordings('rtmp_rep1').includes(file), { what: 'nginx to close the recording', timeoutMs: 15_000, intervalMs: 100 });
    const streams = await ffprobeStreams(file);
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(await decodeErrors(file)).toBe('');
    expect(frames.sentOf('publishStream')[0]?.data[0]).toMatchObject({ name: 'rep1', rtmpUrl: nginx.url() });
    expect(frames.receivedOf('fail')).toEqual([]);
  });

  it('"Two Way Streaming": publish, Available shows AVAILABLE for the published name and UNAVAILABLE "Stream not found" for another, Play shows PLAYING and the video plays, Send payload is shown at the player, Stop shows STOPPED', async () => {
    const { page, frames } = await open('two_way_streaming/two_way_streaming.html');
    await page.fill('#urlServer', wsUrl);
    await page.click('#connectBtn');
    expect(await shows(page, '#connectStatus', ['ESTABLISHED', 'FAILED', 'DISCONNECTED'])).toBe('ESTABLISHED');
    await page.fill('#publishStream', 'tw1');
    await page.click('#publishBtn');
    expect(await shows(page, '#publishStatus', ['PUBLISHING', 'FAILED'])).toBe('PUBLISHING');

    await page.fill('#playStream', 'tw1');
    await page.click('#availableBtn');
    expect(await shows(page, '#availableStatus', ['AVAILABLE', 'UNAVAILABLE'], 10_000)).toBe('AVAILABLE');
    await page.fill('#playStream', 'nobody-publishes-this');
    await page.click('#availableBtn');
    expect(await shows(page, '#availableStatus', ['UNAVAILABLE'], 10_000)).toBe('UNAVAILABLE');
    expect(await text(page, '#availableInfo')).toBe('Stream not found');

    // Play the published stream on the same page: PLAYING, the remote video plays.
    await page.fill('#playStream', 'tw1');
    await page.click('#playBtn');
    expect(await shows(page, '#playStatus', ['PLAYING', 'FAILED', 'STOPPED'])).toBe('PLAYING');
    await videoPlays(page, '#remoteVideo video');

    // The payload goes to the stream and comes back to its player, shown under "Received data".
    await page.fill('#streamData', '{"number":33,"string":"hello","boolean":true}');
    await page.click('#sendDataBtn');
    await waitForValue(async () => (await text(page, '#receivedData')).includes('{"number":33,"string":"hello","boolean":true}'), { what: 'the payload shown at the player', timeoutMs: 10_000, intervalMs: 100 });
    expect((await debugStream('tw1'))?.streamEvents?.data).toBe(1);
    expect(frames.sentOf('sendStreamEvent').map((m) => m.data[0])).toEqual([
      expect.objectContaining({ type: 'data', payload: { number: 33, string: 'hello', boolean: true } }),
    ]);
    const playId = frames.sentOf('playStream')[0]?.data[0]?.mediaSessionId;
    expect(frames.receivedOf('notifyStreamEvent').map((m) => m.data[0])).toEqual([
      { mediaSessionId: playId, streamName: 'tw1', type: 'data', payload: { number: 33, string: 'hello', boolean: true } },
    ]);
    expect(frames.receivedOf('availableStream').map((m) => m.data[0]?.status)).toEqual(['true', 'false']);

    await page.click('#playBtn'); // Stop
    expect(await shows(page, '#playStatus', ['STOPPED', 'FAILED'])).toBe('STOPPED');
    await page.click('#publishBtn'); // Stop
    expect(await shows(page, '#publishStatus', ['UNPUBLISHED', 'FAILED'])).toBe('UNPUBLISHED');
    expect(frames.receivedOf('fail')).toEqual([]);
  });

  it('"Streamer": Start publishes and plays its own preview (PUBLISHING, the preview video plays); "Player" plays the stream from another page (PLAYING, Stop → STOPPED); Stop on the Streamer shows UNPUBLISHED', async () => {
    // Both pages load at once (each loads its scripts and styles for about a second).
    const [{ page, frames }, player] = await Promise.all([open('streamer/streamer.html'), open('player/player.html')]);
    await page.fill('#url', `${wsUrl}/st1`);
    await page.click('#publishBtn');
    expect(await shows(page, '#status', ['PUBLISHING', 'FAILED', 'DISCONNECTED'])).toBe('PUBLISHING');
    // The page turns its button into Stop once the preview is PLAYING (a FAILED preview stops the publish).
    await waitForValue(async () => (await text(page, '#publishBtn')) === 'Stop', { what: 'the preview PLAYING (the button says Stop)', timeoutMs: 15_000, intervalMs: 100 });
    await videoPlays(page, '#remoteVideo video');
    expect(frames.receivedOf('notifyStreamStatusEvent').map((m) => m.data[0]?.status)).toEqual(expect.arrayContaining(['PUBLISHING', 'PLAYING']));

    await player.page.fill('#url', wsUrl);
    await player.page.fill('#streamName', 'st1');
    await player.page.click('#playBtn');
    expect(await shows(player.page, '#status', ['PLAYING', 'FAILED', 'STOPPED'])).toBe('PLAYING');
    await videoPlays(player.page, '#remoteVideo video');
    await player.page.click('#playBtn'); // Stop
    expect(await shows(player.page, '#status', ['STOPPED', 'FAILED'])).toBe('STOPPED');

    await page.click('#publishBtn'); // Stop: the page stops its preview, then its publish
    expect(await shows(page, '#status', ['UNPUBLISHED', 'FAILED'])).toBe('UNPUBLISHED');
    expect(frames.receivedOf('fail')).toEqual([]);
    expect(player.frames.receivedOf('fail')).toEqual([]);
  });

  it('"Media devices manager": switch camera, mute and unmute (kept on the stream, no fail), a connection quality shown once the rates flow; Play of the muted stream shows it muted, then unmuted as the publisher unmutes', async () => {
    const { page, frames } = await open('media_devices_manager/media_device_manager.html');
    await page.fill('#urlServer', wsUrl);
    await page.click('#connectBtn');
    expect(await shows(page, '#connectStatus', ['ESTABLISHED', 'FAILED', 'DISCONNECTED'])).toBe('ESTABLISHED');
    await page.fill('#publishStream', 'mdm1');
    await page.click('#publishBtn');
    expect(await shows(page, '#publishStatus', ['PUBLISHING', 'FAILED'])).toBe('PUBLISHING');

    // Quality: the SDK needs two inboundVideoRate messages; the page shows it in its stats.
    const quality = await waitForValue(async () => {
      const q = await page.locator('#quality-outConnectionStat').textContent().catch(() => null);
      return q && ['PERFECT', 'GOOD', 'BAD'].includes(q) ? q : undefined;
    }, { what: 'a connection quality on the page', timeoutMs: 20_000, intervalMs: 200 });
    expect(['PERFECT', 'GOOD', 'BAD']).toContain(quality);
    expect(frames.receivedOf('inboundVideoRate').length).toBeGreaterThanOrEqual(2);
    expect(frames.receivedOf('inboundVideoRate')[0]?.data[0]).toEqual({ mediaSessionId: expect.any(String), videoRate: expect.any(Number) });

    // Switch camera: the page lists Chromium's fake cameras.
    const cameras = await page.locator('#videoInput option').count();
    if (cameras >= 2) {
      const before = await page.locator('#videoInput').inputValue();
      await page.click('#switchBtn');
      await waitForValue(async () => (await page.locator('#videoInput').inputValue()) !== before, { what: 'the selected camera to change', timeoutMs: 10_000, intervalMs: 100 });
      // replaceTrack: no renegotiation, the stream stays PUBLISHING and live here. (Video
      // continuity is not asserted: headless Chromium's second fake camera gives the encoder
      // no frames after replaceTrack — the browser's own bytesSent stops too.)
      expect(await text(page, '#publishStatus')).toBe('PUBLISHING');
      expect((await debugStream('mdm1'))?.state).toBe('flowing');
    } else {
      console.warn(`switch camera step skipped: Chromium lists ${cameras} fake camera(s), the switch needs two`);
    }

    // Mute and unmute with the page's on/off switches (either half of a switch flips it).
    const toggle = async (id: string, on: boolean): Promise<void> => {
      await page.click(`#${id} + .btn-toggle button:first-child`);
      expect(await page.locator(`#${id}`).isChecked()).toBe(on);
    };
    await toggle('muteAudioToggle', true);
    await toggle('muteVideoToggle', true);
    await waitForValue(async () => {
      const s = await debugStream('mdm1');
      return s?.audioState?.muted === true && s?.videoState?.muted === true;
    }, { what: 'audio and video muted on the stream', timeoutMs: 10_000, intervalMs: 100 });

    // Play starts on a muted stream: the page shows the state PLAYING carried.
    await page.fill('#playStream', 'mdm1');
    await page.click('#playBtn');
    expect(await shows(page, '#playStatus', ['PLAYING', 'FAILED', 'STOPPED'])).toBe('PLAYING');
    expect(await text(page, '#audioMuted')).toBe('true');
    expect(await text(page, '#videoMuted')).toBe('true');

    // Unmute: the player hears it (notifyStreamEvent) and the page shows it.
    await toggle('muteAudioToggle', false);
    await toggle('muteVideoToggle', false);
    await waitForValue(async () => {
      const s = await debugStream('mdm1');
      return s?.audioState?.muted === false && s?.videoState?.muted === false;
    }, { what: 'audio and video unmuted on the stream', timeoutMs: 10_000, intervalMs: 100 });
    expect(await shows(page, '#audioMuted', ['false'], 10_000)).toBe('false');
    expect(await shows(page, '#videoMuted', ['false'], 10_000)).toBe('false');
    // (The played picture is not checked here: after the camera switch headless Chromium's
    // second fake camera feeds the encoder nothing, see above.)
    const types = frames.sentOf('sendStreamEvent').map((m) => m.data[0]?.type);
    expect(types).toEqual(expect.arrayContaining(['audioMuted', 'videoMuted', 'audioUnmuted', 'videoUnmuted']));
    expect(frames.receivedOf('notifyStreamEvent').map((m) => m.data[0]?.type)).toEqual(expect.arrayContaining(['audioUnmuted', 'videoUnmuted']));

    await page.click('#publishBtn'); // Stop: its player is stopped with it
    // UNPUBLISHED comes on the same socket after any answer to the events sent before it.
    expect(await shows(page, '#publishStatus', ['UNPUBLISHED', 'FAILED'])).toBe('UNPUBLISHED');
    expect(await shows(page, '#playStatus', ['STOPPED', 'FAILED'])).toBe('STOPPED');
    expect(frames.receivedOf('fail')).toEqual([]);
  });

  describe('"Stream auto restore" across a SIGTERM restart of the service', () => {
    let dir: string;
    let run: CliRun | undefined;
    let ports: { http: number; ws: number };
    let config: string;

    async function startService(): Promise<CliRun> {
      const r = runCli('src/main.ts', ['--config', config]);
      run = r;
      await waitForOutput(r, /rtmp-transponder started/, 60_000);
      return r;
    }

    /** Stops the service as an operator would (tsx relays SIGTERM to it); then nothing of the run is left, whatever happened. */
    async function stopService(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
      const r = run;
      run = undefined;
      if (!r) return null;
      if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill(signal);
      // A service that does not stop in time: tsx and the service under it, SIGKILLed as a group.
      const timer = setTimeout(() => void r.end(), 20_000);
      const code = await r.exited;
      clearTimeout(timer);
      await r.end();
      return code;
    }

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auto-restore-'));
      ports = { http: await freePort(), ws: await freePort() };
      config = path.join(dir, 'flashphoner.properties');
      fs.writeFileSync(config, [`http.port=${ports.http}`, `ws.port=${ports.ws}`, 'bind_address=127.0.0.1', 'ip=127.0.0.1', 'ip_local=127.0.0.1', ''].join('\n'));
    });

    afterEach(async () => {
      // SIGTERM first, so the service stops as in production; stopService then ends
      // the run's process group (tsx runs the service in a child of its own).
      await stopService('SIGTERM');
    });

    afterAll(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('the page shows FAILED when the service stops, reconnects to the restarted service and shows PUBLISHING again', async () => {
      await startService();
      const { page, frames } = await open('stream-auto-restore/stream-auto-restore.html', `http://127.0.0.1:${ports.http}`);
      // The page reconnects every 3 s (its own default restore timeout).
      await page.fill('#urlServer', `ws://127.0.0.1:${ports.ws}`);
      await page.click('#connectBtn');
      expect(await shows(page, '#connectStatus', ['ESTABLISHED', 'FAILED', 'DISCONNECTED'])).toBe('ESTABLISHED');
      await page.fill('#publishStream', 'restore1');
      await page.click('#publishBtn');
      expect(await shows(page, '#publishStatus', ['PUBLISHING', 'FAILED'])).toBe('PUBLISHING');
      const firstPublish = frames.sentOf('publishStream').length;

      expect(await stopService('SIGTERM')).toBe(0);
      expect(await shows(page, '#publishStatus', ['FAILED', 'UNPUBLISHED'])).toBe('FAILED');
      expect(frames.receivedOf('notifyStreamStatusEvent').map((m) => m.data[0]?.status)).not.toContain('UNPUBLISHED');

      await startService();
      await waitForValue(() => frames.sentOf('publishStream').length > firstPublish, { what: 'the page to publish again', timeoutMs: 30_000, intervalMs: 200 });
      expect(await shows(page, '#publishStatus', ['PUBLISHING'], 30_000)).toBe('PUBLISHING');
      expect(await shows(page, '#connectStatus', ['ESTABLISHED'], 5_000)).toBe('ESTABLISHED');
      await waitForValue(async () => (await debugStream('restore1', ports.http))?.state === 'flowing', { what: 'the stream live on the restarted service', timeoutMs: 10_000, intervalMs: 200 });
      expect(frames.sockets).toBeGreaterThanOrEqual(2);
      expect(frames.receivedOf('fail')).toEqual([]);
    });
  });
});
