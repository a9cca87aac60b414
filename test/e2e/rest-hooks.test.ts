/**
 * WCS REST hooks and the publish token with the official WebSDK in Chromium, against the
 * whole service and a recording backend: accept, decline on connect (the page gets the
 * backend's reason), decline on publish before any peer connection (FAILED "Restricted
 * access"), OVERWRITE of the name and the rtmpUrl, a backend that times out (LOG goes on,
 * FAIL declines), the signature the backend verifies, and the token.
 * Runs in its own network namespace (unshare --net, lo up); everything is on 127.0.0.1.
 */
import type { Page } from 'playwright-core';
import { EVERY_APP_KEY, RESTRICTED_ACCESS, TOKEN_WRONG, TOKEN_MISSING, type PublishAccessOptions } from '../../src/access';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { Publisher } from '../../src/webrtc/publisher';
import { ChromiumBrowser, describeWithChromium } from '../helpers/chromium';
import { HookBackend } from '../helpers/hook-backend';
import { loopbackSettings } from '../helpers/loopback-settings';
import { freePort } from '../helpers/nginx-rtmp';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(90_000);

/** What the page saw, kept by PAGE_SCRIPT in window.hookPage. */
interface HookPageState {
  session: string;
  sessions: string[];
  warn: string;
  stream: string;
  info: string;
}

interface PageRun {
  server: string;
  appKey?: string;
  custom?: Record<string, unknown>;
  name: string;
  rtmpUrl?: string;
}

/**
 * The page's part, as a page written for WCS does it: createSession with appKey and
 * custom, then publish once ESTABLISHED. A string, so no bundler helper leaks into it.
 */
const PAGE_SCRIPT = `(run) => {
  const S = Flashphoner.constants.SESSION_STATUS, T = Flashphoner.constants.STREAM_STATUS;
  const st = window.hookPage = { session: 'NEW', sessions: [], warn: '', stream: 'NEW', info: '' };
  const session = (s) => { st.session = s; st.sessions.push(s); };
  Flashphoner.init({});
  const opts = { urlServer: run.server, custom: run.custom };
  if (run.appKey) opts.appKey = run.appKey;
  Flashphoner.createSession(opts)
    .on(S.ESTABLISHED, (s) => {
      session('ESTABLISHED');
      const o = { name: run.name, display: document.getElementById('display'), cacheLocalResources: false,
        constraints: { audio: true, video: { width: 640, height: 360 } } };
      if (run.rtmpUrl) o.rtmpUrl = run.rtmpUrl;
      const stream = s.createStream(o);
      window.hookStream = stream;
      stream.on(T.PUBLISHING, (x) => { st.stream = 'PUBLISHING'; st.info = x.getInfo() || ''; })
        .on(T.FAILED, (x) => { st.stream = 'FAILED'; st.info = x.getInfo() || ''; })
        .on(T.UNPUBLISHED, (x) => { st.stream = 'UNPUBLISHED'; st.info = x.getInfo() || ''; });
      stream.publish();
    })
    .on(S.FAILED, () => session('FAILED'))
    .on(S.DISCONNECTED, () => session('DISCONNECTED'))
    .on(S.WARN, (w) => { st.warn = (w && w.info) || ''; });
}`;

