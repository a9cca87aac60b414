/**
 * The log of a whole relay holds none of its secrets. The real service runs in-process
 * with its real logger (pino, at debug, every line captured as written): a WebSDK-speaking
 * publisher (the load publisher, werift) sends a `custom` token and a publishStream
 * rtmpUrl with a password and a key to a dead port (a failed connect); a second publish of
 * the same name is refused; the REST API, behind a token and a password, starts a push
 * with a password and a stream key to a real nginx-rtmp, one nginx refuses (its on_publish
 * answers 403), answers a wrong token, a token in a query string and a bad body; then
 * everything ends. The whole output is scanned for each secret, and the lines an operator
 * needs are checked to be there (so an empty log cannot pass), with exactly one end line
 * per push, per publisher and per session. Runs in a private network namespace.
 */
import type { Settings } from '../../src/config';
import { TransponderService } from '../../src/server';
import type { TransponderJson } from '../../src/rest/schemas';
import { loadSource, type LoadSource } from '../../tools/load-publisher/load-source';
import { LoadStream } from '../../tools/load-publisher/load-stream';
import { LogCapture, type CapturedLine } from '../helpers/log-capture';
import { loopbackSettings } from '../helpers/loopback-settings';
import { freePort, NginxRtmp } from '../helpers/nginx-rtmp';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const SECRETS = {
  streamKey: 'sk-live-7f3a9c2e5b1d',
  rtmpPassword: 'pw-Qz8rT4vX-rtmp',
  restToken: 'rest-tok-91b2c3d4e5',
  restPassword: 'rest-pw-a1s2d3f4',
  customToken: 'ws-custom-5e6f7a8b9c',
  websdkKey: 'sk-websdk-2468ace0',
  websdkPassword: 'pw-websdk-Hh7Jj8',
  refusedKey: 'sk-refused-13579bdf',
} as const;
const BASIC = `Basic ${Buffer.from(`admin:${SECRETS.restPassword}`).toString('base64')}`;
const BEARER = `Bearer ${SECRETS.restToken}`;
const ENDED = new Set(['TERMINATED', 'FAILED']);

/** The names of the secrets that `text` contains (the scan). */
function secretsIn(text: string): string[] {
  const found: string[] = Object.entries(SECRETS).filter(([, value]) => text.includes(value)).map(([name]) => name);
  if (text.includes(BASIC.slice('Basic '.length))) found.push('basicCredentials');
  return found;
}

