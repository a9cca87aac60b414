/**
 * Congestion feedback: Chromium must send at the rate the publisher may use within ~2 s,
 * at the camera's full resolution. We answer without transport-cc, with goog-remb (REMB at
 * the allowed maximum, every second) and x-google bitrate hints; Chromium's own getStats
 * shows the result.
 */
import { silentLogger } from '../../src/log';
import { SignalingServer } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
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

  /** Samples getStats every 250 ms for `ms` after PUBLISHING. */
  async function ramp(query: string, ms: number): Promise<Array<SenderStats & { t: number }>> {
    const page = await browser.newPage(`${pages.url}/?server=ws://127.0.0.1:${server.ports.ws}&autostart=1${query}`);
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'])).status).toBe('PUBLISHING');
    const started = Date.now();
    const samples: Array<SenderStats & { t: number }> = [];
    while (Date.now() - started < ms) {
      samples.push({ t: Date.now() - started, ...(await senderStats(page)) });
      await new Promise((r) => setTimeout(r, 250));
    }
    await page.close();
    return samples;
  }

  const show = (s: Array<SenderStats & { t: number }>): string =>
    s.map((x) => `${x.t}ms aob=${Math.round((x.availableOutgoingBitrate ?? 0) / 1000)} target=${Math.round((x.targetBitrate ?? 0) / 1000)} ${x.frameWidth}x${x.frameHeight}`).join('\n');

  it('reaches the configured maximum within 2 s at 1280x720', async () => {
    const samples = await ramp('&name=rate1', 4000);
    console.log(`ramp to the setting (2500 kbit/s):\n${show(samples)}`);
    const by2s = samples.filter((s) => s.t <= 2000);
    expect(by2s.some((s) => (s.availableOutgoingBitrate ?? 0) >= 2_400_000)).toBe(true);
    expect(by2s.some((s) => (s.targetBitrate ?? 0) >= 2_000_000)).toBe(true);
    for (const s of samples.filter((x) => x.frameWidth)) expect([s.frameWidth, s.frameHeight]).toEqual([1280, 720]);
  });

  it('follows the maxBitrate the publisher asks for in publishStream', async () => {
    const samples = await ramp('&name=rate2&minBitrate=800&maxBitrate=1200', 3000);
    console.log(`ramp to publishStream maxBitrate (1200 kbit/s):\n${show(samples)}`);
    const last = samples[samples.length - 1]!;
    expect(last.availableOutgoingBitrate).toBeGreaterThanOrEqual(1_100_000);
    expect(last.availableOutgoingBitrate).toBeLessThanOrEqual(1_300_000);
    expect([last.frameWidth, last.frameHeight]).toEqual([1280, 720]);
  });
});
