/**
 * The go-live page and the admin page on the whole service, as a streamer and an admin
 * use them, relaying to nginx-rtmp: the YouTube preset (pointed at nginx's `live2` with
 * ?preset.youtube=…), a pasted key, Go live, a second destination added while live; the
 * admin page shows both with their ingest health, mutes one and terminates the other;
 * the go-live page removes the last. The stream keys appear nowhere in the pages' text,
 * their URLs, the console or the service's log. Screenshots at 1280x800 go to screenshots/ (git-ignored).
 * Runs in its own network namespace (unshare --net, lo up); everything is on 127.0.0.1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Settings } from '../../src/config';
import { TransponderService } from '../../src/server';
import type { TransponderInfo } from '../../src/transponder/transponder-api';
import { ChromiumBrowser, describeWithChromium } from '../helpers/chromium';
import { loopbackSettings } from '../helpers/loopback-settings';
import { MemoryLogger } from '../helpers/memory-logger';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

interface DestinationView { id: number; platform: string; status: string; mediaSessionId: string; muted: boolean; health?: { state: string; warnings: string[] } }
declare const window: {
  publisherState: { status: string; polls: number; destinations: DestinationView[] };
  scrollTo(x: number, y: number): void;
  adminState: { polls: number; transponders: TransponderInfo[]; streams: Array<{ name: string }>; timelines: Record<string, Array<{ status: string }>> };
};
declare const document: { body: { innerText: string; textContent: string } };

const YOUTUBE_KEY = 'yt-abcd-efgh-ijkl-mnop-SECRET1';
const CUSTOM_KEY = 'custom_SECRET2_key';
const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'screenshots');

describeWithChromium('go-live and admin pages on the whole service, relaying to nginx-rtmp', () => {
  let dir: string;
  let nginx: NginxRtmp;
  let service: TransponderService;
  let settings: Settings;
  let browser: ChromiumBrowser;
  const pages: Page[] = [];
  const consoleLines: string[] = [];
  const log = new MemoryLogger();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'golive-e2e-'));
    fs.writeFileSync(path.join(dir, 'jingle.wav'), Buffer.alloc(64));
    nginx = await NginxRtmp.start({ extraApps: ['live2'] });
    settings = await loopbackSettings({ mediaDir: dir });
    service = new TransponderService(settings, log);
    await service.start();
    browser = new ChromiumBrowser();
    await browser.launch();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
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

  async function open(pathAndQuery: string, initScript?: string): Promise<Page> {
    const page = await browser.newPage('about:blank');
    pages.push(page);
    if (initScript) await page.addInitScript(initScript);
    await page.setViewportSize({ width: 1280, height: 800 });
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => consoleLines.push(String(e)));
    page.on('dialog', (d) => void d.accept());
    await page.goto(`http://127.0.0.1:${settings.httpPort}${pathAndQuery}`);
    return page;
  }

  async function find(streamName: string): Promise<TransponderInfo[]> {
    const res = await fetch(`http://127.0.0.1:${settings.httpPort}/rest-api/push/find`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streamName }),
    });
    return res.status === 200 ? ((await res.json()) as TransponderInfo[]) : [];
  }

  function destinations(page: Page): Promise<DestinationView[]> {
    return page.evaluate(() => window.publisherState.destinations);
  }

  async function waitForDestination(page: Page, platform: string, status: string): Promise<DestinationView> {
    let seen: DestinationView[] = [];
    await waitFor(async () => (seen = await destinations(page)).some((d) => d.platform === platform && d.status === status), {
      timeoutMs: 30_000,
      what: `${platform} destination ${status}`,
      seen: () => JSON.stringify(seen),
    });
    return seen.find((d) => d.platform === platform)!;
  }

  /** Neither key in the page's text (rendered and raw), its input values, or its URL. */
  async function expectNoKeys(page: Page): Promise<void> {
    const text = await page.evaluate(() => document.body.innerText + '\n' + document.body.textContent);
    const values = await page.$$eval('input, select', (els) => els.map((e) => (e as unknown as { value: string }).value).join('\n'));
    for (const key of [YOUTUBE_KEY, CUSTOM_KEY]) {
      expect(text).not.toContain(key);
      expect(values).not.toContain(key);
      expect(page.url()).not.toContain(key);
    }
  }

  it('YouTube preset + key, Go live, a second destination while live; the admin page mutes one and terminates the other; the go-live page removes the last', async () => {
    const youtube = nginx.url('live2');
    const page = await open(`/?server=ws://127.0.0.1:${settings.wsPort}&name=golive1&preset.youtube=${encodeURIComponent(youtube)}`);
    // The preset's server is the overridden one; the key field is a password field.
    await page.selectOption('#platform', 'youtube');
    expect(await page.$$eval('#presetServer option', (os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual([youtube]);
    expect(await page.getAttribute('#streamKey', 'type')).toBe('password');
    await page.fill('#streamKey', YOUTUBE_KEY);
    await page.click('#addButton');
    expect(await page.inputValue('#streamKey')).toBe('');
    expect((await destinations(page)).map((d) => [d.platform, d.status])).toEqual([['youtube', 'WAITING']]);

    await page.click('#goLive');
    const yt = await waitForDestination(page, 'youtube', 'PUBLISHING');
    expect(yt.health?.state).toBe('Live on YouTube');
    // nginx-rtmp got the publish in live2 under the key.
    await waitFor(() => nginx.hooks.calls.some((c) => c.call === 'publish' && c.params.app === 'live2' && c.params.name === YOUTUBE_KEY), { timeoutMs: 20_000, what: 'publish in live2' });

    // A second destination while live: a custom URL with its key in the key field.
    await page.selectOption('#platform', 'custom');
    await page.fill('#customServer', nginx.url('live'));
    await page.fill('#streamKey', CUSTOM_KEY);
    await page.click('#addButton');
    const custom = await waitForDestination(page, 'custom', 'PUBLISHING');
    await waitFor(() => nginx.hooks.calls.some((c) => c.call === 'publish' && c.params.app === 'live' && c.params.name === CUSTOM_KEY), { timeoutMs: 20_000, what: 'publish in live' });
    const relays = await find('golive1');
    expect(relays.map((t) => t.status).sort()).toEqual(['PUBLISHING', 'PUBLISHING']);
    // The health line shows once a poll has the figures: bitrate, keyframes, audio, drops, reconnects.
    await page.locator(`li.dest[data-id="${yt.id}"] .figures`).waitFor({ timeout: 20_000 });
    expect(await page.locator(`li.dest[data-id="${yt.id}"] .figures`).textContent()).toMatch(/kbit\/s · .*keyframe.* · audio .* · \d+ frames? dropped · \d+ reconnects?/);
    await page.waitForFunction(() => document.body.innerText.includes('keyframe every'), undefined, { timeout: 20_000, polling: 500 });
    await expectNoKeys(page);
    // A few more polls, so the screenshot's charts have a line to show.
    const polls = await page.evaluate(() => window.publisherState.polls);
    await page.waitForFunction((n) => window.publisherState.polls >= n + 5, polls, { timeout: 30_000, polling: 500 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'golive.png') });

    const admin = await open('/admin.html');
    const rowOf = (id: string) => admin.locator(`tr[data-id="${id}"]`);
    await rowOf(yt.mediaSessionId).waitFor({ timeout: 20_000 });
    await rowOf(custom.mediaSessionId).waitFor({ timeout: 20_000 });
    // The stream with its ingest health.
    const streamRow = admin.locator('#streamRows tr[data-name="golive1"]');
    await streamRow.waitFor({ timeout: 20_000 });
    await admin.waitForFunction(() => document.body.innerText.includes('fps'), undefined, { timeout: 20_000 });
    expect(await streamRow.locator('[data-col=video]').textContent()).toMatch(/1280x720/);
    // Sound files of the media directory are offered.
    expect(await admin.$$eval('#soundFiles option', (os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual(['jingle.wav']);

    await rowOf(yt.mediaSessionId).locator('button[data-action=mute]').click();
    await waitFor(async () => (await find('golive1')).some((t) => t.mediaSessionId === yt.mediaSessionId && t.muted), { timeoutMs: 20_000, what: 'YouTube relay muted' });
    await rowOf(custom.mediaSessionId).locator('button[data-action=terminate]').click();
    await waitFor(async () => (await find('golive1')).some((t) => t.mediaSessionId === custom.mediaSessionId && t.status === 'TERMINATED'), { timeoutMs: 20_000, what: 'custom relay terminated' });
    // The timeline keeps the state changes with their reason.
    await rowOf(custom.mediaSessionId).locator('[data-col=timeline]').filter({ hasText: 'TERMINATED' }).waitFor({ timeout: 20_000 });
    await expectNoKeys(admin);
    await admin.waitForFunction(() => window.adminState.polls >= 6, undefined, { timeout: 30_000, polling: 500 });
    await admin.evaluate(() => window.scrollTo(0, 0));
    await admin.screenshot({ path: path.join(SCREENSHOTS, 'admin.png'), fullPage: false });

    // The go-live page sees both: a warning for the muted one, the terminated one stopped.
    await waitForDestination(page, 'custom', 'TERMINATED');
    await page.waitForFunction(() => window.publisherState.destinations.some((d) => d.muted && (d.health?.warnings ?? []).some((w) => w.includes('muted'))), undefined, { timeout: 20_000 });
    await page.locator(`li.dest[data-id="${yt.id}"] button[data-action=remove]`).click();
    await waitFor(async () => (await destinations(page)).every((d) => d.id !== yt.id), { timeoutMs: 20_000, what: 'YouTube destination removed' });
    await waitFor(async () => (await find('golive1')).every((t) => t.status === 'TERMINATED'), { timeoutMs: 20_000, what: 'every relay ended' });
    await expectNoKeys(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'golive-after.png') });

    for (const key of [YOUTUBE_KEY, CUSTOM_KEY]) expect(consoleLines.join('\n')).not.toContain(key);
    // The service logged the relays (to live2 and live), never with their keys.
    expect(log.text()).toContain('live2');
    for (const key of [YOUTUBE_KEY, CUSTOM_KEY]) expect(log.text()).not.toContain(key);
  });

  it('says plainly when the camera is refused, and when the streaming server cannot be reached', async () => {
    // The browser refusing the camera, as when the user blocks it: getUserMedia rejects with NotAllowedError.
    const refuse = `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));`;
    const page = await open(`/?server=ws://127.0.0.1:${settings.wsPort}&name=golive2`, refuse);
    await page.locator('#cameraError').filter({ hasText: 'not allowed to use the camera' }).waitFor({ timeout: 20_000 });
    expect(await page.isVisible('#retryCamera')).toBe(true);

    // Nothing listens on port 9 in this namespace.
    const offline = await open('/?server=ws://127.0.0.1:9&name=golive3');
    await offline.click('#goLive');
    await offline.locator('#error').filter({ hasText: 'Cannot reach the streaming server at ws://127.0.0.1:9' }).waitFor({ timeout: 15_000 });
    expect(await offline.textContent('#liveState')).toBe('Not live');
  });
});
