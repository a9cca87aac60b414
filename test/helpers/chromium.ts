/**
 * Headless Chromium for end-to-end tests: the real browser, the official WebSDK, our page.
 * Tests using it run in their own network namespace (see scripts), so every packet stays
 * on loopback; Chromium is told it may use loopback for WebRTC.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// The page's globals, as seen from code Playwright runs inside the page (no DOM lib here).
declare const window: {
  publisherState: PageState;
  publisherApi: { start(): void; stop(): void; disconnect(): void };
  __peerConnections: Array<{ getStats(): Promise<Map<string, Record<string, unknown>>> }>;
  RTCPeerConnection: unknown;
};

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** `describe` that skips, saying why, when Chromium is not installed (CI installs it). */
export function describeWithChromium(name: string, fn: () => void): void {
  if (chromiumAvailable()) {
    describe(name, fn);
  } else {
    describe(name, () => {
      it.skip(`skipped: ${CHROMIUM_PATH} is absent (apt-get install chromium)`, () => undefined);
    });
  }
}

const ROOT = resolve(__dirname, '..', '..');
const FILES: Record<string, { path: string; type: string }> = {
  '/': { path: join(ROOT, 'web', 'index.html'), type: 'text/html' },
  '/index.html': { path: join(ROOT, 'web', 'index.html'), type: 'text/html' },
  '/publisher.html': { path: join(ROOT, 'web', 'publisher.html'), type: 'text/html' },
  '/publisher.js': { path: join(ROOT, 'web', 'publisher.js'), type: 'text/javascript' },
  '/golive.js': { path: join(ROOT, 'web', 'golive.js'), type: 'text/javascript' },
  '/health.js': { path: join(ROOT, 'web', 'health.js'), type: 'text/javascript' },
  '/sparkline.js': { path: join(ROOT, 'web', 'sparkline.js'), type: 'text/javascript' },
  '/common.js': { path: join(ROOT, 'web', 'common.js'), type: 'text/javascript' },
  '/redaction.js': { path: join(ROOT, 'web', 'redaction.js'), type: 'text/javascript' },
  '/flashphoner.js': { path: join(ROOT, 'node_modules', '@flashphoner', 'websdk', 'flashphoner.js'), type: 'text/javascript' },
};

