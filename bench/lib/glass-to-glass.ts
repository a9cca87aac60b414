/**
 * Glass-to-glass delay of a WebRTC preview, measured inside one page on one clock.
 *
 * The page paints a canvas whose centre is a flat grey that steps through LEVELS known
 * values, one step every FLIP_MS (a moving square in a corner keeps the encoder busy as
 * a camera would), publishes the canvas with the official WebSDK (`customStream`, plus
 * the fake microphone) and plays the stream back from the server. Each frame the player
 * shows (requestVideoFrameCallback) is read back through a small canvas: when its centre
 * turns to a new level, delay = the frame's expected display time − the time the source
 * painted that level. With 8 levels of 400 ms a delay up to 3.2 s is unambiguous.
 *
 * What is counted: canvas capture, encode, send, our server (depacketize-free forwarding,
 * per-viewer rewrite), the player's jitter buffer, decode and render. Not counted: a real
 * camera's own capture latency and the display's scan-out.
 */
import type { Page } from 'playwright-core';

export const FLIP_MS = 400;
export const LEVELS = [16, 48, 80, 112, 144, 176, 208, 240];

export interface GlassState {
  session: string;
  publish: string;
  play: string;
  /** one delay per level change seen at the player, ms */
  delays: number[];
  /** frames whose centre matched no level (blends while the decoder catches up) */
  unmatched: number;
}

// The page's globals, as seen from code run inside the page.
declare const window: { glass: GlassState };

/** The page script (a string: tsx would put helpers of its own into a function's source). */
export function glassScript(server: string, name: string): string {
  return `(() => {
    const FLIP_MS = ${FLIP_MS};
    const LEVELS = ${JSON.stringify(LEVELS)};
    const state = window.glass = { session: 'NEW', publish: 'NEW', play: 'NEW', delays: [], unmatched: 0 };
    const S = Flashphoner.constants.SESSION_STATUS;
    const T = Flashphoner.constants.STREAM_STATUS;
    Flashphoner.init({});

    // The source: painted every 10 ms; the time each level first reached the canvas is kept.
    const W = 640, H = 360;
    const canvas = document.createElement('canvas');
    canvas.width = W; canvas.height = H;
    const ctx = canvas.getContext('2d');
    const paintedAt = new Map(); // step number -> performance.now() when painted
    const t0 = performance.now();
    let step = -1;
    setInterval(() => {
      const now = performance.now();
      const s = Math.floor((now - t0) / FLIP_MS);
      const y = LEVELS[s % LEVELS.length];
      ctx.fillStyle = 'rgb(' + y + ',' + y + ',' + y + ')';
      ctx.fillRect(0, 0, W, H);
      const x = Math.floor((now - t0) / 10) % (W / 4);
      ctx.fillStyle = '#c33';
      ctx.fillRect(x, 8, 40, 40);
      if (s !== step) { step = s; paintedAt.set(s, now); }
    }, 10);

    function box(id) {
      const d = document.createElement('div');
      d.id = id; d.style.width = '320px'; d.style.height = '180px';
      document.body.appendChild(d);
      return d;
    }
    const localDisplay = box('glass-local');
    const remoteDisplay = box('glass-remote');

    // The reader: the centre of each shown frame, mapped to the nearest level.
    const probe = document.createElement('canvas');
    probe.width = 8; probe.height = 8;
    const pctx = probe.getContext('2d', { willReadFrequently: true });
    let lastLevel = -1;
    function watch(video) {
      const onFrame = (now, meta) => {
        pctx.drawImage(video, video.videoWidth / 4, video.videoHeight / 4, video.videoWidth / 2, video.videoHeight / 2, 0, 0, 8, 8);
        const px = pctx.getImageData(0, 0, 8, 8).data;
        let sum = 0;
        for (let i = 0; i < px.length; i += 4) sum += 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
        const luma = sum / (px.length / 4);
        let best = -1, dist = 1e9;
        LEVELS.forEach((l, i) => { const d = Math.abs(l - luma); if (d < dist) { dist = d; best = i; } });
        if (dist > 10) state.unmatched++;
        else if (best !== lastLevel) {
          const shownAt = meta.expectedDisplayTime || now;
          // The latest source step of this level painted before the frame was shown.
          let painted = -1;
          for (const [s, at] of paintedAt) if (s % LEVELS.length === best && at <= shownAt && at > painted) painted = at;
          if (lastLevel !== -1 && painted > 0) state.delays.push(shownAt - painted);
          lastLevel = best;
        }
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }

    const session = Flashphoner.createSession({ urlServer: ${JSON.stringify(server)} })
      .on(S.FAILED, () => { state.session = 'FAILED'; })
      .on(S.ESTABLISHED, (session) => {
        state.session = 'ESTABLISHED';
        const source = canvas.captureStream(30);
        session.createStream({ name: ${JSON.stringify(name)}, display: localDisplay, constraints: { audio: true, video: false, customStream: source } })
          .on(T.FAILED, (s) => { state.publish = 'FAILED ' + s.getInfo(); })
          .on(T.PUBLISHING, () => {
            state.publish = 'PUBLISHING';
            session.createStream({ name: ${JSON.stringify(name)}, display: remoteDisplay })
              .on(T.FAILED, (s) => { state.play = 'FAILED ' + s.getInfo(); })
              .on(T.PLAYING, (s) => {
                state.play = 'PLAYING';
                const find = () => { const v = remoteDisplay.querySelector('video'); if (v) watch(v); else setTimeout(find, 10); };
                find();
              })
              .play();
          })
          .publish();
      });
  })();`;
}

export async function glassState(page: Page): Promise<GlassState> {
  return page.evaluate(() => window.glass);
}

/** Runs the flash page on `pageUrl` (a page that loads flashphoner.js) for `measureMs`; the delays in ms. */
export async function measureGlassToGlass(newPage: (url: string) => Promise<Page>, pageUrl: string, server: string, name: string, measureMs: number): Promise<{ delays: number[]; unmatched: number; page: Page }> {
  const page = await newPage(pageUrl);
  await page.evaluate(glassScript(server, name));
  await page.waitForFunction(() => window.glass.play === 'PLAYING' || window.glass.play.startsWith('FAILED') || window.glass.publish.startsWith('FAILED') || window.glass.session === 'FAILED', undefined, { timeout: 20_000, polling: 50 });
  const started = await glassState(page);
  if (started.play !== 'PLAYING') throw new Error(`the flash page did not play back: session ${started.session}, publish ${started.publish}, play ${started.play}`);
  // The first seconds hold the encoder's ramp-up; count from a settled stream.
  await page.waitForTimeout(2000);
  const skip = (await glassState(page)).delays.length;
  await page.waitForTimeout(measureMs);
  const end = await glassState(page);
  return { delays: end.delays.slice(skip), unmatched: end.unmatched, page };
}
