/**
 * The hook client against a real HTTP backend on loopback: URLs per application key,
 * the signature the backend verifies, timeouts, the in-flight bound, answers WCS
 * backends give ({status, reason}), and nothing left open after close.
 */
import { silentLogger } from '../../src/log';
import { EVERY_APP_KEY, RestHookClient, type RestHookOptions } from '../../src/access/rest-hooks/rest-hook-client';
import { HookBackend } from '../helpers/hook-backend';
import { waitFor } from '../helpers/wait-for';

describe('RestHookClient', () => {
  let backend: HookBackend;
  let client: RestHookClient | undefined;

  beforeEach(async () => {
    backend = new HookBackend();
    await backend.start();
  });
  afterEach(async () => {
    client?.close();
    client = undefined;
    await backend.stop();
  });

  function make(patch: Partial<RestHookOptions> = {}): RestHookClient {
    const urls = patch.urls ?? new Map([[EVERY_APP_KEY, backend.url()]]);
    client = new RestHookClient({ timeoutMs: 2000, maxInFlight: 8, eventAttempts: 3, ...patch, urls }, silentLogger);
    return client;
  }

  test('POSTs JSON to <url>/<method>; the URL of an application key wins over rest_hook_url', async () => {
    const c = make({ urls: new Map([[EVERY_APP_KEY, backend.url('EchoApp')], ['live', `${backend.url('LiveApp')}/`]]) });
    const a = await c.call('defaultApp', 'connect', { appKey: 'defaultApp' });
    const b = await c.call('live', 'connect', { appKey: 'live' });
    expect(a).toEqual({ kind: 'ok', body: { appKey: 'defaultApp' } });
    expect(b.kind).toBe('ok');
    expect(backend.calls.map((x) => [x.app, x.method])).toEqual([['EchoApp', 'connect'], ['LiveApp', 'connect']]);
    expect(backend.calls[0]!.headers['content-type']).toBe('application/json;charset=UTF-8');
    expect(backend.calls[0]!.headers.authorization).toBeUndefined();
  });

  test('without a URL for the key there is no call', async () => {
    const c = make({ urls: new Map([['only', backend.url()]]) });
    expect(c.urlFor('defaultApp')).toBeUndefined();
    c.notify('defaultApp', 'StreamStatusEvent', {}, 'k');
    expect((await c.call('defaultApp', 'connect', {})).kind).toBe('failed');
    expect(backend.calls).toHaveLength(0);
  });

  test.each(['md5', 'sha256'] as const)('every request carries the %s signature the backend verifies over the bytes it got', async (algorithm) => {
    backend.verify = { key: 'shared-secret', algorithm };
    const c = make({ signing: { key: 'shared-secret', algorithm } });
    expect((await c.call('defaultApp', 'connect', { custom: { token: 'é' } })).kind).toBe('ok');
    c.notify('defaultApp', 'StreamStatusEvent', { status: 'PUBLISHING' }, 'm1');
    await waitFor(() => backend.calls.length === 2, { what: 'the event' });
    expect(backend.calls.map((x) => x.signatureOk)).toEqual([true, true]);
  });

  test('a wrong key gets the backend\'s 403 with its reason', async () => {
    backend.verify = { key: 'shared-secret', algorithm: 'md5' };
    const c = make({ signing: { key: 'other', algorithm: 'md5' } });
    expect(await c.call('defaultApp', 'connect', {})).toEqual({ kind: 'declined', status: 403, reason: 'Bad signature', custom: true });
  });

  test('a refusal gives {status, reason} when the body is exactly that, else the reason phrase', async () => {
    const c = make();
    backend.script = () => ({ status: 403, body: { status: 403, reason: 'Wrong credentials' } });
    expect(await c.call('defaultApp', 'connect', {})).toEqual({ kind: 'declined', status: 403, reason: 'Wrong credentials', custom: true });
    backend.script = () => ({ status: 403, body: { status: 403, reason: 'x', extra: 1 } });
    expect(await c.call('defaultApp', 'connect', {})).toEqual({ kind: 'declined', status: 403, reason: 'Forbidden', custom: false });
    backend.script = () => ({ status: 500, rawBody: 'oops' });
    expect(await c.call('defaultApp', 'connect', {})).toEqual({ kind: 'declined', status: 500, reason: 'Internal Server Error', custom: false });
  });

  test('200 without a JSON object is no answer', async () => {
    const c = make();
    backend.script = () => ({ rawBody: '<html>' });
    expect(await c.call('defaultApp', 'connect', {})).toEqual({ kind: 'failed', error: 'answered 200 without a JSON object (answer is not JSON)' });
    backend.script = () => ({ body: [1, 2] });
    expect((await c.call('defaultApp', 'connect', {})).kind).toBe('failed');
  });

  test('a backend slower than the timeout is no answer, and the request is ended', async () => {
    const c = make({ timeoutMs: 200 });
    backend.script = () => ({ delayMs: 30_000 });
    expect(await c.call('defaultApp', 'connect', {})).toEqual({ kind: 'failed', error: 'no answer within 200 ms' });
  });

  test('an unreachable backend is no answer', async () => {
    const port = backend.port;
    await backend.stop();
    const c = make({ urls: new Map([[EVERY_APP_KEY, `http://127.0.0.1:${port}/EchoApp`]]) });
    const r = await c.call('defaultApp', 'connect', {});
    expect(r.kind).toBe('failed');
    backend = new HookBackend();
    await backend.start();
  });

  test('the caller\'s signal aborts its call', async () => {
    const c = make();
    backend.script = () => ({ delayMs: 30_000 });
    const abort = new AbortController();
    const pending = c.call('defaultApp', 'connect', {}, abort.signal);
    await waitFor(() => backend.calls.length === 1, { what: 'the call to arrive' });
    abort.abort();
    expect(await pending).toEqual({ kind: 'failed', error: 'aborted' });
  });

  test('at most maxInFlight requests are open; a direct call goes before events that waited longer', async () => {
    const c = make({ maxInFlight: 1 });
    backend.script = (call) => (call.body.n === 0 ? { delayMs: 30_000 } : undefined);
    const first = c.call('defaultApp', 'connect', { n: 0 });
    await waitFor(() => backend.calls.length === 1, { what: 'the first call' });
    c.notify('defaultApp', 'StreamStatusEvent', { n: 1 }, 'a');
    c.notify('defaultApp', 'StreamStatusEvent', { n: 2 }, 'b');
    const direct = c.call('defaultApp', 'publishStream', { n: 3 });
    await waitFor(() => c.stats.waiting === 3, { what: 'three waiting', seen: () => JSON.stringify(c.stats) });
    expect(c.stats.inFlight).toBe(1);
    expect(backend.calls).toHaveLength(1);
    backend.releaseDelayed();
    expect((await first).kind).toBe('ok');
    expect((await direct).kind).toBe('ok');
    await waitFor(() => backend.calls.length === 4, { what: 'the events' });
    expect(backend.calls.map((x) => x.body.n)).toEqual([0, 3, 1, 2]);
  });

  test('events of one key arrive in order; close drops what waits and ends every socket', async () => {
    const c = make();
    for (let n = 0; n < 20; n++) c.notify('defaultApp', 'StreamStatusEvent', { n }, 'm1');
    await waitFor(() => backend.calls.length === 20, { what: '20 events' });
    expect(backend.calls.map((x) => x.body.n)).toEqual([...Array(20).keys()]);
    expect(c.stats.delivered).toBe(20);
    backend.script = () => ({ delayMs: 30_000 });
    c.notify('defaultApp', 'StreamStatusEvent', { n: 20 }, 'm1');
    c.notify('defaultApp', 'StreamStatusEvent', { n: 21 }, 'm1');
    await waitFor(() => backend.calls.length === 21, { what: 'the 21st event' });
    c.close();
    expect(c.stats.dropped).toBe(2);
    await waitFor(() => c.stats.inFlight === 0, { what: 'the aborted request to end' });
  });

  test('events the backend does not take are tried again; a 4xx is taken (the backend said no)', async () => {
    const c = make();
    let fails = 1;
    backend.script = (call) => (call.body.kind === 'flaky' && fails-- > 0 ? { status: 503 } : call.body.kind === 'refused' ? { status: 400 } : undefined);
    c.notify('defaultApp', 'StreamStatusEvent', { kind: 'flaky' }, 'a');
    c.notify('defaultApp', 'StreamStatusEvent', { kind: 'refused' }, 'b');
    await waitFor(() => c.stats.delivered === 2, { what: 'both events taken', seen: () => JSON.stringify(c.stats) });
    expect(backend.calls.map((x) => x.body.kind).sort()).toEqual(['flaky', 'flaky', 'refused']);
    expect(c.stats.retried).toBe(1);
  });
});
