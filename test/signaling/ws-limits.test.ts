/**
 * The WebSocket limits over real sockets: sessions per client address, messages per
 * second per session, publishes per session. Clients come from different loopback
 * addresses (127.0.0.x). Runs in its own network namespace (unshare --net, lo up).
 */
import WebSocket from 'ws';
import { silentLogger } from '../../src/log';
import { REFUSED_SESSION_CLOSE_CODE, SignalingServer, type SignalingOptions } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { waitFor } from '../helpers/wait-for';
import { syntheticOffer } from '../webrtc/synthetic-offer';

jest.setTimeout(30_000);

interface Msg { message: string; data: Array<Record<string, unknown>> }

/** A WebSDK-like client from a given source address that records what it hears. */
class Client {
  readonly heard: Msg[] = [];
  closeCode?: number;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.heard.push(JSON.parse(String(d)) as Msg));
    ws.on('close', (code) => { this.closeCode = code; });
  }

  static async open(port: number, from: string): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { localAddress: from });
    const client = new Client(ws);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return client;
  }

  send(message: string, payload: unknown): void {
    this.ws.send(JSON.stringify({ message, data: [payload] }));
  }

  count(message: string): number {
    return this.heard.filter((m) => m.message === message).length;
  }

  async hear(pred: (m: Msg) => boolean, what: string): Promise<Msg> {
    return waitFor(() => this.heard.find(pred), { what, timeoutMs: 10_000, seen: () => JSON.stringify(this.heard.map((m) => m.message)) });
  }

  async connect(): Promise<void> {
    this.send('connection', { appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0' });
    await this.hear((m) => m.message === 'getUserData', 'getUserData');
  }

  publish(id: string, name: string): void {
    this.send('publishStream', { mediaSessionId: id, name, published: true, hasVideo: true, hasAudio: true, status: 'PENDING', record: false, mediaProvider: 'WebRTC', sdp: syntheticOffer() });
  }

  status(id: string): Promise<Record<string, unknown>> {
    return this.hear((m) => m.message === 'notifyStreamStatusEvent' && m.data[0]?.mediaSessionId === id, `status of ${id}`).then((m) => m.data[0]!);
  }

  close(): void {
    this.ws.terminate();
  }
}

describe('WebSocket limits', () => {
  let server: SignalingServer | undefined;
  const clients: Client[] = [];
  const base: SignalingOptions = {
    port: 0,
    host: '127.0.0.1',
    maxMessageBytes: 64 * 1024,
    maxStreamsPerSession: 10,
    maxStreamsTotal: 50,
    keepAliveIntervalMs: 60_000,
    keepAliveTimeoutMs: 600_000,
    webrtc: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1', connectTimeoutMs: 20_000 },
  };

  async function start(opts: Partial<SignalingOptions>): Promise<number> {
    server = new SignalingServer({ ...base, ...opts }, new StreamRegistry(silentLogger), silentLogger);
    await server.listen();
    return server.ports.ws!;
  }

  async function open(port: number, from: string): Promise<Client> {
    const c = await Client.open(port, from);
    clients.push(c);
    return c;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = undefined;
  });

  describe('sessions per address (ws_max_sessions_per_ip)', () => {
    it('one over the limit hears a fail for connection, then a close with 1008; other addresses are served', async () => {
      const port = await start({ maxSessionsPerAddress: 2 });
      const a1 = await open(port, '127.0.0.2');
      const a2 = await open(port, '127.0.0.2');
      await a1.connect();
      await a2.connect();

      const a3 = await open(port, '127.0.0.2');
      const fail = await a3.hear((m) => m.message === 'fail', 'fail');
      expect(fail.data[0]).toEqual({ apiMethod: 'connection', info: 'Too many sessions from this address: the limit is 2' });
      await waitFor(() => a3.closeCode !== undefined, { what: 'the refused socket closed' });
      expect(a3.closeCode).toBe(REFUSED_SESSION_CLOSE_CODE);
      expect(a3.count('getUserData')).toBe(0);

      const b = await open(port, '127.0.0.3');
      await b.connect();
      expect(server!.refusals.sessionsPerAddress).toBe(1);
      // The sessions already open were not disturbed.
      expect(a1.closeCode).toBeUndefined();
      expect(a2.closeCode).toBeUndefined();
    });

    it('a session that ends frees its slot', async () => {
      const port = await start({ maxSessionsPerAddress: 1 });
      const first = await open(port, '127.0.0.2');
      await first.connect();
      first.close();
      const next = await waitFor(async () => {
        const c = await open(port, '127.0.0.2');
        c.send('connection', { appKey: 'defaultApp' });
        const answer = await c.hear((m) => m.message === 'getUserData' || m.message === 'fail', 'an answer');
        return answer.message === 'getUserData' ? c : undefined;
      }, { what: 'a new session from the same address accepted once the first ended' });
      expect(next.closeCode).toBeUndefined();
    });

    it('updateLimits raises the limit live (settings reload): the next session is accepted', async () => {
      const port = await start({ maxSessionsPerAddress: 1 });
      await (await open(port, '127.0.0.2')).connect();
      const refused = await open(port, '127.0.0.2');
      await refused.hear((m) => m.message === 'fail', 'fail');
      server!.updateLimits({ maxSessionsPerAddress: 2 });
      await (await open(port, '127.0.0.2')).connect();
      expect(server!.refusals.sessionsPerAddress).toBe(1);
    });

    it('unset (or 0) leaves sessions unlimited', async () => {
      const port = await start({ maxSessionsPerAddress: 0 });
      const many = await Promise.all(Array.from({ length: 30 }, () => open(port, '127.0.0.2')));
      await Promise.all(many.map((c) => c.connect()));
      expect(server!.refusals.sessionsPerAddress).toBe(0);
    });
  });

  describe('messages per second per session (ws_max_messages_per_second, ws_message_burst)', () => {
    it('a flood is dropped past the burst, answered with a fail naming the limit (not one per message), and the session stays open', async () => {
      const port = await start({ maxMessagesPerSecond: 5, messageBurst: 10 });
      const c = await open(port, '127.0.0.2');
      const FLOOD = 500;
      for (let i = 0; i < FLOOD; i++) c.send('ping', null);
      await waitFor(() => server!.refusals.messageRate + c.count('pong') >= FLOOD, { what: 'every flood message handled or refused', seen: () => `pongs ${c.count('pong')}, refused ${server!.refusals.messageRate}` });

      const pongs = c.count('pong');
      expect(pongs).toBeGreaterThanOrEqual(10);
      expect(pongs).toBeLessThan(FLOOD / 2);
      const fails = await c.hear((m) => m.message === 'fail', 'a fail').then(() => c.heard.filter((m) => m.message === 'fail'));
      expect(fails[0]!.data[0]!.info).toBe('Too many messages: the limit is 5 per second (bursts of 10); messages above it are dropped');
      // At most one notice a second, so far fewer notices than refused messages.
      expect(fails.length * 20).toBeLessThan(server!.refusals.messageRate);

      // Still open, and served again once the bucket refills.
      expect(c.closeCode).toBeUndefined();
      const before = c.count('pong');
      await waitFor(() => {
        c.send('ping', null);
        return c.count('pong') > before;
      }, { what: 'a pong after the flood', intervalMs: 300 });
    });

    it('one session\'s flood does not take from another session', async () => {
      const port = await start({ maxMessagesPerSecond: 2, messageBurst: 3 });
      const flooder = await open(port, '127.0.0.2');
      const quiet = await open(port, '127.0.0.2');
      for (let i = 0; i < 100; i++) flooder.send('ping', null);
      await waitFor(() => server!.refusals.messageRate + flooder.count('pong') >= 100, { what: 'the flood handled or refused' });
      expect(server!.refusals.messageRate).toBeGreaterThan(50);
      await quiet.connect();
      quiet.send('ping', null);
      await quiet.hear((m) => m.message === 'pong', 'pong on the quiet session');
      expect(quiet.count('fail')).toBe(0);
    });
  });

  describe('publishes per session (max_streams_per_session)', () => {
    it('a publish beyond the limit is FAILED with the limit as info, and counted', async () => {
      const port = await start({ maxStreamsPerSession: 1 });
      const c = await open(port, '127.0.0.2');
      await c.connect();
      c.publish('s1', 'limit-1');
      c.publish('s2', 'limit-2');
      expect(await c.status('s2')).toMatchObject({ status: 'FAILED', info: 'Limit of 1 streams per session reached' });
      await c.hear((m) => m.message === 'setRemoteSDP', 'the first publish answered');
      expect(server!.refusals.streamsPerSession).toBe(1);
      expect(server!.refusals.streamsTotal).toBe(0);
    });
  });
});
