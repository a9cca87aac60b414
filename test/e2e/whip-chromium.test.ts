/**
 * Chromium publishing over WHIP with no SDK: the page's own fetch() POSTs its offer (H.264
 * and Opus), `?rtmpUrl=` relays it to a real nginx-rtmp, the recording decodes as H.264 +
 * AAC, and DELETE of the Location ends the stream and its push. Runs in a private network
 * namespace (npm test); everything is on 127.0.0.1.
 *
 * WHIP_MEASURE=1 prints POST → 201 and POST → first video frame at nginx (figures for the
 * notes, never asserted).
 */
import type { Page } from 'playwright-core';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { FlvTagType } from '../../src/flv/flv-tag';
import { ChromiumBrowser, describeWithChromium } from '../helpers/chromium';
import { decodeErrors, ffprobeStreams } from '../helpers/media-tools';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { loopbackSettings } from '../helpers/loopback-settings';
import { recordedMs } from '../helpers/flv-recording';
import { waitFor, waitForValue } from '../helpers/wait-for';

jest.setTimeout(90_000);

interface WhipPageResult { status: number; location: string | null; postMs: number; answer: string }

/**
 * What a page without any SDK does: getUserMedia, a sendonly peer connection, every
 * candidate gathered, one POST. A string (not a function): tsx would put its own helper
 * calls into a function's source, which the page does not have.
 */
const PUBLISH_SCRIPT = `async (url) => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
  });
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
  const postMs = performance.now() - started;
  const answer = await res.text();
  if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  window.whipPc = pc;
  return { status: res.status, location: res.headers.get('location'), postMs, answer };
}`;

describeWithChromium('publishing from Chromium over WHIP', () => {
  let nginx: NginxRtmp;
  let service: TransponderService;
  let browser: ChromiumBrowser;
  let base = '';
  const pages: Page[] = [];

  beforeAll(async () => {
    nginx = await NginxRtmp.start();
    service = new TransponderService(await loopbackSettings(), silentLogger);
    base = `http://127.0.0.1:${(await service.start()).http}`;
    browser = new ChromiumBrowser();
    await browser.launch();
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
    await waitFor(() => service.registry.list().length === 0 && service.whip.streamCount === 0, { what: 'every WHIP publish gone' });
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await nginx?.stop();
  });

  async function publish(path: string): Promise<{ page: Page; result: WhipPageResult; postedAt: number }> {
    // Any page of the service's origin: a secure context (127.0.0.1) with nothing of ours loaded.
    const page = await browser.newPage(`${base}/health`);
    pages.push(page);
    const postedAt = performance.now();
    const result = (await page.evaluate(`(${PUBLISH_SCRIPT})(${JSON.stringify(`${base}${path}`)})`)) as WhipPageResult;
    return { page, result, postedAt };
  }

  it('H.264 + Opus relayed with ?rtmpUrl= to nginx, decodable as h264 + aac; DELETE ends the stream and its push', async () => {
    const { result, postedAt } = await publish(`/whip/whipcam?rtmpUrl=${encodeURIComponent(nginx.url())}`);
    expect(result.status).toBe(201);
    expect(result.answer).toMatch(/a=rtpmap:\d+ H264\/90000/);
    expect(result.location).toMatch(/^\/whip\/session\//);

    await waitFor(() => service.registry.get('whipcam')?.state === 'flowing', { what: 'the WHIP publisher flowing', timeoutMs: 20_000 });
    const file = await waitForValue(() => nginx.recordings('rtmp_whipcam')[0], { what: 'a recording at nginx', timeoutMs: 20_000 });
    await waitFor(() => recordedMs(file, FlvTagType.Video) > 0, { what: 'the first video frame at nginx', timeoutMs: 20_000, intervalMs: 10 });
    const firstFrameMs = performance.now() - postedAt;
    await waitFor(() => recordedMs(file, FlvTagType.Video) >= 3000 && recordedMs(file, FlvTagType.Audio) >= 3000, { what: '3 s of audio and video at nginx', timeoutMs: 30_000 });
    if (process.env.WHIP_MEASURE) console.log(`WHIP POST → 201: ${result.postMs.toFixed(0)} ms; POST → first video frame at nginx: ${firstFrameMs.toFixed(0)} ms`);

    const deleted = await fetch(`${base}${result.location}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(service.registry.isFree('whipcam')).toBe(true);
    await waitFor(() => nginx.publishEnded('rtmp_whipcam'), { what: 'the push ended at nginx', timeoutMs: 15_000 });
    await waitFor(() => nginx.completeRecordings('rtmp_whipcam').includes(file), { what: 'the recording closed', timeoutMs: 15_000 });
    await waitFor(() => service.transponders.findAll().every((t) => t.status === 'TERMINATED' || t.status === 'FAILED'), { what: 'every transponder ended' });

    const streams = await ffprobeStreams(file);
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(await decodeErrors(file)).toBe('');
  });
});