describeWithChromium('REST hooks and the publish token with the WebSDK in Chromium', () => {
  let backend: HookBackend;
  let service: TransponderService;
  let browser: ChromiumBrowser;
  let httpPort: number;
  let wsPort: number;
  let creates: jest.SpyInstance;
  const pages: Page[] = [];

  beforeAll(async () => {
    backend = new HookBackend();
    await backend.start();
    const settings = await loopbackSettings();
    httpPort = settings.httpPort;
    wsPort = settings.wsPort;
    service = new TransponderService(settings, silentLogger);
    await service.start();
    browser = new ChromiumBrowser();
    await browser.launch();
  });

  beforeEach(() => {
    backend.calls.length = 0;
    backend.script = () => undefined;
    backend.verify = undefined;
    creates = jest.spyOn(Publisher, 'create');
    access({});
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
    creates.mockRestore();
    await waitFor(() => service.registry.list().length === 0, { what: 'every publisher gone' });
    // Every session this test established has told the backend it ended, so no event of
    // this test arrives during the next one.
    const connectionEvents = (status: string): number => backend.callsOf('ConnectionStatusEvent').filter((c) => c.body.status === status).length;
    await waitFor(() => connectionEvents('ESTABLISHED') === connectionEvents('DISCONNECTED'), { what: 'a DISCONNECTED for every ESTABLISHED' });
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await backend?.stop();
  });

  /** The service's access settings, changed live as a settings reload would. */
  function access(patch: { publishToken?: string; hooks?: Partial<PublishAccessOptions['hooks']> }): void {
    service.access.update({
      nodeId: service.nodeId,
      publishToken: patch.publishToken,
      hooks: { urls: new Map([[EVERY_APP_KEY, backend.url()]]), timeoutMs: 5000, maxInFlight: 32, eventAttempts: 3, ...patch.hooks },
    });
  }

  async function run(r: Omit<PageRun, 'server'>): Promise<Page> {
    const page = await browser.newPage(`http://127.0.0.1:${httpPort}/`);
    pages.push(page);
    await page.evaluate(`(${PAGE_SCRIPT})(${JSON.stringify({ ...r, server: `ws://127.0.0.1:${wsPort}` })})`);
    return page;
  }

  function state(page: Page): Promise<HookPageState> {
    return page.evaluate('window.hookPage') as Promise<HookPageState>;
  }

  async function until(page: Page, test: (s: HookPageState) => boolean, what: string): Promise<HookPageState> {
    let last: HookPageState | undefined;
    await waitFor(async () => test((last = await state(page))), { timeoutMs: 20_000, what, seen: () => JSON.stringify(last) });
    return last!;
  }

  const methods = (): string[] => backend.calls.map((c) => c.method);

  it('accepts: connect, publishStream, the events in order, each signed and verified by the backend', async () => {
    backend.verify = { key: 'shared-secret', algorithm: 'md5' };
    access({ hooks: { signing: { key: 'shared-secret', algorithm: 'md5' } } });
    const page = await run({ name: 'hook-ok', custom: { user: 'ann' } });
    await until(page, (s) => s.stream === 'PUBLISHING', 'PUBLISHING');
    await page.evaluate('window.hookStream.stop()');
    await until(page, (s) => s.stream === 'UNPUBLISHED', 'UNPUBLISHED');
    await waitFor(() => backend.callsOf('StreamStatusEvent').length === 2, { what: 'two StreamStatusEvents', seen: () => methods().join() });
    expect(backend.calls.every((c) => c.signatureOk === true)).toBe(true);
    expect(backend.callsOf('connect')[0]!.body).toMatchObject({ appKey: 'defaultApp', sessionId: expect.any(String), custom: { user: 'ann' } });
    expect(backend.callsOf('connect')[0]!.body).not.toHaveProperty('authToken');
    const stream = backend.calls.filter((c) => c.body.name === 'hook-ok').map((c) => `${c.method}:${String(c.body.status)}`);
    expect(stream).toEqual(['publishStream:PENDING', 'StreamStatusEvent:PUBLISHING', 'unPublishStream:UNPUBLISHED', 'StreamStatusEvent:UNPUBLISHED']);
    expect(backend.callsOf('publishStream')[0]!.body).not.toHaveProperty('sdp');
    expect(creates).toHaveBeenCalledTimes(1);
  });

  it('declines on connect: the page gets the backend\'s reason, the session ends, nothing is published', async () => {
    backend.script = (call) => (call.method === 'connect' ? { status: 403, body: { status: 403, reason: 'Wrong credentials' } } : undefined);
    const page = await run({ name: 'hook-no-session' });
    const s = await until(page, (x) => x.session === 'DISCONNECTED' || x.session === 'FAILED', 'the session to end');
    expect(s.warn).toBe('Wrong credentials');
    expect(s.sessions).not.toContain('ESTABLISHED');
    expect(methods()).toEqual(['connect']);
    expect(creates).not.toHaveBeenCalled();
  });

  it('declines on publish (restOnError FAIL): FAILED "Restricted access", and no peer connection is ever opened', async () => {
    backend.script = (call) => {
      if (call.method === 'connect') return { body: { ...call.body, restClientConfig: { publishStream: { restOnError: 'FAIL' } } } };
      if (call.method === 'publishStream') return { status: 403 };
      return undefined;
    };
    const page = await run({ name: 'hook-refused' });
    const s = await until(page, (x) => x.stream === 'FAILED', 'FAILED');
    expect(s.info).toBe(RESTRICTED_ACCESS);
    await waitFor(() => backend.callsOf('StreamStatusEvent').length === 1, { what: 'StreamStatusEvent FAILED' });
    expect(backend.callsOf('StreamStatusEvent')[0]!.body).toMatchObject({ status: 'FAILED', info: RESTRICTED_ACCESS, name: 'hook-refused' });
    expect(creates).not.toHaveBeenCalled();
    expect(service.registry.isFree('hook-refused')).toBe(true);
  });

  it('OVERWRITE: the backend renames the stream and chooses the relay\'s rtmpUrl', async () => {
    const rtmpPort = await freePort(); // nobody listens: the relay is only checked for its destination
    const chosen = `rtmp://127.0.0.1:${rtmpPort}/live/BACKEND-KEY`;
    backend.script = (call) => {
      if (call.method === 'connect') return { body: { ...call.body, restClientConfig: { publishStream: { restPolicy: 'OVERWRITE', restOverwrite: 'name,rtmpUrl' } } } };
      if (call.method === 'publishStream') return { body: { ...call.body, name: 'room-42', rtmpUrl: chosen } };
      return undefined;
    };
    const page = await run({ name: 'page-name', rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/page/PAGE-KEY` });
    await until(page, (s) => s.stream === 'PUBLISHING', 'PUBLISHING');
    expect(service.registry.get('room-42')).toBeDefined();
    expect(service.registry.get('page-name')).toBeUndefined();
    await waitFor(() => service.transponders.findAll().some((t) => t.sourceStreamName === 'room-42'), { what: 'the relay of room-42' });
    expect(service.transponders.findAll().filter((t) => t.sourceStreamName === 'room-42').map((t) => t.rtmpUrl)).toEqual([chosen]);
    await waitFor(() => backend.callsOf('TransponderStatusEvent').length >= 2, { what: 'TransponderStatusEvents', seen: () => methods().join() });
    const relay = backend.callsOf('TransponderStatusEvent');
    expect(relay[0]!.body).toMatchObject({ streamName: 'room-42', rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/live/***`, status: 'PENDING' });
    expect(JSON.stringify(relay.map((c) => c.body))).not.toContain('BACKEND-KEY');
  });

  it('a backend that does not answer in time: LOG lets the publish go on, FAIL declines it', async () => {
    access({ hooks: { timeoutMs: 500 } });
    backend.script = (call) => (call.method === 'publishStream' ? { delayMs: 60_000 } : undefined);
    const logPage = await run({ name: 'hook-slow-log' });
    await until(logPage, (s) => s.stream === 'PUBLISHING', 'PUBLISHING despite the timeout');
    expect(creates).toHaveBeenCalledTimes(1);

    backend.script = (call) => {
      if (call.method === 'connect') return { body: { ...call.body, restClientConfig: { publishStream: { restOnError: 'FAIL' } } } };
      return call.method === 'publishStream' ? { delayMs: 60_000 } : undefined;
    };
    const failPage = await run({ name: 'hook-slow-fail' });
    const s = await until(failPage, (x) => x.stream === 'FAILED', 'FAILED after the timeout');
    expect(s.info).toBe(RESTRICTED_ACCESS);
    expect(creates).toHaveBeenCalledTimes(1);
    backend.releaseDelayed();
  });

  it('publish token: a wrong or missing one is refused with a clear reason before any hook; the right one publishes', async () => {
    access({ publishToken: 'right-token' });
    const wrong = await run({ name: 'tok-wrong', custom: { token: 'guess' } });
    const w = await until(wrong, (s) => s.session === 'DISCONNECTED' || s.session === 'FAILED', 'the wrong token refused');
    expect(w.warn).toBe(TOKEN_WRONG);
    const missing = await run({ name: 'tok-missing' });
    expect((await until(missing, (s) => s.session === 'DISCONNECTED' || s.session === 'FAILED', 'no token refused')).warn).toBe(TOKEN_MISSING);
    expect(methods()).toEqual([]);
    const right = await run({ name: 'tok-right', custom: { token: 'right-token' } });
    await until(right, (s) => s.stream === 'PUBLISHING', 'PUBLISHING with the token');
    expect(creates).toHaveBeenCalledTimes(1);
  });
});