describe('the log of a relay with keys, passwords and tokens in play', () => {
  let nginx: NginxRtmp;
  let settings: Settings;
  let service: TransponderService;
  let source: LoadSource;
  const capture = new LogCapture();
  const streams: LoadStream[] = [];
  let pump: NodeJS.Timeout | undefined;
  let pushIds: string[] = [];

  async function rest(method: string, body: unknown, authorization: string, query = ''): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`http://127.0.0.1:${settings.httpPort}/rest-api/push/${method}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function transponder(id: string): Promise<TransponderJson | undefined> {
    const all = await rest('find_all', {}, BEARER);
    return (all.body as TransponderJson[]).find((t) => t.mediaSessionId === id);
  }

  function stream(name: string, rtmpUrl?: string): LoadStream {
    const s = new LoadStream({ url: `ws://127.0.0.1:${settings.wsPort}`, name, source, rtmpUrl, custom: { token: SECRETS.customToken }, timeoutMs: 20_000 });
    streams.push(s);
    return s;
  }

  beforeAll(async () => {
    nginx = await NginxRtmp.start();
    nginx.hooks.refuse.add(SECRETS.refusedKey);
    const deadPort = await freePort();
    settings = await loopbackSettings({
      disableRestAuth: false,
      restAuthUser: 'admin',
      restAuthPassword: SECRETS.restPassword,
      restAuthToken: SECRETS.restToken,
      rtmpPushRestore: false,
    });
    service = new TransponderService(settings, capture.logger('debug'));
    await service.start();
    source = loadSource({ width: 320, height: 240, fps: 15, videoKbps: 300, seconds: 4 });
    pump = setInterval(() => {
      const now = performance.now();
      for (const s of streams) s.pump(now);
    }, 5);

    // A publish whose own rtmpUrl (a password and a key) points at a dead port: a failed connect.
    const cam = stream('cam1', `rtmp://wsuser:${SECRETS.websdkPassword}@127.0.0.1:${deadPort}/live/${SECRETS.websdkKey}`);
    await cam.start();
    // The same name again, from another session: refused.
    await expect(stream('cam1', `rtmp://127.0.0.1:${deadPort}/live/${SECRETS.websdkKey}`).start()).rejects.toThrow(/failed/i);

    // The relay: a password and a stream key to nginx, through the REST API behind a token.
    const relayUrl = `rtmp://relay:${SECRETS.rtmpPassword}@127.0.0.1:${nginx.rtmpPort}/live/${SECRETS.streamKey}`;
    const started = await rest('startup', { streamName: 'cam1', rtmpUrl: relayUrl, rtmpTransponderFullUrl: true }, BEARER);
    expect(started.status).toBe(200);
    const relayId = (started.body as TransponderJson).mediaSessionId;
    await waitFor(async () => ((await transponder(relayId))?.stats.framesSent ?? 0) > 30, { what: 'the relay sending frames', timeoutMs: 30_000, intervalMs: 100 });

    // A push nginx refuses (on_publish answers 403), asked with the Basic password.
    const refusedUrl = `rtmp://relay:${SECRETS.rtmpPassword}@127.0.0.1:${nginx.rtmpPort}/live/${SECRETS.refusedKey}`;
    const refused = await rest('startup', { streamName: 'cam1', rtmpUrl: refusedUrl, rtmpTransponderFullUrl: true }, BASIC);
    expect(refused.status).toBe(200);
    const refusedId = (refused.body as TransponderJson).mediaSessionId;
    await waitFor(async () => ENDED.has((await transponder(refusedId))?.status ?? ''), { what: 'the refused push ended', timeoutMs: 30_000, intervalMs: 100 });

    // What careless clients send: a wrong token, the token in a query string, a bad body.
    expect((await rest('find_all', {}, `Bearer ${SECRETS.restToken}-guess`)).status).toBe(401);
    expect((await rest('find_all', {}, BEARER, `?token=${SECRETS.restToken}`)).status).toBe(200);
    expect((await rest('startup', { streamName: 'cam1', rtmpUrl: relayUrl, width: -1 }, BEARER)).status).toBe(400);

    expect((await rest('terminate', { mediaSessionId: relayId }, BEARER)).status).toBe(200);
    cam.close('test over');
    pushIds = service.transponders.findAll().map((t) => t.mediaSessionId);
    await waitFor(() => service.transponders.findAll().every((t) => ENDED.has(t.status)), { what: 'every push ended', timeoutMs: 20_000 });
    await waitFor(() => capture.withMsg('session ended').length === 2 && capture.withMsg('publisher ended').length >= 1, {
      what: 'both sessions and the publisher ended',
      timeoutMs: 20_000,
      seen: () => capture.lines().map((l) => l.msg).join(', '),
    });
  });

  afterAll(async () => {
    if (pump) clearInterval(pump);
    for (const s of streams) s.close('test over');
    await service?.stop();
    await nginx?.stop();
  });

  it('holds none of the secrets, at debug level, in any line', () => {
    expect(capture.lines().length).toBeGreaterThan(20);
    expect(secretsIn(capture.text())).toEqual([]);
  });

  it('the scan finds each secret when it is there', () => {
    for (const [name, value] of Object.entries(SECRETS)) expect(secretsIn(`{"msg":"x ${value} y"}`)).toEqual([name]);
    expect(secretsIn(BASIC)).toEqual(['basicCredentials']);
  });

  it('has the lines an operator needs: requests, the refusals, the failed connect, each end with its reason', () => {
    const http = capture.withMsg('http').map((l) => l.fields);
    expect(http).toContainEqual(expect.objectContaining({ method: 'POST', path: '/rest-api/push/startup', status: 200 }));
    expect(http).toContainEqual(expect.objectContaining({ path: '/rest-api/push/find_all', status: 401 }));
    expect(http).toContainEqual(expect.objectContaining({ path: '/rest-api/push/startup', status: 400, code: 'INVALID_PARAMETER' }));
    expect(capture.withMsg('publish refused')).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ stream: 'cam1' }) }));

    const ends = capture.withMsg('push ended');
    const byState = (state: string): CapturedLine[] => ends.filter((l) => l.fields.state === state);
    expect(byState('TERMINATED')).toHaveLength(1);
    expect(byState('TERMINATED')[0].fields).toMatchObject({
      stream: 'cam1',
      url: `rtmp://127.0.0.1:${nginx.rtmpPort}/live/***`,
      reason: expect.any(String),
      bytes: expect.any(Number),
      frames: expect.any(Number),
      drops: expect.any(Number),
      restores: 0,
      durationMs: expect.any(Number),
    });
    expect(byState('TERMINATED')[0].fields.frames).toBeGreaterThan(30);
    // The failed connect (the publish's own rtmpUrl) and the push nginx refused.
    expect(byState('FAILED')).toHaveLength(2);
    for (const failed of byState('FAILED')) expect(failed).toMatchObject({ level: 'warn', fields: { reason: expect.any(String), url: expect.stringMatching(/^rtmp:\/\/127\.0\.0\.1:\d+\/live\/\*\*\*$/) } });

    expect(capture.withMsg('publisher ended')[0].fields).toMatchObject({ stream: 'cam1', session: expect.any(String), mediaSessionId: expect.any(String), reason: expect.any(String), videoFrames: expect.any(Number) });
    expect(capture.withMsg('session ended').map((l) => l.fields)).toEqual([
      expect.objectContaining({ reason: expect.any(String), durationMs: expect.any(Number), published: 0 }),
      expect.objectContaining({ reason: expect.any(String), durationMs: expect.any(Number), published: 1 }),
    ]);
  });

  it('ends each push, each publisher and each session with exactly one line', () => {
    const count = (msg: string, field: string): Map<unknown, number> => {
      const counts = new Map<unknown, number>();
      for (const l of capture.withMsg(msg)) counts.set(l.fields[field], (counts.get(l.fields[field]) ?? 0) + 1);
      return counts;
    };
    expect(pushIds).toHaveLength(3);
    expect(count('push ended', 'mediaSessionId')).toEqual(new Map(pushIds.map((id) => [id, 1])));

    const sessions = new Set(capture.withMsg('session opened').map((l) => l.fields.session));
    expect(sessions.size).toBe(2);
    expect(count('session ended', 'session')).toEqual(new Map([...sessions].map((s) => [s, 1])));

    // Every publisher that said anything (bound with its mediaSessionId) ended once.
    const publishers = new Set(capture.lines().filter((l) => l.msg.startsWith('publisher ') && l.fields.mediaSessionId).map((l) => l.fields.mediaSessionId));
    expect(publishers.size).toBe(1);
    expect(count('publisher ended', 'mediaSessionId')).toEqual(new Map([...publishers].map((id) => [id, 1])));
  });

  it('binds the child fields: stream and mediaSessionId on push lines, session on session and publisher lines', () => {
    for (const l of capture.lines().filter((x) => x.msg.startsWith('transponder ') || x.msg === 'push ended')) {
      expect(l.fields).toMatchObject({ stream: 'cam1', mediaSessionId: expect.any(String) });
    }
    for (const l of capture.lines().filter((x) => x.msg.startsWith('publisher '))) {
      expect(l.fields).toMatchObject({ stream: 'cam1', session: expect.any(String), mediaSessionId: expect.any(String) });
    }
  });
});