/** Serves web/ and the WebSDK bundle on 127.0.0.1, as the service will. */
export class PageServer {
  private server?: Server;

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('page server is not listening');
    return `http://127.0.0.1:${a.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const file = FILES[(req.url ?? '/').split('?')[0] ?? '/'];
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(readFileSync(file.path));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

export interface ChromiumOptions {
  /** --use-file-for-fake-video-capture (y4m/mjpeg) */
  videoFile?: string;
  /** --use-file-for-fake-audio-capture (wav) */
  audioFile?: string;
  extraArgs?: string[];
}

/** A fresh Chromium profile with a fake camera and microphone. */
export class ChromiumBrowser {
  private context?: BrowserContext;
  private profileDir?: string;

  async launch(opts: ChromiumOptions = {}): Promise<void> {
    this.profileDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    const args = [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      ...(opts.videoFile ? [`--use-file-for-fake-video-capture=${opts.videoFile}`] : []),
      ...(opts.audioFile ? [`--use-file-for-fake-audio-capture=${opts.audioFile}`] : []),
      ...(opts.extraArgs ?? []),
    ];
    // launchPersistentContext gives the fresh --user-data-dir; Playwright refuses it as an arg.
    this.context = await chromium.launchPersistentContext(this.profileDir, {
      executablePath: CHROMIUM_PATH,
      headless: false,
      args,
      ignoreDefaultArgs: ['--headless'],
    });
  }

  async newPage(url: string): Promise<Page> {
    if (!this.context) throw new Error('Chromium is not launched');
    const page = await this.context.newPage();
    // Keep every RTCPeerConnection the page creates, so tests can read Chromium's getStats.
    // A string, not a function: tsx (esbuild keepNames) would put calls to its own
    // `__name` helper into a function's source, which does not exist inside the page.
    await page.addInitScript(`(() => {
      const Original = window.RTCPeerConnection;
      window.__peerConnections = [];
      const Wrapped = function (...args) {
        const pc = new Original(...args);
        window.__peerConnections.push(pc);
        return pc;
      };
      Wrapped.prototype = Original.prototype;
      window.RTCPeerConnection = Wrapped;
    })();`);
    await page.goto(url);
    return page;
  }

  /**
   * Kills the browser at once, as a crash or a power cut would: SIGKILL to its process
   * group (Playwright makes Chromium a group leader), no unpublish, no WebSocket close
   * frame. Resolves when the browser process is gone; close() still cleans the profile.
   */
  async kill(): Promise<void> {
    const pid = this.browserPid();
    process.kill(-pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (processExists(pid)) {
      if (Date.now() > deadline) throw new Error(`Chromium (pid ${pid}) still runs 10 s after SIGKILL`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Stops the whole browser (SIGSTOP to its process group): its sockets stay open but
   * nothing more is sent or answered, as when the network under it goes away. thaw()
   * or kill() ends the freeze; close() does not (a stopped browser never answers it).
   */
  freeze(): void {
    process.kill(-this.browserPid(), 'SIGSTOP');
  }

  thaw(): void {
    process.kill(-this.browserPid(), 'SIGCONT');
  }

  /** The browser's main process: the child of this process started with our profile. */
  private browserPid(): number {
    const profile = this.profileDir;
    if (!profile) throw new Error('Chromium is not launched');
    const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)]).toString().split('\n');
    const line = lines.find((l) => l.includes(`--user-data-dir=${profile}`));
    if (!line) throw new Error('the Chromium process of this profile was not found');
    return Number(line.trim().split(/\s+/)[0]);
  }

  async close(): Promise<void> {
    const ctx = this.context;
    this.context = undefined;
    if (ctx) await ctx.close().catch(() => undefined);
    if (this.profileDir) rmSync(this.profileDir, { recursive: true, force: true });
    this.profileDir = undefined;
  }
}

/** True while the process exists and is not a zombie waiting for its parent. */
function processExists(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export interface PageState {
  session: string;
  status: string;
  info: string;
  error: string;
  width: number;
  height: number;
  history: string[];
}

export async function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => window.publisherState);
}

/** Waits until the page's stream status is one of `statuses`; returns the state. */
export async function waitForStatus(page: Page, statuses: string[], timeoutMs = 20000): Promise<PageState> {
  await page.waitForFunction(
    (wanted) => wanted.includes(window.publisherState.status),
    statuses,
    { timeout: timeoutMs, polling: 100 },
  );
  return pageState(page);
}

/** What Chromium says about its outgoing video (getStats of the page's last peer connection). */
export interface SenderStats {
  availableOutgoingBitrate?: number;
  targetBitrate?: number;
  frameWidth?: number;
  frameHeight?: number;
  framesPerSecond?: number;
  qualityLimitationReason?: string;
  bytesSent?: number;
  /** video frames Chromium sent, and NACKs it received for them */
  framesSent?: number;
  nackCount?: number;
}

export async function senderStats(page: Page): Promise<SenderStats> {
  return page.evaluate(async () => {
    const pcs = window.__peerConnections;
    const pc = pcs[pcs.length - 1];
    const out: Record<string, unknown> = {};
    if (!pc) return out;
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated) out.availableOutgoingBitrate = s.availableOutgoingBitrate;
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        for (const k of ['targetBitrate', 'frameWidth', 'frameHeight', 'framesPerSecond', 'qualityLimitationReason', 'bytesSent', 'framesSent', 'nackCount']) out[k] = s[k];
      }
    });
    return out;
  });
}

/** Stops the page's stream the way a user does (stream.stop() → unPublishStream). */
export async function stopPublishing(page: Page): Promise<void> {
  await page.evaluate(() => window.publisherApi.stop());
}
