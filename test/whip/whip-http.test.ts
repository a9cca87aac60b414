/**
 * The WHIP endpoint over real HTTP, without a browser: every answer of RFC 9725 and every
 * error status with its text body, the shared name space and limit, and the cleanup of a
 * client that never completes ICE. The offers are synthetic (no ICE agent behind them).
 */
import { EVERY_APP_KEY } from '../../src/access';
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { syntheticOffer } from '../webrtc/synthetic-offer';
import { HookBackend } from '../helpers/hook-backend';
import { loopbackSettings } from '../helpers/loopback-settings';
import { waitFor } from '../helpers/wait-for';

interface Answer { status: number; headers: Headers; body: string }

describe('WHIP over HTTP', () => {
  let service: TransponderService | undefined;
  let base = '';
  let backend: HookBackend | undefined;

  async function start(overrides: Partial<Settings> = {}): Promise<TransponderService> {
    service = new TransponderService(await loopbackSettings(overrides), silentLogger);
    const { http } = await service.start();
    base = `http://127.0.0.1:${http}`;
    return service;
  }

  async function request(method: string, path: string, opts: { body?: string; type?: string; token?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (opts.type !== undefined) headers['content-type'] = opts.type;
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(`${base}${path}`, { method, headers, body: opts.body });
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  const post = (path: string, opts: { body?: string; type?: string; token?: string } = {}): Promise<Answer> =>
    request('POST', path, { body: syntheticOffer(), type: 'application/sdp', ...opts });

  afterEach(async () => {
    await service?.stop('test over');
    service = undefined;
    await backend?.stop();
    backend = undefined;
  });

  it('POST answers 201 with the answer SDP, an unguessable Location, an ETag and CORS headers; DELETE ends it and frees the name', async () => {
    const s = await start();
    const created = await post('/whip/cam1');
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toMatch(/^application\/sdp/);
    expect(created.body).toMatch(/^v=0\r\n/);
    expect(created.body).toMatch(/a=candidate:.* 127\.0\.0\.1 /);
    const location = created.headers.get('location') ?? '';
    expect(location).toMatch(/^\/whip\/session\/[A-Za-z0-9_-]{24}$/);
    expect(created.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(created.headers.get('access-control-allow-origin')).toBe('*');
    expect(created.headers.get('access-control-expose-headers')).toMatch(/Location/);
    expect(s.registry.isFree('cam1')).toBe(false);

    const deleted = await request('DELETE', location);
    expect(deleted.status).toBe(200);
    expect(s.registry.isFree('cam1')).toBe(true);
    expect((await request('DELETE', location)).status).toBe(404);
  });

  it('POST /whip?name= publishes under that name', async () => {
    const s = await start();
    expect((await post('/whip?name=one-url')).status).toBe(201);
    expect(s.registry.isFree('one-url')).toBe(false);
  });

  it('OPTIONS answers a CORS preflight with Accept-Post: application/sdp', async () => {
    await start();
    for (const path of ['/whip/cam1', '/whip']) {
      const res = await request('OPTIONS', path);
      expect(res.status).toBe(204);
      expect(res.headers.get('accept-post')).toBe('application/sdp');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    }
  });

  it('Link headers give the STUN and TURN servers, TURN with its credentials (RFC 9725 4.6)', async () => {
    await start({ iceStunServers: ['stun:stun.example.net:3478'], iceTurnServer: 'turn:turn.example.net?transport=udp', iceTurnUsername: 'user', iceTurnPassword: 'pa"ss' });
    const created = await post('/whip/linked');
    expect(created.status).toBe(201);
    expect(created.headers.get('link')).toBe(
      '<stun:stun.example.net:3478>; rel="ice-server", <turn:turn.example.net?transport=udp>; rel="ice-server"; username="user"; credential="pa\\"ss"; credential-type="password"',
    );
  });

  describe('errors, each with a text body', () => {
    const expectError = (res: Answer, status: number, text: RegExp): void => {
      expect({ status: res.status, body: res.body }).toEqual({ status, body: expect.stringMatching(text) });
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    };

    it('400 for an offer that is not SDP, or lacks ICE credentials; 400 without a name', async () => {
      await start();
      expectError(await post('/whip/x', { body: 'hello' }), 400, /not SDP/);
      expectError(await post('/whip/x', { body: syntheticOffer().replace(/a=ice-ufrag:.*\r\n/g, '') }), 400, /ice-ufrag/);
      expectError(await post('/whip'), 400, /No stream name/);
    });

    it('401 without the bearer token or with a wrong one (WWW-Authenticate: Bearer); whip_token and publish_token both pass', async () => {
      await start({ whipToken: 'whip-secret', publishToken: 'page-secret' });
      const missing = await post('/whip/a');
      expectError(missing, 401, /Bearer/);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await post('/whip/a', { token: 'guess' });
      expectError(wrong, 401, /Wrong bearer token/);
      expect(wrong.body).not.toContain('whip-secret');
      expect((await post('/whip/a', { token: 'whip-secret' })).status).toBe(201);
      expect((await post('/whip/b', { token: 'page-secret' })).status).toBe(201);
    });

    it('403 when the REST hook backend refuses the publish, asked before any peer connection', async () => {
      backend = new HookBackend();
      await backend.start();
      const s = await start();
      s.access.update({ nodeId: s.nodeId, hooks: { urls: new Map([[EVERY_APP_KEY, backend.url()]]), timeoutMs: 5000, maxInFlight: 8, eventAttempts: 1 } });
      backend.script = (call) => {
        if (call.method === 'connect') return { body: { ...call.body, restClientConfig: { publishStream: { restOnError: 'FAIL' } } } };
        return call.method === 'publishStream' ? { status: 403 } : undefined;
      };
      expectError(await post('/whip/refused?rtmpUrl=rtmp%3A%2F%2F127.0.0.1%2Flive'), 403, /./);
      const asked = backend.callsOf('publishStream');
      expect(asked).toHaveLength(1);
      expect(asked[0]!.body).toMatchObject({ appKey: 'defaultApp', name: 'refused', rtmpUrl: 'rtmp://127.0.0.1/live' });
      expect(backend.callsOf('connect')[0]!.body).toMatchObject({ appKey: 'defaultApp' });
      expect(s.registry.isFree('refused')).toBe(true);
    });

    it('403 for ?rtmpUrl= when rtmp_push_from_client=false; 400 for an rtmpUrl that breaks the URL rules', async () => {
      await start({ rtmpPushFromClient: false });
      expectError(await post('/whip/a?rtmpUrl=rtmp%3A%2F%2F127.0.0.1%2Flive'), 403, /rtmp_push_from_client=false/);
      await service!.stop();
      await start();
      expectError(await post('/whip/a?rtmpUrl=http%3A%2F%2Fexample.com%2F'), 400, /rtmpUrl/);
    });

    it('404 for DELETE or PATCH of an unknown session', async () => {
      await start();
      expectError(await request('DELETE', '/whip/session/nope'), 404, /No such WHIP session/);
      expectError(await request('PATCH', '/whip/session/nope', { type: 'application/trickle-ice-sdpfrag', body: 'a=end-of-candidates\r\n' }), 404, /No such WHIP session/);
    });

    it('405 for PATCH (no trickle ICE, no ICE restart), with Allow', async () => {
      await start();
      const location = (await post('/whip/p')).headers.get('location')!;
      const res = await request('PATCH', location, { type: 'application/trickle-ice-sdpfrag', body: 'a=end-of-candidates\r\n' });
      expectError(res, 405, /Trickle ICE/);
      expect(res.headers.get('allow')).toBe('DELETE, OPTIONS');
    });

    it('409 for a name published over WHIP or being published by a WebSocket session', async () => {
      const s = await start();
      expect((await post('/whip/taken')).status).toBe(201);
      expectError(await post('/whip/taken'), 409, /already in use/);
      // What a WebSocket publishStream does first: it holds the name while its peer connection is set up.
      expect(s.registry.reserve('ws-name')).toBe(true);
      expectError(await post('/whip/ws-name'), 409, /already in use/);
    });

    it('415 for another content type, with Accept-Post', async () => {
      await start();
      const res = await post('/whip/x', { type: 'application/json', body: '{}' });
      expectError(res, 415, /application\/sdp/);
      expect(res.headers.get('accept-post')).toBe('application/sdp');
    });

    it('422 for an offer without H.264 (packetization-mode=1) or Opus', async () => {
      await start();
      const vp8Only = syntheticOffer().replace(/H264\/90000/g, 'VP8/90000').replace(/a=rtpmap:111 opus/, 'a=rtpmap:111 ISAC');
      expectError(await post('/whip/x', { body: vp8Only }), 422, /No acceptable codec/);
    });

    it('503 at max_streams_total, counted with the WebSocket path', async () => {
      const s = await start({ maxStreamsTotal: 1 });
      expect((await post('/whip/first')).status).toBe(201);
      expectError(await post('/whip/second'), 503, /limit of 1 streams/);
      expect(s.signaling.streamLoad).toEqual({ streams: 1, maxStreams: 1 });
    });
  });

  it('a client that never completes ICE is cleaned up after the connect deadline: its session gone, its name free', async () => {
    const s = await start();
    // The deadline of the tests' own service, short (the setting is 15 s).
    s.whip.update({ ...currentWhipOptions(s), webrtc: { ...currentWhipOptions(s).webrtc, connectTimeoutMs: 800 } });
    const location = (await post('/whip/silent')).headers.get('location')!;
    expect(s.registry.isFree('silent')).toBe(false);
    await waitFor(() => s.registry.isFree('silent') && s.whip.streamCount === 0, { what: 'the silent WHIP client cleaned up', timeoutMs: 10_000 });
    expect((await request('DELETE', location)).status).toBe(404);
    expect((await post('/whip/silent')).status).toBe(201);
  });
});

/** The options the service gave its endpoint (from its settings). */
function currentWhipOptions(s: TransponderService): Parameters<TransponderService['whip']['update']>[0] {
  return (s.whip as unknown as { opts: Parameters<TransponderService['whip']['update']>[0] }).opts;
}
