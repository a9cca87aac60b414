/**
 * Congestion feedback: Chromium must come to send at the rate the publisher may use, at
 * the camera's full resolution. How fast it gets there (2.4 Mbit/s within ~2 s here) is
 * measured by `npm run bench -- ingest` (getStats at 1, 2 and 5 s); this test asserts
 * that it gets there and keeps the resolution. We answer without transport-cc, with
 * goog-remb (REMB at the allowed maximum, every second) and x-google bitrate hints;
 * Chromium's own getStats shows the result.
 */
import type { Page } from 'playwright-core';
import { silentLogger } from '../../src/log';
import { SignalingServer } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { waitFor } from '../helpers/wait-for';
import { ChromiumBrowser, describeWithChromium, PageServer, senderStats, waitForStatus, type SenderStats } from '../helpers/chromium';

jest.setTimeout(90000);

describeWithChromium('bitrate feedback to Chromium', () => {
  let registry: StreamRegistry;
  let server: SignalingServer;
  let pages: PageServer;
  let browser: ChromiumBrowser;

  beforeAll(async () => {
    registry = new StreamRegistry(silentLogger);
    server = new SignalingServer({
      port: 0, host: '127.0.0.1', maxMessageBytes: 65536, maxStreamsPerSession: 4, maxStreamsTotal: 16,
      keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 15000,
      webrtc: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1', minBitrateKbps: 1000, maxBitrateKbps: 2500 },
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
  });

  let page: Page | undefined;
  afterEach(async () => {
    await page?.close();
    page = undefined;
  });

  /** Opens a publishing page; then samples getStats every 250 ms until `done` holds for a sample, or the deadline. */
  async function publishUntil(query: string, done: (s: SenderStats) => boolean, timeoutMs: number): Promise<Array<SenderStats & { t: number }>> {
    page = await browser.newPage(`${pages.url}/?server=ws://127.0.0.1:${server.ports.ws}&autostart=1${query}`);
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'])).status).toBe('PUBLISHING');
    const open = page;
    const started = performance.now();
    const samples: Array<SenderStats & { t: number }> = [];
    await waitFor(
      async () => {
        const s = { t: Math.round(performance.now() - started), ...(await senderStats(open)) };
        samples.push(s);
        return done(s);
      },
      { timeoutMs, intervalMs: 250, what: `Chromium's sender stats to reach the target (${query})`, seen: () => show(samples.slice(-8)) },
    );
    return samples;
  }

  const show = (s: Array<SenderStats & { t: number }>): string =>
    s.map((x) => `${x.t}ms aob=${Math.round((x.availableOutgoingBitrate ?? 0) / 1000)} target=${Math.round((x.targetBitrate ?? 0) / 1000)} ${x.frameWidth}x${x.frameHeight}`).join('\n');

  it('reaches the configured maximum at 1280x720', async () => {
    const samples = await publishUntil('&name=rate1', (s) => (s.availableOutgoingBitrate ?? 0) >= 2_400_000 && (s.targetBitrate ?? 0) >= 2_000_000, 30_000);
    console.log(`ramp to the setting (2500 kbit/s):\n${show(samples)}`);
    for (const s of samples.filter((x) => x.frameWidth)) expect([s.frameWidth, s.frameHeight]).toEqual([1280, 720]);
  });

  it('follows the maxBitrate the publisher asks for in publishStream', async () => {
    // The size is only reported once a frame was encoded: wait for it too (the rate may be there first).
    const inWindow = (s: SenderStats): boolean =>
      (s.availableOutgoingBitrate ?? 0) >= 1_100_000 && (s.availableOutgoingBitrate ?? 0) <= 1_300_000 && s.frameWidth !== undefined;
    const samples = await publishUntil('&name=rate2&minBitrate=800&maxBitrate=1200', inWindow, 30_000);
    console.log(`ramp to publishStream maxBitrate (1200 kbit/s):\n${show(samples)}`);
    const last = samples[samples.length - 1]!;
    expect([last.frameWidth, last.frameHeight]).toEqual([1280, 720]);
  });
});
