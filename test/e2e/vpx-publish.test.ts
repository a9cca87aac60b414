/**
 * A VP8-only (and a VP9-only) publisher end to end: Chromium publishes with the official
 * WebSDK, H.264 stripped from its offer (`stripCodecs: 'H264'`, what Firefox without
 * OpenH264 offers; 'H264,VP8' for VP9), the service takes VP8 (VP9), and a REST startup transcodes it to H.264 for nginx-rtmp, where
 * the recording is decoded. With transcoding_disabled the same publish is refused with
 * WCS's info. The same over WHIP: a page without SDK, VP8 by codec preferences. Runs in a private network namespace; everything is on 127.0.0.1.
 */
import type { Page } from 'playwright-core';
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import type { PublisherStats } from '../../src/webrtc/publisher';
import { ChromiumBrowser, describeWithChromium, waitForStatus } from '../helpers/chromium';
import { recordedMs } from '../helpers/flv-recording';
import { loopbackSettings } from '../helpers/loopback-settings';
import { decodeErrors, ffprobePackets, ffprobeStreams } from '../helpers/media-tools';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { PushApi } from '../helpers/push-api';
import { waitForValue } from '../helpers/wait-for';

jest.setTimeout(120_000);

/**
 * A page without SDK publishing over WHIP with VP8 only (codec preferences of the video
 * transceiver). A string, not a function: tsx would put its own helper calls into a
 * function's source, which the page does not have.
 */
const WHIP_VP8_SCRIPT = `async (url) => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) {
    const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    if (track.kind === 'video') t.setCodecPreferences(RTCRtpSender.getCapabilities('video').codecs.filter((c) => c.mimeType === 'video/VP8'));
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
  });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
  const answer = await res.text();
  if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  window.whipPc = pc;
  return { status: res.status, offer: pc.localDescription.sdp, answer, location: res.headers.get('location') };
}`;

