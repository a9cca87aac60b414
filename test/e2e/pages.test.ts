/**
 * The demo pages in headless Chromium: the publisher page's relay controls and
 * setResolution, and the admin view, against the REST API and page routes the service
 * serves (createRestServer + registerPages) over a transponder layer the test controls,
 * with the real WCS signaling and WebRTC ingest behind the publisher page.
 * Runs in its own network namespace (unshare --net, lo up); everything is on 127.0.0.1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { createRestServer } from '../../src/rest';
import { TransponderService } from '../../src/server';
import type { RestAuthOptions } from '../../src/rest/auth';
import { SignalingServer } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { TransponderError, type TransponderInfo } from '../../src/transponder/transponder-api';
import { registerPages } from '../../src/web-pages';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { ChromiumBrowser, describeWithChromium, senderStats, waitForStatus } from '../helpers/chromium';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { FakeStreamApi, publishedStream, publisherStats } from '../rest/fake-stream-api';
import { FakeTransponderApi } from '../rest/fake-transponder-api';
import { loopbackSettings } from '../helpers/loopback-settings';
import { holdsFor, waitFor } from '../helpers/wait-for';

jest.setTimeout(90000);

/** The page globals this test reads (publisher.js and admin.js). */
interface RelayState {
  mediaSessionId: string;
  status: string;
  reason: string;
  muted: boolean;
  bitrateKbps: number;
  error: string;
  polls: number;
}
declare const window: {
  publisherState: { status: string; width: number; height: number; relay: RelayState };
  publisherApi: {
    streamName(): string;
    setResolution(width: number, height: number): Promise<{ width: number; height: number }>;
    relay(url: string, opts?: Record<string, unknown>): Promise<TransponderInfo>;
  };
  adminState: { transponders: TransponderInfo[]; error: string; polls: number; authRequired: boolean };
  adminApi: { refresh(): Promise<void> };
};
declare const document: { querySelectorAll(sel: string): { length: number } };

const SECRET_KEY = 'live_9f8e7d6c5b4a_secretkey';
const SECRET_PASSWORD = 'hunter2-password';

