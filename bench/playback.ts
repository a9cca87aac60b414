/**
 * The playback benchmark: what WebRTC players of one published stream cost our process.
 *
 *   npx tsx bench/playback.ts [--quick]      prints a markdown section
 *
 * In one process: the signaling server with Playback, one Chromium page publishing
 * 720p30 testsrc2 (a y4m through the fake camera: a busy picture, so the encoder sends
 * a realistic 1.5–2.5 Mbit/s) with the official WebSDK, then 1 and 4 player pages of the same
 * browser. Measured: this process's CPU (process.cpuUsage, % of one core) with no player
 * and with each count (the difference per player is the forwarding cost: rewrite, SRTP,
 * send, reports), and play() → first frame rendered (requestVideoFrameCallback in the
 * page). Chromium's own work runs in its processes and is not counted. Then, with the
 * players gone, the glass-to-glass delay of a preview: a page publishes a canvas that
 * flips through known greys and plays it back, timing each flip on one clock
 * (lib/glass-to-glass.ts). Started on the host, the script re-runs itself in a private
 * network namespace.
 */
import type { Page } from 'playwright-core';
import { silentLogger } from '../src/log';
import { Playback, defaultPlaybackOptions } from '../src/playback';
import { SignalingServer } from '../src/signaling/signaling-server';
import { StreamRegistry } from '../src/streams/stream-registry';
import { defaultPublisherOptions } from '../src/webrtc/publisher-options';
import { ChromiumBrowser, chromiumAvailable, PageServer, waitForStatus } from '../test/helpers/chromium';
import { openPlayerPage, playOn, viewerState, waitForViewerStatus } from '../test/helpers/player-page';
import { ensureY4m } from './lib/y4m';
import { measureGlassToGlass } from './lib/glass-to-glass';
import { networkIsolated, reexecIsolatedOrContinue } from './lib/netns';
import { renderSection, round, type BenchSection } from './lib/report';
import { setTimeout as sleep } from 'node:timers/promises';

/** % of one core this process used over `ms`. */
async function cpuPercent(ms: number): Promise<number> {
  const before = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / 1000 / (performance.now() - t0)) * 100;
}

export async function runPlaybackBench(opts: { quick?: boolean } = {}): Promise<BenchSection> {
  const title = 'WebRTC playback (players of one 720p stream)';
  if (!chromiumAvailable()) return { title, rows: [], notes: ['skipped: Chromium is not installed'] };
  const measureMs = opts.quick ? 8000 : 20_000;
  const registry = new StreamRegistry(silentLogger);
  const webrtc = { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1', minBitrateKbps: 1500, maxBitrateKbps: 2500 };
  const playback = new Playback(defaultPlaybackOptions, webrtc, silentLogger);
  const server = new SignalingServer({ port: 0, host: '127.0.0.1', maxMessageBytes: 65536, maxStreamsPerSession: 4, maxStreamsTotal: 16, keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 15000, webrtc, playback }, registry, silentLogger);
  const pages = new PageServer();
  const browser = new ChromiumBrowser();
  const rows: BenchSection['rows'] = [];
  const firstFrames: number[] = [];
  try {
    await server.listen();
    await pages.start();
    await browser.launch({ videoFile: ensureY4m(1280, 720, 30, 10) });
    const ws = `ws://127.0.0.1:${server.ports.ws}`;
    const publisher = await browser.newPage(`${pages.url}/?server=${ws}&name=bench&autostart=1`);
    if ((await waitForStatus(publisher, ['PUBLISHING', 'FAILED'])).status !== 'PUBLISHING') throw new Error('the publish failed');
    await sleep(3000);
    const base = await cpuPercent(measureMs);
    const kbps = registry.get('bench')?.toJSON().video?.bitrateKbps ?? 0;
    rows.push({ players: 0, 'CPU % of one core': round(base), 'per player': '' });
    const players: Page[] = [];
    for (const count of [1, 4]) {
      while (players.length < count) {
        const page = await openPlayerPage((u) => browser.newPage(u), `${pages.url}/`, ws);
        players.push(page);
        await playOn(page, 'bench');
        if ((await waitForViewerStatus(page, ['PLAYING', 'FAILED'])).status !== 'PLAYING') throw new Error('a play failed');
        await page.waitForFunction(() => (globalThis as unknown as { viewerState: { firstFrameAt: number } }).viewerState.firstFrameAt > 0, undefined, { timeout: 15_000, polling: 20 });
        const s = await viewerState(page);
        firstFrames.push(s.firstFrameAt - s.playAt);
      }
      await sleep(2000);
      const cpu = await cpuPercent(measureMs);
      rows.push({ players: count, 'CPU % of one core': round(cpu), 'per player': round((cpu - base) / count, 2) });
    }
    for (const page of players.splice(0)) await page.close();
    await publisher.close();
    const glass = await measureGlassToGlass((u) => browser.newPage(u), `${pages.url}/`, ws, 'glass', opts.quick ? 8000 : 20_000);
    await glass.page.close();
    const sorted = [...firstFrames].sort((a, b) => a - b);
    const delays = [...glass.delays].sort((a, b) => a - b);
    const at = (q: number): number => Math.round(delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? NaN);
    return {
      title,
      rows,
      notes: [
        `play() → first frame rendered, ${sorted.length} plays: median ${Math.round(sorted[Math.floor(sorted.length / 2)]!)} ms, max ${Math.round(sorted[sorted.length - 1]!)} ms (offer, answer, ICE/DTLS, a keyframe asked of the publisher, decode)`,
        `glass-to-glass of the preview (canvas painted → the same picture shown by the player, one page, one clock), ${delays.length} flips: median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms; ${glass.unmatched} frames read as no level`,
        `the publisher sent ~${kbps} kbit/s of video; CPU is this process (server + Playwright client), sampled over ${measureMs / 1000} s; Chromium decodes in its own processes, on the same ${require('node:os').cpus().length} cores`,
        `${networkIsolated() ? 'private network namespace' : 'host loopback'}`,
      ],
    };
  } finally {
    await browser.close();
    await pages.stop();
    await server.close();
    await playback.close('bench over');
  }
}

if (require.main === module) {
  reexecIsolatedOrContinue();
  runPlaybackBench({ quick: process.argv.includes('--quick') })
    .then((section) => { console.log(renderSection(section)); })
    .catch((error: Error) => { console.error(error); process.exit(1); });
}
