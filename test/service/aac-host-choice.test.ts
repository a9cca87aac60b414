/**
 * Which AAC encoder a service uses: the shared host when aac_encoder_host is on and the
 * host is built, an ffmpeg child per stream otherwise — said once in the start log when
 * the setting asks for a host that is not there. The host's /metrics series follow it.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransponderService } from '../../src/server';
import { AAC_HOST_BUILD_PATH, builtAacHost } from '../../src/aac-host-path';
import { LogCapture } from '../helpers/log-capture';
import { loopbackSettings } from '../helpers/loopback-settings';

const NOT_BUILT = 'aac_encoder_host is on but the host is not built: each stream gets an ffmpeg child for its AAC (install gcc, pkg-config, libavcodec-dev, libopus-dev and libvo-aacenc-dev, then npm run build:aac-host)';

let dir: string;
let service: TransponderService | undefined;
let httpPort = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aac-host-choice-'));
});
afterEach(async () => {
  await service?.stop('test over');
  service = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function metricNames(): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return [...new Set([...text.matchAll(/^(rtmp_transponder_aac_host_\w+)/gm)].map((m) => m[1]))].sort();
}

describe('the AAC encoder a service uses', () => {
  test('builtAacHost: the built host is found; a missing or non-executable file is not', () => {
    expect(builtAacHost()).toBe(AAC_HOST_BUILD_PATH);
    expect(builtAacHost(join(dir, 'missing'))).toBeUndefined();
    const plain = join(dir, 'not-executable');
    writeFileSync(plain, '#!/bin/sh\n');
    chmodSync(plain, 0o644);
    expect(builtAacHost(plain)).toBeUndefined();
  });

  test('on and built: a host (started with the first stream, not before), its series in /metrics, nothing logged about it', async () => {
    const capture = new LogCapture();
    service = new TransponderService(await loopbackSettings({ aacEncoderHost: true }), capture.logger());
    httpPort = (await service.start()).http;
    expect(service.aacHost).toBeDefined();
    expect(service.aacHost!.pid).toBeUndefined();
    // aac_encoder's default
    expect(service.aacHost!.library).toBe('vo-aacenc');
    expect(capture.withMsg(NOT_BUILT)).toEqual([]);
    expect(await metricNames()).toEqual(['rtmp_transponder_aac_host_channels', 'rtmp_transponder_aac_host_failed', 'rtmp_transponder_aac_host_restarts_total']);
  });

  test("aac_encoder=ffmpeg: the host's channels run ffmpeg's encoder", async () => {
    service = new TransponderService(await loopbackSettings({ aacEncoderHost: true, aacEncoder: 'ffmpeg' }), new LogCapture().logger());
    httpPort = (await service.start()).http;
    expect(service.aacHost!.library).toBe('ffmpeg');
    const e = service.aacHost!.encoder(128);
    expect(e.library).toBe('ffmpeg');
    await e.close('test over');
  });

  test('on but not built: a warn line naming where it was looked for, no host, no series', async () => {
    const capture = new LogCapture();
    const missing = join(dir, 'aac-host');
    service = new TransponderService(await loopbackSettings({ aacEncoderHost: true }), capture.logger(), { aacHostExecutable: missing });
    httpPort = (await service.start()).http;
    expect(service.aacHost).toBeUndefined();
    const lines = capture.withMsg(NOT_BUILT);
    expect(lines.map((l) => [l.level, l.fields.expected])).toEqual([['warn', missing]]);
    expect(await metricNames()).toEqual([]);
  });

  test('off: no host and nothing said, even when it is built', async () => {
    const capture = new LogCapture();
    service = new TransponderService(await loopbackSettings({ aacEncoderHost: false }), capture.logger());
    httpPort = (await service.start()).http;
    expect(service.aacHost).toBeUndefined();
    expect(capture.text()).not.toContain('aac_encoder_host');
    expect(await metricNames()).toEqual([]);
  });
});
