/**
 * The destination guard and rtmp_push_from_client seen from a real page: Chromium with
 * the official WebSDK publishes with publishStream.rtmpUrl. Runs in its own network
 * namespace (unshare --net, lo up); everything is on 127.0.0.1.
 */
import type { Page } from 'playwright-core';
import { TransponderService } from '../../src/server';
import { RTMP_URL_FROM_CLIENT_DISABLED } from '../../src/signaling/signaling-session';
import { ChromiumBrowser, describeWithChromium, waitForStatus } from '../helpers/chromium';
import { loopbackSettings } from '../helpers/loopback-settings';
import { PushApi } from '../helpers/push-api';
import { waitFor } from '../helpers/wait-for';
import { RecordingLogger } from '../access/guarded-manager';

jest.setTimeout(90_000);

const KEY = 'page-secret-key-0042';

describeWithChromium('destination guard and rtmp_push_from_client with the WebSDK in Chromium', () => {
  let browser: ChromiumBrowser;
  let service: TransponderService | undefined;
  let page: Page | undefined;

  beforeAll(async () => {
    browser = new ChromiumBrowser();
    await browser.launch();
  });

  afterEach(async () => {
    await page?.close().catch(() => undefined);
    page = undefined;
    await service?.stop();
    service = undefined;
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function start(overrides: Parameters<typeof loopbackSettings>[0], log = new RecordingLogger()): Promise<{ http: number; ws: number }> {
    const settings = await loopbackSettings(overrides);
    service = new TransponderService(settings, log);
    await service.start();
    return { http: settings.httpPort, ws: settings.wsPort };
  }

  function open(ports: { http: number; ws: number }, name: string, rtmpUrl?: string): Promise<Page> {
    const query = rtmpUrl === undefined ? '' : `&rtmpUrl=${encodeURIComponent(rtmpUrl)}`;
    return browser.newPage(`http://127.0.0.1:${ports.http}/?server=ws://127.0.0.1:${ports.ws}&name=${name}&autostart=1${query}`);
  }

  it('rtmp_push_from_client=false: a publish with rtmpUrl FAILS with a clear info, no publisher is made; one without rtmpUrl publishes', async () => {
    const ports = await start({ rtmpPushFromClient: false });
    page = await open(ports, 'cam1', `rtmp://127.0.0.1:1935/live/${KEY}`);
    const failed = await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000);
    expect(failed.status).toBe('FAILED');
    expect(failed.info).toBe(RTMP_URL_FROM_CLIENT_DISABLED);
    expect(failed.info).not.toContain(KEY);
    expect(service!.registry.list()).toEqual([]);
    expect((await new PushApi(ports.http).call('find_all', {})).status).toBe(404);
    await page.close();

    page = await open(ports, 'cam2');
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000)).status).toBe('PUBLISHING');
  });

  it('by default a publishStream.rtmpUrl to the metadata address publishes the camera but no relay starts; the log names the rule', async () => {
    const log = new RecordingLogger();
    const ports = await start({}, log);
    page = await open(ports, 'cam3', `rtmp://169.254.169.254/live/${KEY}`);
    expect((await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000)).status).toBe('PUBLISHING');
    await waitFor(() => log.lines.some((l) => l.msg === 'destination refused'), { what: 'the refusal in the log' });
    expect(log.lines.find((l) => l.msg === 'destination refused')?.fields).toMatchObject({ rule: 'link-local-metadata' });
    // Refused before anything was created.
    expect((await new PushApi(ports.http).call('find_all', {})).status).toBe(404);
    expect(log.text()).not.toContain(KEY);
  });
});
