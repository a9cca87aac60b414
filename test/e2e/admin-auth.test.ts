/**
 * The admin page in headless Chromium against the whole service with REST auth on: the
 * page loads without credentials, asks for them on 401, waits for the user instead of
 * polling with wrong ones (each would spend the address's failure budget), and shows the
 * limiter's 429 with its message. Runs in its own network namespace (unshare --net, lo up).
 */
import type { Page } from 'playwright-core';
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { ChromiumBrowser, describeWithChromium } from '../helpers/chromium';
import { loopbackSettings } from '../helpers/loopback-settings';
import { holdsFor, waitFor } from '../helpers/wait-for';

jest.setTimeout(60_000);

declare const window: { adminState: { error: string; polls: number; authRequired: boolean } };

const PASSWORD = 'pw-for-the-admin-page';

describeWithChromium('the admin page with REST auth on (Chromium)', () => {
  let service: TransponderService;
  let settings: Settings;
  let browser: ChromiumBrowser;
  const pages: Page[] = [];

  beforeAll(async () => {
    browser = new ChromiumBrowser();
    await browser.launch();
  });

  beforeEach(async () => {
    settings = await loopbackSettings({ disableRestAuth: false, restAuthUser: 'admin', restAuthPassword: PASSWORD, restAuthMaxFailures: 3 });
    service = new TransponderService(settings, silentLogger);
    await service.start();
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
    await service?.stop();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(): Promise<Page> {
    const page = await browser.newPage(`http://127.0.0.1:${settings.httpPort}/admin.html`);
    pages.push(page);
    return page;
  }

  function adminState(page: Page): Promise<{ error: string; polls: number; authRequired: boolean }> {
    return page.evaluate(() => ({ ...window.adminState }));
  }

  async function enter(page: Page, value: string): Promise<void> {
    const polls = (await adminState(page)).polls;
    await page.fill('#authValue', value);
    await page.click('#authSave');
    await page.waitForFunction((n) => window.adminState.polls > n, polls, { timeout: 10_000, polling: 50 });
  }

  it('loads, asks for credentials on 401, and lists once they are right', async () => {
    const page = await open();
    await page.waitForSelector('#auth', { state: 'visible' });
    expect(await page.textContent('#error')).toContain('UNAUTHORIZED');
    // A page load sends no credentials: nothing counted against this address.
    expect(service.authFailures.stats.failures).toBe(0);

    await enter(page, `admin:${PASSWORD}`);
    // find_all answers 404 with no transponders: the page shows an empty list.
    await page.waitForSelector('#empty', { state: 'visible' });
    expect(await page.isVisible('#auth')).toBe(false);
    expect(await adminState(page)).toMatchObject({ error: '', authRequired: false });
  });

  it('after a wrong password it asks again and waits: no polling that spends the failure budget', async () => {
    const page = await open();
    await page.waitForSelector('#auth', { state: 'visible' });
    await enter(page, 'admin:wrong');
    await page.waitForSelector('#auth', { state: 'visible' });
    expect(service.authFailures.stats.failures).toBe(1);
    const polls = (await adminState(page)).polls;
    // Longer than the page's 2 s refresh: a polling page would have sent the wrong password again.
    await holdsFor(async () => service.authFailures.stats.failures === 1 && (await adminState(page)).polls === polls, {
      durationMs: 3000,
      what: 'the page waiting for credentials without polling',
    });
  });

  it('shows the limiter\'s 429 with its message once the address spent its budget; the right password waits for the window', async () => {
    const page = await open();
    await page.waitForSelector('#auth', { state: 'visible' });
    for (let i = 0; i < 3; i++) await enter(page, `admin:wrong-${i}`);
    expect(service.authFailures.stats.failures).toBe(3);
    await enter(page, `admin:${PASSWORD}`);
    const state = await waitFor(async () => {
      const s = await adminState(page);
      return s.error.includes('TOO_MANY_AUTH_FAILURES') ? s : undefined;
    }, { what: 'the 429 shown on the page' });
    expect(state.error).toMatch(/Too many failed authentications from this address: retry in \d+ s/);
    expect(state.error).not.toContain(PASSWORD);
    expect(service.authFailures.stats.failures).toBe(3);
  });
});
