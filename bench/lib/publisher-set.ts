/**
 * The publishers of a benchmark scenario: N streams named `${prefix}1…N`, published to
 * a service under test and kept publishing until stop().
 *
 * - LoadPublishers: tools/load-publisher.ts (werift sending a pre-encoded H.264 + Opus
 *   source in real time) in its own process: deterministic and light.
 * - ChromiumPublishers: one headless Chromium with a fake camera (a busy testsrc2 y4m)
 *   and microphone, one go-live page (the official WebSDK) per stream: the real
 *   publisher, whose encoders compete with the service for the cores (overload).
 */
import type { Page } from 'playwright-core';
import { ChromiumBrowser, PageServer, senderStats, waitForStatus } from '../../test/helpers/chromium';
import { BenchChild } from './child';
import { ensureY4m } from './y4m';

export interface PublisherSource {
  width: number;
  height: number;
  videoKbps: number;
}

export interface PublisherSet {
  /** What the report calls these publishers. */
  readonly label: string;
  /** Resolves once every stream is PUBLISHING at the service. */
  start(wsUrl: string, prefix: string, streams: number): Promise<void>;
  /** Ends everything start() began; safe to call after a failed start. */
  stop(): Promise<void>;
  /** What the publishers themselves counted, summed over streams, where they can tell. */
  sent?(): Promise<PublisherCounts>;
}

export interface PublisherCounts {
  /** video frames the publishers sent */
  frames: number;
  /** NACKs the publishers received from the service */
  nacks: number;
}

export class LoadPublishers implements PublisherSet {
  readonly label: string;
  private generator: BenchChild | undefined;

  constructor(private readonly source: PublisherSource) {
    this.label = `load generator (werift, pre-encoded ${source.width}x${source.height} H.264 ${source.videoKbps} kbit/s + Opus)`;
  }

  async start(wsUrl: string, prefix: string, streams: number): Promise<void> {
    const s = this.source;
    this.generator = new BenchChild('load-publisher', 'tools/load-publisher.ts', ['--url', wsUrl, '--streams', String(streams), '--duration', '3600', '--prefix', prefix, '--video-kbps', String(s.videoKbps), '--size', `${s.width}x${s.height}`]);
    await this.generator.waitFor(/streams PUBLISHING on /, 30_000 + streams * 2000);
  }

  async stop(): Promise<void> {
    await this.generator?.stop();
    this.generator = undefined;
  }
}

export class ChromiumPublishers implements PublisherSet {
  readonly label: string;
  private readonly browser = new ChromiumBrowser();
  private readonly pages = new PageServer();
  private readonly opened: Page[] = [];

  constructor(private readonly source: PublisherSource) {
    this.label = `Chromium (WebSDK go-live page, fake camera testsrc2 ${source.width}x${source.height} 30 fps, maxBitrate ${source.videoKbps} kbit/s, Opus)`;
  }

  async start(wsUrl: string, prefix: string, streams: number): Promise<void> {
    const s = this.source;
    await this.pages.start();
    await this.browser.launch({ videoFile: ensureY4m(s.width, s.height, 30, 10) });
    for (let i = 1; i <= streams; i++) {
      const query = new URLSearchParams({ server: wsUrl, name: `${prefix}${i}`, autostart: '1', width: String(s.width), height: String(s.height), maxBitrate: String(s.videoKbps) });
      const page = await this.browser.newPage(`${this.pages.url}/?${query.toString()}`);
      this.opened.push(page);
      const state = await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000 + streams * 2000);
      if (state.status !== 'PUBLISHING') throw new Error(`Chromium page ${i} did not publish: ${state.status} ${state.info}`);
    }
  }

  /** From each page's getStats (outbound-rtp video: framesSent, nackCount). */
  async sent(): Promise<PublisherCounts> {
    const all = await Promise.all(this.opened.map((page) => senderStats(page)));
    return { frames: all.reduce((n, s) => n + (s.framesSent ?? 0), 0), nacks: all.reduce((n, s) => n + (s.nackCount ?? 0), 0) };
  }

  async stop(): Promise<void> {
    this.opened.length = 0;
    await this.browser.close();
    await this.pages.stop();
  }
}
