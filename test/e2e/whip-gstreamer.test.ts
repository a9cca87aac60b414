/**
 * GStreamer publishing over WHIP, as OBS and whipsink do: webrtcbin with x264enc and
 * opusenc, send-only, its audio offered bundle-only on port 0 (test/whip/gst-whip-client.py).
 * Relayed with ?rtmpUrl= to nginx-rtmp and decoded there (h264 + aac); the client's DELETE
 * on exit ends the push. Runs in a private network namespace (npm test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { FlvTagType } from '../../src/flv/flv-tag';
import { decodeErrors, ffprobeStreams } from '../helpers/media-tools';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { loopbackSettings } from '../helpers/loopback-settings';
import { recordedMs } from '../helpers/flv-recording';
import { waitFor, waitForValue } from '../helpers/wait-for';

jest.setTimeout(90_000);

const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(__dirname, '..', 'whip', 'gst-whip-client.py');
const GST_PLUGINS = '/usr/lib/x86_64-linux-gnu/gstreamer-1.0';

function gstreamerAvailable(): boolean {
  return fs.existsSync(PYTHON) && ['libgstwebrtc.so', 'libgstnice.so', 'libgstx264.so', 'libgstvpx.so', 'libgstopus.so'].every((f) => fs.existsSync(path.join(GST_PLUGINS, f)));
}

const describeWithGstreamer = gstreamerAvailable()
  ? describe
  : (name: string, _fn: () => void) => describe(name, () => it.skip('skipped: GStreamer webrtcbin is not installed (npm test installs it)', () => undefined));

describeWithGstreamer('publishing from GStreamer webrtcbin over WHIP', () => {
  let nginx: NginxRtmp;
  let service: TransponderService;
  let base = '';
  let client: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    nginx = await NginxRtmp.start();
    service = new TransponderService(await loopbackSettings(), silentLogger);
    base = `http://127.0.0.1:${(await service.start()).http}`;
  });

  afterEach(async () => {
    const c = client;
    client = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
  });

  afterAll(async () => {
    await service?.stop();
    await nginx?.stop();
  });

  it.each([
    { video: 'h264', name: 'gstcam', transcoded: false },
    { video: 'vp8', name: 'gstvp8', transcoded: true },
  ])('$video + opusenc, audio bundle-only: relayed with ?rtmpUrl= and decodable at nginx as h264 + aac; its DELETE ends the push', async ({ video, name, transcoded }) => {
    output = '';
    const url = `${base}/whip/${name}?rtmpUrl=${encodeURIComponent(nginx.url())}`;
    const child = spawn(PYTHON, [CLIENT, url, '--loopback', '--video', video], { stdio: ['pipe', 'pipe', 'pipe'] });
    client = child;
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

    await waitFor(() => /^STATUS \d+/m.test(output), { what: 'the POST answered', timeoutMs: 20_000, seen: () => output });
    expect(output).toMatch(/^STATUS 201$/m);
    await waitFor(() => service.registry.get(name)?.state === 'flowing', { what: 'the GStreamer publisher flowing', timeoutMs: 20_000, seen: () => output });
    expect(service.registry.get(name)?.codecs.audio).toBeDefined();
    expect(service.registry.get(name)?.toJSON().video?.codec).toBe(video);
    const file = await waitForValue(() => nginx.recordings(`rtmp_${name}`)[0], { what: 'a recording at nginx', timeoutMs: 20_000 });
    await waitFor(() => recordedMs(file, FlvTagType.Video) >= 3000 && recordedMs(file, FlvTagType.Audio) >= 3000, { what: '3 s of audio and video at nginx', timeoutMs: 30_000, seen: () => output });

    // VP8 is transcoded to H.264 for RTMP; H.264 goes through as it came.
    expect(service.transponders.find({ streamName: name }).map((t) => t.transcoding)).toEqual([transcoded]);

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await waitFor(() => service.registry.isFree(name), { what: 'the name freed by the DELETE', seen: () => output });
    await waitFor(() => nginx.publishEnded(`rtmp_${name}`), { what: 'the push ended at nginx', timeoutMs: 15_000 });
    await waitFor(() => nginx.completeRecordings(`rtmp_${name}`).includes(file), { what: 'the recording closed', timeoutMs: 15_000 });

    const streams = await ffprobeStreams(file);
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(await decodeErrors(file)).toBe('');
  });
});