describeWithChromium('a VP8-only WebSDK publisher', () => {
  let nginx: NginxRtmp;
  let service: TransponderService;
  let settings: Settings;
  let browser: ChromiumBrowser;
  const pages: Page[] = [];

  beforeAll(async () => {
    nginx = await NginxRtmp.start({ hooks: false });
    settings = await loopbackSettings();
    service = new TransponderService(settings, silentLogger);
    await service.start();
    browser = new ChromiumBrowser();
    await browser.launch();
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await nginx?.stop();
  });

  async function openPublisher(name: string, stripCodecs = 'H264'): Promise<Page> {
    const page = await browser.newPage(
      `http://127.0.0.1:${settings.httpPort}/publisher.html?server=ws://127.0.0.1:${settings.wsPort}&name=${name}&autostart=1&width=640&height=480&stripCodecs=${stripCodecs}`,
    );
    pages.push(page);
    return page;
  }

  async function publisherStats(name: string): Promise<PublisherStats | undefined> {
    const res = await fetch(`http://127.0.0.1:${settings.httpPort}/debug/streams`);
    return ((await res.json()) as PublisherStats[]).find((p) => p.streamName === name);
  }

  it.each([
    { codec: 'vp8', stripCodecs: 'H264' },
    { codec: 'vp9', stripCodecs: 'H264,VP8' },
  ])('$codec (stripCodecs=$stripCodecs) is accepted and relayed transcoded to H.264 + AAC, decodable at nginx', async ({ codec, stripCodecs }) => {
    const name = `${codec}cam`;
    const page = await openPublisher(name, stripCodecs);
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000)).status).toBe('PUBLISHING');
    const stats = await waitForValue(async () => {
      const s = await publisherStats(name);
      return s?.video && s.video.keyframes > 0 ? s : undefined;
    }, { what: 'VP8 keyframes from the publisher', timeoutMs: 15_000, intervalMs: 200 });
    expect(stats.video).toMatchObject({ codec, width: 640, height: 480 });

    const api = new PushApi(settings.httpPort);
    const started = await api.startup({ streamName: name, rtmpUrl: nginx.url() });
    const running = await api.waitForStatus(started.mediaSessionId, 'PUBLISHING', 30_000);
    expect(running).toMatchObject({ transcoding: true });

    const file = await waitForValue(() => nginx.recordings(`rtmp_${name}`)[0], { what: 'a recording', timeoutMs: 10_000, intervalMs: 100 });
    await waitForValue(() => recordedMs(file) >= 3000, { what: '3 s recorded', timeoutMs: 30_000, intervalMs: 200 });
    expect((await api.call('terminate', { mediaSessionId: started.mediaSessionId })).status).toBe(200);
    await waitForValue(() => nginx.recordingsDone(`rtmp_${name}`) === 1, { what: 'nginx to close the recording', timeoutMs: 10_000, intervalMs: 100 });

    const streams = await ffprobeStreams(file);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 640, height: 480 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    expect(await decodeErrors(file)).toBe('');
    const packets = await ffprobePackets(file);
    expect(packets.filter((p) => p.codec_type === 'video').length).toBeGreaterThan(30);
    expect(packets.filter((p) => p.codec_type === 'audio').length).toBeGreaterThan(50);
  });

  it('over WHIP (VP8 by codec preferences, ?rtmpUrl=) lands at nginx as H.264 + AAC, decodable', async () => {
    const page = await browser.newPage(`http://127.0.0.1:${settings.httpPort}/health`);
    pages.push(page);
    const url = `http://127.0.0.1:${settings.httpPort}/whip/whipvp8?rtmpUrl=${encodeURIComponent(nginx.url())}`;
    const result = (await page.evaluate(`(${WHIP_VP8_SCRIPT})(${JSON.stringify(url)})`)) as { status: number; offer: string; answer: string; location: string | null };
    expect(result.offer).not.toMatch(/H264\/90000/);
    expect(result.status).toBe(201);
    expect(result.answer).toMatch(/a=rtpmap:\d+ VP8\/90000/);
    const file = await waitForValue(() => nginx.recordings('rtmp_whipvp8')[0], { what: 'a recording', timeoutMs: 20_000, intervalMs: 100 });
    await waitForValue(() => recordedMs(file) >= 3000, { what: '3 s recorded', timeoutMs: 30_000, intervalMs: 200 });
    expect((await publisherStats('whipvp8'))?.video?.codec).toBe('vp8');
    expect((await fetch(`http://127.0.0.1:${settings.httpPort}${result.location}`, { method: 'DELETE' })).status).toBe(200);
    await waitForValue(() => nginx.recordingsDone('rtmp_whipvp8') === 1, { what: 'nginx to close the recording', timeoutMs: 15_000, intervalMs: 100 });
    const streams = await ffprobeStreams(file);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 640, height: 480 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    expect(await decodeErrors(file)).toBe('');
  });

  it('is refused with "Transcoding required, but disabled" when transcoding_disabled=true', async () => {
    service.applySettings({ ...settings, transcodingDisabled: true });
    try {
      const page = await openPublisher('vp8refused');
      const state = await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000);
      expect([state.status, state.info]).toEqual(['FAILED', 'Transcoding required, but disabled']);
      expect(await publisherStats('vp8refused')).toBeUndefined();
      // Over WHIP: 422 (no acceptable codec), the reason in the body.
      const whipPage = await browser.newPage(`http://127.0.0.1:${settings.httpPort}/health`);
      pages.push(whipPage);
      const url = `http://127.0.0.1:${settings.httpPort}/whip/whiprefused`;
      const result = (await whipPage.evaluate(`(${WHIP_VP8_SCRIPT})(${JSON.stringify(url)})`)) as { status: number; answer: string };
      expect(result.status).toBe(422);
      expect(result.answer).toMatch(/transcoding is disabled/);
      expect(await publisherStats('whiprefused')).toBeUndefined();
    } finally {
      service.applySettings(settings);
    }
  });
});