describeWithChromium('demo pages (publisher relay controls, admin view) in Chromium', () => {
  let registry: StreamRegistry;
  let signaling: SignalingServer;
  let api: FakeTransponderApi;
  let streams: FakeStreamApi;
  let http: FastifyInstance;
  let browser: ChromiumBrowser;
  let base: string;
  const pages: Page[] = [];

  /**
   * Chromium keeps speculative sockets open that never carry a request; Node does not
   * count them as idle, so fastify's close would wait for them: end every connection.
   */
  async function closeHttp(): Promise<void> {
    if (!http) return;
    const closing = http.close();
    http.server.closeAllConnections();
    await closing;
  }

  async function startHttp(auth: RestAuthOptions): Promise<void> {
    await closeHttp();
    http = createRestServer({ api, streams, auth, logger: silentLogger, extraRoutes: registerPages });
    await http.listen({ port: 0, host: '127.0.0.1' });
    const address = http.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${address.port}`;
  }

  beforeAll(async () => {
    registry = new StreamRegistry(silentLogger);
    signaling = new SignalingServer({
      port: 0, host: '127.0.0.1', maxMessageBytes: 65536, maxStreamsPerSession: 4, maxStreamsTotal: 16,
      keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 15000,
      webrtc: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1', minBitrateKbps: 1000, maxBitrateKbps: 2500 },
    }, registry, silentLogger);
    await signaling.listen();
    browser = new ChromiumBrowser();
    await browser.launch();
  });

  beforeEach(async () => {
    api = new FakeTransponderApi();
    streams = new FakeStreamApi();
    await startHttp({ disabled: true });
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
    await closeHttp();
  });

  afterAll(async () => {
    await browser?.close();
    await signaling?.close();
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage(`${base}${path}`);
    pages.push(page);
    // Terminate asks for confirmation.
    page.on('dialog', (d) => void d.accept());
    return page;
  }

  async function publisherPage(name: string, query = ''): Promise<Page> {
    const page = await open(`/publisher.html?server=ws://127.0.0.1:${signaling.ports.ws}&name=${name}&autostart=1${query}`);
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'])).status).toBe('PUBLISHING');
    return page;
  }

  function relayState(page: Page): Promise<RelayState> {
    return page.evaluate(() => window.publisherState.relay);
  }

  async function waitForRelay(page: Page, status: string): Promise<RelayState> {
    await page.waitForFunction((s) => window.publisherState.relay.status === s, status, { timeout: 10000, polling: 100 });
    return relayState(page);
  }

  function onlyTransponder(): TransponderInfo {
    const list = [...api.transponders.values()];
    expect(list).toHaveLength(1);
    return list[0]!;
  }

  describe('publisher page', () => {
    it('Start relay posts startup with the published name and shows the state and bitrate live; mute, unmute and Stop relay act on it', async () => {
      const page = await publisherPage('relay1');
      expect(await page.evaluate(() => window.publisherApi.streamName())).toBe('relay1');
      const url = `rtmp://127.0.0.1:1935/live/${SECRET_KEY}`;
      await page.fill('#rtmpUrl', url);
      await page.check('#fullUrl');
      await page.click('#relayStart');

      const pending = await waitForRelay(page, 'PENDING');
      const t = onlyTransponder();
      expect(api.calls.find((c) => c.method === 'startup')?.args[0]).toEqual({ streamName: 'relay1', rtmpUrl: url, rtmpTransponderFullUrl: true });
      expect(pending.mediaSessionId).toBe(t.mediaSessionId);

      // The page follows the transponder with find every second. With a full URL, the
      // name at the RTMP server is the stream key itself, as the service reports it.
      t.streamName = SECRET_KEY;
      t.status = 'PUBLISHING';
      t.stats.bitrateKbps = 2345;
      await waitForRelay(page, 'PUBLISHING');
      await page.waitForFunction(() => window.publisherState.relay.bitrateKbps === 2345);
      expect(await page.textContent('#relayStatus')).toBe('PUBLISHING');
      expect(await page.textContent('#relayBitrate')).toBe('2345 kbit/s');
      const finds = api.calls.filter((c) => c.method === 'find');
      expect(finds.length).toBeGreaterThanOrEqual(1);
      expect(finds[0]!.args[0]).toEqual({ streamName: 'relay1' });
      // The stream key is not on the page.
      expect(await page.textContent('#relayDestination')).toBe('rtmp://127.0.0.1:1935/live/***  →  ***');
      expect(await page.locator('#relay').evaluate((e: unknown) => (e as { innerText: string }).innerText)).not.toContain('secretkey');

      await page.click('#relayMute');
      await page.waitForFunction(() => window.publisherState.relay.muted);
      expect(t.muted).toBe(true);
      expect(await page.isDisabled('#relayMute')).toBe(true);
      await page.click('#relayUnmute');
      await page.waitForFunction(() => !window.publisherState.relay.muted);
      expect(t.muted).toBe(false);

      await page.click('#relayStop');
      await waitForRelay(page, 'TERMINATED');
      expect(api.calls.filter((c) => c.method === 'terminate').map((c) => c.args[0])).toEqual([t.mediaSessionId]);
      expect(api.transponders.size).toBe(0);
      // A new relay can be started.
      expect(await page.isEnabled('#relayStart')).toBe(true);
    });

    it('sends the transcoding fields, and the server ending the relay shows with its reason', async () => {
      const page = await publisherPage('relay2');
      await page.fill('#rtmpUrl', 'rtmp://127.0.0.1:1935/live');
      await page.click('#transcode summary');
      await page.fill('#tWidth', '640');
      await page.fill('#tHeight', '360');
      await page.fill('#tFps', '25');
      await page.fill('#tBitrate', '800');
      await page.fill('#tKeyFrameInterval', '50');
      await page.click('#relayStart');
      await waitForRelay(page, 'PENDING');
      expect(api.calls.find((c) => c.method === 'startup')?.args[0]).toEqual({
        streamName: 'relay2', rtmpUrl: 'rtmp://127.0.0.1:1935/live', width: 640, height: 360, fps: 25, bitrate: 800, keyFrameInterval: 50,
      });
      const t = onlyTransponder();
      t.status = 'FAILED';
      t.reason = 'RTMP server refused the publish';
      const end = await waitForRelay(page, 'FAILED');
      expect(end.reason).toBe('RTMP server refused the publish');
      expect(await page.textContent('#relayStatus')).toBe('FAILED (RTMP server refused the publish)');
      // Polling (every second while the relay is active) stops once the transponder has ended.
      const polls = end.polls;
      await holdsFor(async () => (await relayState(page)).polls === polls, { durationMs: 2500, intervalMs: 200, what: 'no more polls after FAILED' });
    });

    it('shows API errors with their message: a validation error and a refusal', async () => {
      const page = await publisherPage('relay3');
      await page.fill('#rtmpUrl', 'http://example.invalid/live');
      await page.click('#relayStart');
      await page.waitForFunction(() => window.publisherState.relay.error !== '');
      const error = await page.textContent('#relayError');
      expect(error).toMatch(/^Start relay: .*rtmp/i);
      expect(error).toContain('INVALID_RTMP_URL');
      expect(api.calls.filter((c) => c.method === 'startup')).toHaveLength(0);

      api.failWith.set('startup', new TransponderError('LIMIT_REACHED', 'The transponder limit is reached'));
      await page.fill('#rtmpUrl', 'rtmp://127.0.0.1:1935/live');
      await page.click('#relayStart');
      await page.waitForFunction(() => window.publisherState.relay.error.includes('limit'));
      expect(await page.textContent('#relayError')).toBe('Start relay: The transponder limit is reached (LIMIT_REACHED)');
      expect((await relayState(page)).status).toBe('NONE');
    });

    it('an rtmpUrl given before publishing goes to the WebSDK, and the panel follows the relay the server starts', async () => {
      const url = 'rtmp://127.0.0.1:1935/live';
      // The fake API does not listen to signaling: make the transponder the service would.
      registry.once('publish', (p) => {
        api.add({ sourceStreamName: p.streamName, streamName: `rtmp_${p.streamName}`, rtmpUrl: url, status: 'CONNECTING' });
      });
      const page = await publisherPage('relay4', `&rtmpUrl=${encodeURIComponent(url)}`);
      expect(await page.inputValue('#rtmpUrl')).toBe(url);
      const seen = await waitForRelay(page, 'CONNECTING');
      expect(seen.mediaSessionId).toBe(onlyTransponder().mediaSessionId);
      expect(await page.textContent('#relay .hint')).toContain('before');
      onlyTransponder().status = 'PUBLISHING';
      await waitForRelay(page, 'PUBLISHING');
    });

    it('setResolution changes the size of the frames the server receives (1280x720 → 640x360)', async () => {
      const page = await publisherPage('resize1');
      const publisher = registry.get('resize1')!;
      const size = (): { width?: number; height?: number } => ({ width: publisher.toJSON().video?.width, height: publisher.toJSON().video?.height });
      await waitFor(() => size().width === 1280, { timeoutMs: 10_000, what: 'frames of 1280 pixels', seen: () => JSON.stringify(size()) });
      expect(size()).toEqual({ width: 1280, height: 720 });

      const applied = await page.evaluate(() => window.publisherApi.setResolution(640, 360));
      expect(applied).toEqual({ width: 640, height: 360 });
      await waitFor(() => size().width === 640, { timeoutMs: 10_000, what: 'frames of 640 pixels', seen: () => JSON.stringify(size()) });
      expect(size()).toEqual({ width: 640, height: 360 });
      const stats = await senderStats(page);
      expect([stats.frameWidth, stats.frameHeight]).toEqual([640, 360]);
      await page.waitForFunction(() => window.publisherState.width === 640);
      expect(await page.textContent('#resolution')).toBe('640x360');
    });
  });

  describe('go-live page', () => {
    const YT_KEY = 'yt-key-0000-SECRET';

    it('asks for credentials on 401, then starts the waiting destination with the preset server and the key as a full URL; Remove terminates it', async () => {
      await startHttp({ disabled: false, token: 'tok-9' });
      const page = await open(`/?server=ws://127.0.0.1:${signaling.ports.ws}&name=golive9`);
      await page.fill('#streamKey', YT_KEY);
      await page.click('#addButton');
      await page.click('#goLive');
      await waitForStatus(page, ['PUBLISHING']);
      await page.waitForSelector('#auth', { state: 'visible' });
      expect(api.calls.filter((c) => c.method === 'startup')).toHaveLength(0);
      expect(await page.locator('li.dest').getAttribute('data-status')).toBe('WAITING');
      await page.fill('#authValue', 'tok-9');
      await page.click('#authSave');
      await waitFor(() => api.calls.some((c) => c.method === 'startup'), { what: 'startup after the credentials' });
      expect(api.calls.find((c) => c.method === 'startup')?.args[0]).toEqual({
        streamName: 'golive9', rtmpUrl: `rtmp://a.rtmp.youtube.com/live2/${YT_KEY}`, rtmpTransponderFullUrl: true,
      });
      const t = onlyTransponder();
      t.status = 'PUBLISHING';
      t.streamName = YT_KEY;
      await page.locator('li.dest[data-status=PUBLISHING]').waitFor({ timeout: 10_000 });
      expect(await page.textContent('li.dest .server')).toBe('rtmp://a.rtmp.youtube.com/live2');
      expect((await page.textContent('body')) ?? '').not.toContain('SECRET');
      await page.click('li.dest button[data-action=remove]');
      await waitFor(() => api.transponders.size === 0, { what: 'terminate on Remove' });
      // The card goes once terminate has answered.
      await page.locator('li.dest').waitFor({ state: 'detached', timeout: 10_000 });
      expect(api.calls.filter((c) => c.method === 'terminate').map((c) => c.args[0])).toEqual([t.mediaSessionId]);
    });
  });

  describe('admin page', () => {
    function waitForRows(page: Page, n: number): Promise<unknown> {
      return page.waitForFunction((count) => document.querySelectorAll('#rows tr').length === count, n, { timeout: 10000, polling: 100 });
    }

    it('lists every transponder with the stream key and password masked; mute, unmute, sound on/off and terminate act on one', async () => {
      const a = api.add({ sourceStreamName: 'cam1', streamName: 'rtmp_cam1', rtmpUrl: `rtmp://user:${SECRET_PASSWORD}@127.0.0.1:1935/live/${SECRET_KEY}?token=${SECRET_KEY}`, status: 'PUBLISHING' });
      api.add({ sourceStreamName: 'cam2', streamName: 'rtmp_cam2', rtmpUrl: 'rtmps://ingest.example/app', status: 'RESTORING', reason: 'connection reset', stats: { bytesSent: 1, bitrateKbps: 0, framesSent: 1200, videoFramesSent: 600, framesDropped: 7, videoFramesDropped: 7, audioFramesDropped: 0, queuedBytes: 0, serverLagMs: 1840, lagHolds: 1, restoreAttempts: 2, restores: 1, bufferMs: 350 } });
      const full = api.add({ sourceStreamName: 'cam5', streamName: SECRET_KEY, rtmpUrl: `rtmp://127.0.0.1/live/${SECRET_KEY}` });
      const page = await open('/admin.html');
      await waitForRows(page, 3);
      expect(await page.locator(`tr[data-id="${full.mediaSessionId}"] [data-col=published]`).textContent()).toBe('***');
      const rowA = page.locator(`tr[data-id="${a.mediaSessionId}"]`);
      expect(await rowA.locator('[data-col=stream]').textContent()).toBe('cam1');
      expect(await rowA.locator('[data-col=published]').textContent()).toBe('rtmp_cam1');
      expect(await rowA.locator('[data-col=dest]').textContent()).toMatch(/^rtmp:\/\/127\.0\.0\.1:1935\/live\/\*\*\*\?\*\*\*/);
      expect(await rowA.locator('[data-col=bitrate]').textContent()).toBe('2500 kbit/s');
      const body = (await page.textContent('body')) ?? '';
      expect(body).not.toContain(SECRET_PASSWORD);
      expect(body).not.toContain(SECRET_KEY);
      expect(body).not.toContain('secretkey');
      const rowB = page.locator('tr', { hasText: 'rtmp_cam2' });
      expect(await rowB.locator('[data-col=status]').textContent()).toBe('RESTORINGconnection reset');
      expect(await rowB.locator('[data-col=frames]').textContent()).toBe('1200 / 7');
      expect(await rowB.locator('[data-col=bitrate]').textContent()).toBe('0 kbit/sserver 1840 ms behind');
      expect(await rowB.locator('[data-col=restores]').textContent()).toBe('1 (attempt 2)');
      expect(await rowB.locator('[data-col=buffer]').textContent()).toBe('350 ms');
      expect(await rowB.locator('[data-col=dest]').textContent()).toMatch(/^rtmps:\/\/ingest\.example\/app/);

      await rowA.locator('button[data-action=mute]').click();
      await page.waitForFunction((id) => window.adminState.transponders.some((t) => t.mediaSessionId === id && t.muted), a.mediaSessionId);
      expect(a.muted).toBe(true);
      expect(await rowA.locator('[data-col=audio]').textContent()).toBe('muted');
      await rowA.locator('button[data-action=unmute]').click();
      await page.waitForFunction((id) => window.adminState.transponders.some((t) => t.mediaSessionId === id && !t.muted), a.mediaSessionId);

      await rowA.locator('input[data-field=soundFile]').fill('beep.wav');
      await rowA.locator('input[data-field=loop]').check();
      await rowA.locator('button[data-action=sound_on]').click();
      await page.waitForFunction((id) => window.adminState.transponders.some((t) => t.mediaSessionId === id && t.soundEnabled), a.mediaSessionId);
      expect(api.calls.find((c) => c.method === 'soundOn')?.args).toEqual([a.mediaSessionId, 'beep.wav', true]);
      // The refresh keeps what was typed in the row.
      await page.evaluate(() => window.adminApi.refresh());
      expect(await rowA.locator('input[data-field=soundFile]').inputValue()).toBe('beep.wav');
      await rowA.locator('button[data-action=sound_off]').click();
      await page.waitForFunction((id) => window.adminState.transponders.some((t) => t.mediaSessionId === id && !t.soundEnabled), a.mediaSessionId);

      await rowA.locator('button[data-action=terminate]').click();
      await waitForRows(page, 2);
      expect(api.transponders.has(a.mediaSessionId)).toBe(false);
      expect(await page.isVisible('#empty')).toBe(false);
    });

    it('lists published streams with their ingest health, and starts a relay of one with transcode options, muted', async () => {
      streams.add(publishedStream('cam7', { stats: publisherStats('cam7', { width: 1280, height: 720 }) }));
      const page = await open('/admin.html');
      const row = page.locator('#streamRows tr[data-name="cam7"]');
      await row.waitFor({ timeout: 10_000 });
      expect(await row.locator('[data-col=video]').textContent()).toBe('1280x720, 24 fpskeyframes: measuring');
      expect(await row.locator('[data-col=loss]').textContent()).toBe('4 lost / 3 / 5audio 1 lost');
      expect(await row.locator('[data-col=audio]').textContent()).toBe('129 kbit/sopus/48000/2');
      // The keyframe spacing comes from the count's growth between polls.
      streams.streams[0]!.stats.video!.keyframes += 3;
      await row.locator('[data-col=video]').filter({ hasText: /keyframe every \d+\.\d s/ }).waitFor({ timeout: 10_000 });

      await row.locator('input[data-field=rtmpUrl]').fill(`rtmp://127.0.0.1:1935/live/${SECRET_KEY}`);
      await row.locator('input[data-field=muted]').check();
      await row.locator('details summary').click();
      for (const [field, value] of [['width', '640'], ['height', '360'], ['fps', '25'], ['bitrate', '800'], ['keyFrameInterval', '50']] as const) {
        await row.locator(`input[data-field=${field}]`).fill(value);
      }
      await row.locator('button[data-action=start_relay]').click();
      await waitForRows(page, 1);
      expect(api.calls.find((c) => c.method === 'startup')?.args[0]).toEqual({
        streamName: 'cam7', rtmpUrl: `rtmp://127.0.0.1:1935/live/${SECRET_KEY}`, rtmpTransponderFullUrl: true,
        width: 640, height: 360, fps: 25, bitrate: 800, keyFrameInterval: 50, options: { action: 'mute' },
      });
      expect(await row.locator('input[data-field=rtmpUrl]').inputValue()).toBe('');
      expect((await page.textContent('body')) ?? '').not.toContain(SECRET_KEY);
    });

    // How each kind of destination is shown: test/e2e/redaction-page.test.ts, from the shared table.

    it('find_all 404 shows "no transponders"; errors from an action are shown with their message', async () => {
      const page = await open('/admin.html');
      await page.waitForFunction(() => window.adminState.polls >= 1);
      expect(await page.isVisible('#empty')).toBe(true);
      expect(await page.textContent('#empty')).toMatch(/no transponders/i);
      expect(await page.textContent('#error')).toBe('');

      const t = api.add({ sourceStreamName: 'cam3', streamName: 'rtmp_cam3' });
      await waitForRows(page, 1);
      expect(await page.isVisible('#empty')).toBe(false);
      api.failWith.set('soundOn', new TransponderError('SOUND_FILE_NOT_FOUND', 'No such file', 'soundFile'));
      const row = page.locator(`tr[data-id="${t.mediaSessionId}"]`);
      await row.locator('input[data-field=soundFile]').fill('missing.wav');
      await row.locator('button[data-action=sound_on]').click();
      await page.waitForFunction(() => window.adminState.error !== '');
      expect(await page.textContent('#error')).toBe('sound_on (cam3): No such file (SOUND_FILE_NOT_FOUND, field soundFile)');
    });

    it('text from the server is shown as text, never as markup', async () => {
      const evil = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
      api.add({ sourceStreamName: evil, streamName: evil, rtmpUrl: 'rtmp://127.0.0.1/live', status: 'FAILED', reason: evil });
      const page = await open('/admin.html');
      await waitForRows(page, 1);
      expect(await page.locator('#rows [data-col=stream]').textContent()).toBe(evil);
      expect(await page.locator('#rows img, #rows b').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    });

    it('asks for credentials when the REST API answers 401, and sends them as Bearer or Basic', async () => {
      await startHttp({ disabled: false, token: 'tok-123', user: 'admin', password: 'pw:with:colons' });
      api.add({ sourceStreamName: 'cam4', streamName: 'rtmp_cam4' });
      const page = await open('/admin.html');
      await page.waitForSelector('#auth', { state: 'visible' });
      expect(await page.textContent('#error')).toContain('UNAUTHORIZED');
      await page.fill('#authValue', 'tok-123');
      await page.click('#authSave');
      await waitForRows(page, 1);
      expect(await page.isVisible('#auth')).toBe(false);

      // user:password, in the same tab: the publisher page uses it too.
      await page.evaluate(() => sessionStorage.setItem('rtmp-transponder.restAuth', 'admin:pw:with:colons'));
      await page.evaluate(() => window.adminApi.refresh());
      expect(await page.evaluate(() => window.adminState.error)).toBe('');
      await page.evaluate(() => sessionStorage.setItem('rtmp-transponder.restAuth', 'admin:wrong'));
      await page.evaluate(() => window.adminApi.refresh());
      expect(await page.evaluate(() => window.adminState.authRequired)).toBe(true);
    });
  });
});

describeWithChromium('demo pages on the whole service, relaying to nginx-rtmp', () => {
  let dir: string;
  let nginx: NginxRtmp;
  let service: TransponderService;
  let settings: Settings;
  let browser: ChromiumBrowser;
  const pages: Page[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pages-e2e-'));
    nginx = await NginxRtmp.start();
    settings = await loopbackSettings({
      mediaDir: dir,
    });
    service = new TransponderService(settings, silentLogger);
    await service.start();
    browser = new ChromiumBrowser();
    await browser.launch();
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
  });

  afterAll(async () => {
    // The browser first: its idle keep-alive sockets would hold the HTTP server's close.
    await browser?.close();
    await service?.stop();
    await nginx?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function find(streamName: string): Promise<TransponderInfo[]> {
    const res = await fetch(`http://127.0.0.1:${settings.httpPort}/rest-api/push/find`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streamName }),
    });
    return res.status === 200 ? ((await res.json()) as TransponderInfo[]) : [];
  }

  async function open(pathAndQuery: string): Promise<Page> {
    const page = await browser.newPage(`http://127.0.0.1:${settings.httpPort}${pathAndQuery}`);
    pages.push(page);
    page.on('dialog', (d) => void d.accept());
    return page;
  }

  it('Start relay on the publisher page makes a transponder that reaches PUBLISHING; the admin page lists it, mutes it and terminates it', async () => {
    const publisher = await open(`/publisher.html?server=ws://127.0.0.1:${settings.wsPort}&name=web1&autostart=1`);
    expect((await waitForStatus(publisher, ['PUBLISHING', 'FAILED'], 30000)).status).toBe('PUBLISHING');
    await publisher.fill('#rtmpUrl', nginx.url());
    await publisher.click('#relayStart');
    await publisher.waitForFunction(() => window.publisherState.relay.status === 'PUBLISHING', undefined, { timeout: 20000, polling: 200 });
    expect(await publisher.textContent('#relayStatus')).toBe('PUBLISHING');
    await publisher.waitForFunction(() => window.publisherState.relay.bitrateKbps > 0, undefined, { timeout: 10000, polling: 200 });
    const [t] = await find('web1');
    expect(t).toMatchObject({ streamName: 'rtmp_web1', status: 'PUBLISHING', muted: false });
    expect(await publisher.textContent('#relayDestination')).toContain(`${nginx.url()}  →  rtmp_web1`);

    const admin = await open('/admin.html');
    const row = admin.locator(`tr[data-id="${t!.mediaSessionId}"]`);
    await row.waitFor({ timeout: 10000 });
    expect(await row.locator('[data-col=stream]').textContent()).toBe('web1');
    expect(await row.locator('[data-col=published]').textContent()).toBe('rtmp_web1');
    expect(await row.locator('[data-col=status]').textContent()).toBe('PUBLISHING');

    await row.locator('button[data-action=mute]').click();
    await admin.waitForFunction(() => window.adminState.transponders.some((x) => x.muted), undefined, { timeout: 10000 });
    expect((await find('web1'))[0]!.muted).toBe(true);
    // The publisher page sees it on its next find.
    await publisher.waitForFunction(() => window.publisherState.relay.muted, undefined, { timeout: 5000 });
    await row.locator('button[data-action=unmute]').click();
    await admin.waitForFunction(() => window.adminState.transponders.every((x) => !x.muted), undefined, { timeout: 10000 });
    expect((await find('web1'))[0]!.muted).toBe(false);

    await row.locator('button[data-action=terminate]').click();
    await admin.waitForFunction(() => window.adminState.transponders.every((x) => x.status === 'TERMINATED'), undefined, { timeout: 10000 });
    expect((await find('web1')).map((x) => x.status)).toEqual(['TERMINATED']);
    // Ended transponders stay listed a while, marked and without actions, unless hidden.
    expect(await row.locator('[data-col=status]').textContent()).toMatch(/^TERMINATED/);
    expect(await row.locator('button[data-action=mute]').isDisabled()).toBe(true);
    await admin.uncheck('#showEnded');
    expect(await admin.locator('#rows tr').count()).toBe(0);
    expect(await admin.textContent('#empty')).toBe('No active transponders.');
    await publisher.waitForFunction(() => window.publisherState.relay.status === 'TERMINATED', undefined, { timeout: 5000 });
    expect(await publisher.isEnabled('#relayStart')).toBe(true);
  });

  it('setResolution mid-relay: the published frames go from 1280x720 to 640x360', async () => {
    const publisher = await open(`/publisher.html?server=ws://127.0.0.1:${settings.wsPort}&name=web2&autostart=1`);
    expect((await waitForStatus(publisher, ['PUBLISHING', 'FAILED'], 30000)).status).toBe('PUBLISHING');
    const info = await publisher.evaluate((url) => window.publisherApi.relay(url), nginx.url());
    expect(info).toMatchObject({ streamName: 'rtmp_web2' });
    await publisher.waitForFunction(() => window.publisherState.relay.status === 'PUBLISHING', undefined, { timeout: 20000, polling: 200 });
    const size = (): string => {
      const v = service.registry.get('web2')?.toJSON().video;
      return `${v?.width}x${v?.height}`;
    };
    const waitSize = (want: string): Promise<boolean> => waitFor(() => size() === want, { timeoutMs: 10_000, what: `frames of ${want}`, seen: size });
    await waitSize('1280x720');
    expect(await publisher.evaluate(() => window.publisherApi.setResolution(640, 360))).toEqual({ width: 640, height: 360 });
    await waitSize('640x360');
    // The relay goes on through the change.
    await holdsFor(async () => (await find('web2'))[0]?.status === 'PUBLISHING', { durationMs: 2000, intervalMs: 200, what: 'the relay PUBLISHING after the change' });
    await publisher.evaluate(() => (window as unknown as { publisherApi: { stopRelay(): Promise<void> } }).publisherApi.stopRelay());
  });
});

declare const sessionStorage: { setItem(k: string, v: string): void };
