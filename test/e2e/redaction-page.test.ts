/**
 * The pages show a destination by the service's own rule: in Chromium, the admin and
 * publisher pages use RtmpRedaction (web/redaction.js, generated from
 * src/rtmp/redact-rtmp-url.ts) and give what the shared table of cases says, and a
 * rendered row shows exactly what the service's redactRtmpUrl gives.
 * Runs in its own network namespace (unshare --net, lo up); everything is on 127.0.0.1.
 */
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { silentLogger } from '../../src/log';
import { createRestServer } from '../../src/rest';
import { redactRtmpUrl } from '../../src/rtmp/redact-rtmp-url';
import { registerPages } from '../../src/web-pages';
import { ChromiumBrowser, describeWithChromium } from '../helpers/chromium';
import { FakeTransponderApi } from '../rest/fake-transponder-api';
import { PUBLISHED_NAME_CASES, REDACTION_CASES } from '../rtmp/redaction-cases';

jest.setTimeout(60000);

interface Redaction {
  redactRtmpUrl(raw: string): string;
  redactPublishedName(name: string, url: string): string;
}
declare const window: {
  RtmpRedaction: Redaction;
  RtmpTransponderPage: { maskRtmpUrl: unknown; maskPublishedName: unknown };
  adminApi: { maskRtmpUrl(raw: string): string; maskPublishedName(name: string, url: string): string };
  publisherApi: { maskRtmpUrl: unknown };
};
declare const document: { querySelectorAll(sel: string): { length: number } };

describeWithChromium('the pages show destinations by the service\'s redaction rule', () => {
  let api: FakeTransponderApi;
  let http: FastifyInstance | undefined;
  let browser: ChromiumBrowser | undefined;
  let base = '';
  const pages: Page[] = [];

  beforeAll(async () => {
    browser = new ChromiumBrowser();
    await browser.launch();
  });

  beforeEach(async () => {
    api = new FakeTransponderApi();
    http = createRestServer({ api, auth: { disabled: true }, logger: silentLogger, extraRoutes: registerPages });
    await http.listen({ port: 0, host: '127.0.0.1' });
    const address = http.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${address.port}`;
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
    if (http) {
      // Chromium keeps idle sockets open; end them so close does not wait for them.
      const closing = http.close();
      http.server.closeAllConnections();
      await closing;
      http = undefined;
    }
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(path: string): Promise<Page> {
    const page = await browser!.newPage(`${base}${path}`);
    pages.push(page);
    return page;
  }

  it('the admin page uses RtmpRedaction itself, and it follows the table of cases', async () => {
    const page = await open('/admin.html');
    await page.waitForFunction(() => typeof window.adminApi === 'object');
    expect(await page.evaluate(() => window.adminApi.maskRtmpUrl === window.RtmpRedaction.redactRtmpUrl)).toBe(true);
    expect(await page.evaluate(() => window.adminApi.maskPublishedName === window.RtmpRedaction.redactPublishedName)).toBe(true);
    const shown = await page.evaluate((raws) => raws.map((raw) => window.adminApi.maskRtmpUrl(raw)), REDACTION_CASES.map((c) => c.raw));
    expect(shown).toEqual(REDACTION_CASES.map((c) => c.shown));
    const names = await page.evaluate(
      (cases) => cases.map((c) => window.adminApi.maskPublishedName(c.name, c.url)),
      PUBLISHED_NAME_CASES.map(({ name, url }) => ({ name, url })),
    );
    expect(names).toEqual(PUBLISHED_NAME_CASES.map((c) => c.shown));
  });

  it('the publisher page uses the same function', async () => {
    const page = await open('/');
    await page.waitForFunction(() => typeof window.publisherApi === 'object');
    expect(await page.evaluate(() => window.publisherApi.maskRtmpUrl === window.RtmpRedaction.redactRtmpUrl)).toBe(true);
    expect(await page.evaluate(() => window.RtmpTransponderPage.maskRtmpUrl === window.RtmpRedaction.redactRtmpUrl)).toBe(true);
  });

  it('a listed transponder shows what the service\'s redactRtmpUrl gives, and no secret', async () => {
    const url = 'rtmps://jdoe:Hunt3r-pw@live.example.com:443/app/zq9Xkey-secret?token=Zyx987-token';
    const t = api.add({ sourceStreamName: 'cam1', streamName: 'zq9Xkey-secret', rtmpUrl: url });
    const page = await open('/admin.html');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 1, undefined, { timeout: 10000, polling: 100 });
    const row = page.locator(`tr[data-id="${t.mediaSessionId}"]`);
    expect(await row.locator('[data-col=dest]').textContent()).toContain(redactRtmpUrl(url));
    expect(await row.locator('[data-col=published]').textContent()).toBe('***');
    const body = (await page.textContent('body')) ?? '';
    for (const secret of ['jdoe', 'Hunt3r', 'zq9X', 'Zyx9']) expect(body).not.toContain(secret);
  });
});
