/**
 * A player page as a page author writes it with the official WebSDK:
 * `session.createStream({name, display}).play()`, its statuses kept in window.viewerState
 * and the time of its first rendered frame (requestVideoFrameCallback). Used by the
 * playback e2e test and the playback benchmark.
 */
import type { Page } from 'playwright-core';

export interface ViewerPageState {
  session: string;
  status: string;
  info: string;
  history: string[];
  playAt: number;
  firstFrameAt: number;
}

export interface Picture { currentTime: number; width: number; height: number; meanLuma: number; lumaSpread: number; audioTracks: number; videoTracks: number }

// The page's globals, as seen from code run inside the page.
declare const window: { viewerState: ViewerPageState; viewerApi: { play(name: string): void; stop(): void } };
declare const document: { querySelector(sel: string): unknown; createElement(tag: string): unknown };

/** The player, as a page author writes it with the WebSDK (a string: it runs inside the page). */
export function viewerScript(server: string): string {
  return `(() => {
    const state = window.viewerState = { session: 'NEW', status: 'NEW', info: '', history: [], playAt: 0, firstFrameAt: 0 };
    const S = Flashphoner.constants.SESSION_STATUS;
    const T = Flashphoner.constants.STREAM_STATUS;
    Flashphoner.init({});
    const display = document.createElement('div');
    display.id = 'player';
    display.style.width = '320px';
    display.style.height = '240px';
    document.body.appendChild(display);
    let stream = null;
    const session = Flashphoner.createSession({ urlServer: ${JSON.stringify(server)} })
      .on(S.ESTABLISHED, () => { state.session = 'ESTABLISHED'; })
      .on(S.DISCONNECTED, () => { state.session = 'DISCONNECTED'; })
      .on(S.FAILED, () => { state.session = 'FAILED'; });
    function watchFirstFrame() {
      const video = display.querySelector('video');
      if (!video || !video.requestVideoFrameCallback) { setTimeout(watchFirstFrame, 5); return; }
      video.requestVideoFrameCallback(() => { state.firstFrameAt = performance.now(); });
    }
    window.viewerApi = {
      play(name) {
        state.playAt = performance.now();
        state.firstFrameAt = 0;
        stream = session.createStream({ name, display });
        for (const s of [T.PLAYING, T.STOPPED, T.FAILED]) {
          stream.on(s, (st) => { state.status = st.status(); state.info = st.getInfo() || ''; state.history.push(st.status()); });
        }
        stream.play();
        watchFirstFrame();
      },
      stop() { stream.stop(); },
    };
  })();`;
}

export async function waitForViewerStatus(page: Page, statuses: string[], timeoutMs = 20000): Promise<ViewerPageState> {
  await page.waitForFunction((wanted) => wanted.includes(window.viewerState.status), statuses, { timeout: timeoutMs, polling: 50 });
  return page.evaluate(() => window.viewerState);
}

/** A <video> (the player's by default): its time, and the luma of a frame drawn to a canvas. */
export async function picture(page: Page, videoSelector = '#player video'): Promise<Picture> {
  return page.evaluate((selector) => {
    type Canvas = { width: number; height: number; getContext(k: string): { drawImage(v: unknown, x: number, y: number, w: number, h: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    type Video = { currentTime: number; videoWidth: number; videoHeight: number; srcObject: { getAudioTracks(): unknown[]; getVideoTracks(): unknown[] } | null };
    const video = document.querySelector(selector) as Video | null;
    if (!video) return { currentTime: 0, width: 0, height: 0, meanLuma: 0, lumaSpread: 0, audioTracks: 0, videoTracks: 0 };
    const canvas = document.createElement('canvas') as Canvas;
    canvas.width = 64;
    canvas.height = 48;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(video, 0, 0, 64, 48);
    const data = ctx.getImageData(0, 0, 64, 48).data;
    let sum = 0;
    let min = 255;
    let max = 0;
    for (let i = 0; i < data.length; i += 4) {
      const y = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
      sum += y;
      min = Math.min(min, y);
      max = Math.max(max, y);
    }
    return {
      currentTime: video.currentTime,
      width: video.videoWidth,
      height: video.videoHeight,
      meanLuma: sum / (data.length / 4),
      lumaSpread: max - min,
      audioTracks: video.srcObject?.getAudioTracks().length ?? 0,
      videoTracks: video.srcObject?.getVideoTracks().length ?? 0,
    };
  }, videoSelector);
}

/** What Chromium received on the player's peer connection. */
export async function inbound(page: Page): Promise<{ videoFrames: number; audioPackets: number; nacks: number }> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __peerConnections: Array<{ getStats(): Promise<Map<string, Record<string, unknown>>> }> }).__peerConnections;
    const out = { videoFrames: 0, audioPackets: 0, nacks: 0 };
    for (const pc of pcs) {
      (await pc.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') { out.videoFrames += Number(s.framesDecoded ?? 0); out.nacks += Number(s.nackCount ?? 0); }
        if (s.kind === 'audio') out.audioPackets += Number(s.packetsReceived ?? 0);
      });
    }
    return out;
  });
}

/** Opens a player page on the service's WebSocket and waits for its session. */
export async function openPlayerPage(newPage: (url: string) => Promise<Page>, pageUrl: string, wsUrl: string): Promise<Page> {
  const page = await newPage(pageUrl);
  await page.evaluate(viewerScript(wsUrl));
  await page.waitForFunction(() => window.viewerState.session === 'ESTABLISHED', undefined, { timeout: 10_000, polling: 50 });
  return page;
}

/** Starts play() of `name` on a player page. */
export async function playOn(page: Page, name: string): Promise<void> {
  await page.evaluate((n) => window.viewerApi.play(n), name);
}

/** The page's state (statuses, play and first-frame times). */
export async function viewerState(page: Page): Promise<ViewerPageState> {
  return page.evaluate(() => window.viewerState);
}
