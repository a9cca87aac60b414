import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { silentLogger } from '../../src/log';
import { SignalingServer, type SignalingOptions } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { syntheticOffer } from '../webrtc/synthetic-offer';
import { waitFor } from '../helpers/wait-for';

interface Msg { message: string; data: unknown[] }

/** A WebSocket client that speaks like the WebSDK and records what it hears. */
class Client {
  readonly heard: Msg[] = [];
  private waiters: Array<() => void> = [];
  closedWith?: number;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.heard.push(JSON.parse(String(d)) as Msg);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code) => {
      this.closedWith = code;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(port: number): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return new Client(ws);
  }

  send(message: string, payload: unknown): void {
    this.ws.send(JSON.stringify({ message, data: [payload] }));
  }

  raw(text: string | Buffer): void {
    this.ws.send(text);
  }

  async next(pred: (m: Msg) => boolean, timeoutMs = 5000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.heard.find(pred);
      if (found) {
        this.heard.splice(this.heard.indexOf(found), 1);
        return found;
      }
      if (Date.now() > deadline) throw new Error(`timed out; heard ${JSON.stringify(this.heard.map((m) => m.message))}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }

  fail(): Promise<Msg> {
    return this.next((m) => m.message === 'fail');
  }

  status(id: string): Promise<{ status: string; info?: string; mediaSessionId: string }> {
    return this.next((m) => m.message === 'notifyStreamStatusEvent' && (m.data[0] as { mediaSessionId: string }).mediaSessionId === id)
      .then((m) => m.data[0] as { status: string; info?: string; mediaSessionId: string });
  }

  async connect(): Promise<Record<string, unknown>> {
    this.send('connection', { appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0', authToken: null });
    return (await this.next((m) => m.message === 'getUserData')).data[0] as Record<string, unknown>;
  }

  publish(id: string, name: string, extra: Record<string, unknown> = {}): void {
    this.send('publishStream', { mediaSessionId: id, name, published: true, hasVideo: true, hasAudio: true, status: 'PENDING', record: false, mediaProvider: 'WebRTC', sdp: syntheticOffer(), ...extra });
  }

  close(): void {
    this.ws.close();
  }
}

describe('SignalingServer (WCS protocol, bad input)', () => {
  let server: SignalingServer;
  let registry: StreamRegistry;
  const clients: Client[] = [];
  const base: SignalingOptions = {
    port: 0,
    host: '127.0.0.1',
    maxMessageBytes: 64 * 1024,
    maxStreamsPerSession: 2,
    maxStreamsTotal: 3,
    keepAliveIntervalMs: 100,
    keepAliveTimeoutMs: 60000,
    webrtc: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1', connectTimeoutMs: 20000 },
  };

  async function start(opts: Partial<SignalingOptions> = {}): Promise<void> {
    registry = new StreamRegistry(silentLogger);
    server = new SignalingServer({ ...base, ...opts }, registry, silentLogger);
    await server.listen();
  }

  async function client(): Promise<Client> {
    const c = await Client.open(server.ports.ws!);
    clients.push(c);
    return c;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
  });

  it('answers connection with getUserData, and pings', async () => {
    await start();
    const c = await client();
    const user = await c.connect();
    expect(user).toMatchObject({ appKey: 'defaultApp', status: 'ESTABLISHED' });
    expect(typeof user.sessionId).toBe('string');
    await c.next((m) => m.message === 'ping');
    c.send('ping', null);
    await c.next((m) => m.message === 'pong');
  });

  it('a second close() waits for the first to finish: the port is free when either returns', async () => {
    await start();
    const c = await client();
    await c.connect();
    const port = server.ports.ws!;
    const first = server.close();
    await server.close();
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => probe.close(() => r()));
    await first;
  });

  it('stopping looks like a server that went away: no UNPUBLISHED, the socket cut (1006), the name freed', async () => {
    await start();
    const c = await client();
    await c.connect();
    c.publish('m1', 'cam');
    await c.next((m) => m.message === 'setRemoteSDP');
    c.ws.on('error', () => undefined); // the cut socket reports an error too
    await server.close();
    await waitFor(() => c.closedWith !== undefined, { what: 'the socket to close' });
    expect(c.closedWith).toBe(1006); // abnormal: the WebSDK reports FAILED, not DISCONNECTED
    expect(c.heard.filter((m) => m.message === 'notifyStreamStatusEvent').map((m) => (m.data[0] as { status: string }).status)).not.toContain('UNPUBLISHED');
    expect(registry.isFree('cam')).toBe(true);
  });

  it('answers non-JSON, wrong shapes and unknown messages with fail, and keeps serving', async () => {
    await start();
    const c = await client();
    await c.connect();
    c.raw('this is not json');
    expect((await c.fail()).data[0]).toMatchObject({ info: 'Message is not JSON' });
    c.raw('[1,2,3]');
    expect((await c.fail()).data[0]).toMatchObject({ info: 'Message is not a JSON object' });
    c.raw('{"message":"publishStream","data":"x"}');
    expect((await c.fail()).data[0]).toMatchObject({ info: '"data" of publishStream is not an array' });
    c.send('call', { callId: '1' });
    expect((await c.fail()).data[0]).toMatchObject({ apiMethod: 'call', info: 'call is not supported' });
    c.send('playStream', { mediaSessionId: 'p1', name: 'x' });
    expect((await c.status('p1')).status).toBe('FAILED');
    c.send('ping', null);
    await c.next((m) => m.message === 'pong');
  });

  it('answers a 1 MB message with fail and stays open', async () => {
    await start();
    const c = await client();
    await c.connect();
    c.raw(JSON.stringify({ message: 'publishStream', data: [{ sdp: 'x'.repeat(1024 * 1024) }] }));
    expect(((await c.fail()).data[0] as { info: string }).info).toMatch(/larger than the limit of 65536/);
    c.send('ping', null);
    await c.next((m) => m.message === 'pong');
    expect(c.closedWith).toBeUndefined();
  });

  it('fails publishes without a session, without SDP, with garbage SDP, without H.264/VP8/VP9, with a bad rtmpUrl', async () => {
    await start();
    const c = await client();
    c.publish('s0', 'a');
    expect(await c.status('s0')).toMatchObject({ status: 'FAILED', info: 'Session not ready' });
    await c.connect();
    c.publish('s1', 'a', { sdp: undefined });
    expect(await c.status('s1')).toMatchObject({ status: 'FAILED', info: 'SDP offer is missing in publishStream' });
    c.publish('s2', 'a', { sdp: 'garbage' });
    expect(await c.status('s2')).toMatchObject({ status: 'FAILED', info: 'Bad SDP: SDP does not start with v=0' });
    c.publish('s3', 'a', { sdp: syntheticOffer().replace(/H264/g, 'AV1') }); // VP8 and VP9 are accepted (transcoded)
    expect((await c.status('s3')).info).toMatch(/^Bad SDP: .*H\.264/);
    c.publish('s4', 'a', { rtmpUrl: 'http://example.com/live/key' });
    expect(await c.status('s4')).toMatchObject({ status: 'FAILED', info: 'rtmpUrl scheme "http" is not supported: use rtmp:// or rtmps://' });
    c.send('publishStream', { name: 'a', sdp: syntheticOffer() });
    expect((await c.fail()).data[0]).toMatchObject({ info: 'MediaSessionId is null' });
    expect(registry.isFree('a')).toBe(true);
  });

  it('answers a good offer with setRemoteSDP, holds the name, and unPublishStream frees it', async () => {
    await start();
    const c = await client();
    await c.connect();
    c.publish('m1', 'cam', { rtmpUrl: 'rtmp://127.0.0.1/live/secret' });
    const sdp = await c.next((m) => m.message === 'setRemoteSDP');
    expect(sdp.data[0]).toBe('m1');
    expect(String(sdp.data[1])).toMatch(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
    expect(String(sdp.data[1])).toContain('a=rtpmap:106 H264/90000');
    expect(String(sdp.data[1])).not.toContain('transport-cc');
    expect(registry.isFree('cam')).toBe(false);

    const other = await client();
    await other.connect();
    other.publish('m2', 'cam');
    expect(await other.status('m2')).toMatchObject({ status: 'FAILED', info: 'Stream name is already in use' });

    c.send('unPublishStream', { mediaSessionId: 'm1', name: 'cam' });
    expect(await c.status('m1')).toMatchObject({ status: 'UNPUBLISHED' });
    expect(registry.isFree('cam')).toBe(true);
  });

  it('enforces the stream limits per session and in total', async () => {
    await start();
    const a = await client();
    await a.connect();
    a.publish('a1', 'n1');
    a.publish('a2', 'n2');
    a.publish('a3', 'n3');
    expect(await a.status('a3')).toMatchObject({ status: 'FAILED', info: 'Limit of 2 streams per session reached' });
    const b = await client();
    await b.connect();
    b.publish('b1', 'n4');
    b.publish('b2', 'n5');
    expect(await b.status('b2')).toMatchObject({ status: 'FAILED', info: 'Server limit of 3 streams reached' });
    a.publish('a1', 'n6');
    expect((await a.status('a1')).info).toBe('MediaSessionId is already in use');
  });

  it('update (a settings reload) changes the stream limits of sessions already open, at their next publish', async () => {
    await start({ maxStreamsPerSession: 1 });
    const a = await client();
    await a.connect();
    a.publish('a1', 'n1');
    a.publish('a2', 'n2');
    expect(await a.status('a2')).toMatchObject({ status: 'FAILED', info: 'Limit of 1 streams per session reached' });
    server.update({ ...base, maxStreamsPerSession: 2, maxStreamsTotal: 10 });
    a.publish('a3', 'n3');
    a.publish('a4', 'n4');
    // a3 was accepted (the limit is now 2): a4 is the one refused, with the new figure.
    expect(await a.status('a4')).toMatchObject({ status: 'FAILED', info: 'Limit of 2 streams per session reached' });
  });

  it('a closed socket unpublishes its streams and frees their names', async () => {
    await start();
    const c = await client();
    await c.connect();
    c.publish('m1', 'gone');
    await c.next((m) => m.message === 'setRemoteSDP');
    expect(registry.isFree('gone')).toBe(false);
    c.close();
    await waitFor(() => registry.isFree('gone'), { timeoutMs: 5000, what: 'the name "gone" to be free' });
  });

  it('closes a session that stops answering', async () => {
    await start({ keepAliveIntervalMs: 50, keepAliveTimeoutMs: 300 });
    const c = await client();
    await c.connect();
    // It pings, hears nothing back, and closes the socket normally.
    await waitFor(() => c.closedWith !== undefined, { timeoutMs: 10_000, what: 'the server to close the silent session' });
    expect(c.closedWith).toBe(1000);
    expect(c.heard.some((m) => m.message === 'ping')).toBe(true);
  });

  it('a publisher that never connects fails with the WCS ICE timeout info', async () => {
    await start({ webrtc: { ...base.webrtc, connectTimeoutMs: 300 } });
    const c = await client();
    await c.connect();
    c.publish('t1', 'lonely');
    await c.next((m) => m.message === 'setRemoteSDP');
    expect(await c.status('t1')).toMatchObject({ status: 'FAILED', info: 'Failed by ICE timeout' });
    expect(registry.isFree('lonely')).toBe(true);
  });

  it('serves wss:// too when a certificate and key are configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wss-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      await start({ tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), port: 0 } });
      const ws = new WebSocket(`wss://127.0.0.1:${server.ports.wss}`, { rejectUnauthorized: false });
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      const c = new Client(ws);
      clients.push(c);
      expect(await c.connect()).toMatchObject({ status: 'ESTABLISHED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
