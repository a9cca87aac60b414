/**
 * availableStream and sendStreamEvent at the protocol level, through a real SignalingServer
 * and a WebSocket client speaking as the WebSDK does. Messages of one session are handled
 * in order, so "no fail for X" is shown by the fail for a later, unknown message arriving
 * first.
 */
import WebSocket from 'ws';
import { silentLogger } from '../../src/log';
import { SignalingServer } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { Publisher } from '../../src/webrtc/publisher';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { syntheticOffer } from '../webrtc/synthetic-offer';

interface Msg { message: string; data: Array<Record<string, unknown>> }

class Client {
  readonly heard: Msg[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.heard.push(JSON.parse(String(d)) as Msg));
  }

  static async open(port: number): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return new Client(ws);
  }

  send(message: string, payload: unknown): void {
    this.ws.send(JSON.stringify({ message, data: [payload] }));
  }

  async next(pred: (m: Msg) => boolean, timeoutMs = 5000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.heard.findIndex(pred);
      if (i >= 0) return this.heard.splice(i, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`timed out; heard ${JSON.stringify(this.heard.map((m) => m.message))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Every frame but pings, in order, until the fail answering `marker` (an unknown message sent last). */
  async until(marker: string): Promise<Msg[]> {
    this.send(marker, {});
    const deadline = Date.now() + 5000;
    for (;;) {
      const end = this.heard.findIndex((m) => m.message === 'fail' && m.data[0]?.apiMethod === marker);
      if (end >= 0) return this.heard.splice(0, end + 1).filter((m) => m.message !== 'ping');
      if (Date.now() > deadline) throw new Error(`timed out; heard ${JSON.stringify(this.heard.map((m) => m.message))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async connect(): Promise<void> {
    this.send('connection', { appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0' });
    await this.next((m) => m.message === 'getUserData');
  }
}

describe('availableStream and sendStreamEvent (WCS protocol)', () => {
  let server: SignalingServer;
  let registry: StreamRegistry;
  const clients: Client[] = [];
  const publishers: Publisher[] = [];
  const webrtc = { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1', connectTimeoutMs: 20000 };

  beforeEach(async () => {
    registry = new StreamRegistry(silentLogger);
    server = new SignalingServer({ port: 0, host: '127.0.0.1', maxMessageBytes: 64 * 1024, maxStreamsPerSession: 4, maxStreamsTotal: 8, keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 60000, webrtc }, registry, silentLogger);
    await server.listen();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.close();
    await Promise.all(publishers.splice(0).map((p) => p.close('test over')));
    await server.close();
  });

  async function client(): Promise<Client> {
    const c = await Client.open(server.ports.ws!);
    clients.push(c);
    return c;
  }

  /** A stream published here by someone else (a publisher in the registry). */
  async function published(name: string): Promise<Publisher> {
    const p = await Publisher.create({ streamName: name, offerSdp: syntheticOffer(), options: webrtc, log: silentLogger });
    publishers.push(p);
    registry.add(p, { streamName: name, mediaSessionId: `other-${name}`, sessionId: 'other', bitrate: {}, record: false });
    return p;
  }

  it('availableStream: "true" for a published name, "false" with "Stream not found" otherwise, each to its mediaSessionId', async () => {
    const c = await client();
    await c.connect();
    await published('cam');
    c.send('availableStream', { mediaSessionId: 'q1', name: 'cam' });
    c.send('availableStream', { mediaSessionId: 'q2', name: 'nobody' });
    c.send('availableStream', { mediaSessionId: 'q3' });
    expect((await c.until('marker')).map((m) => [m.message, m.data[0]])).toEqual([
      ['availableStream', { id: 'q1', status: 'true', info: '' }],
      ['availableStream', { id: 'q2', status: 'false', info: 'Stream not found' }],
      ['availableStream', { id: 'q3', status: 'false', info: 'Stream name is missing or invalid' }],
      ['fail', { apiMethod: 'marker', info: 'marker is not supported' }],
    ]);
  });

  it('availableStream: a name being set up is not available yet, and one whose publisher closed is not any more', async () => {
    const c = await client();
    await c.connect();
    registry.reserve('soon');
    const p = await published('gone');
    await p.close('left');
    c.send('availableStream', { mediaSessionId: 'q1', name: 'soon' });
    c.send('availableStream', { mediaSessionId: 'q2', name: 'gone' });
    const seen = await c.until('marker');
    expect(seen.filter((m) => m.message === 'availableStream').map((m) => m.data[0]!.status)).toEqual(['false', 'false']);
  });

  it('availableStream before the session is established is answered "false" with "Session not ready" (the promise settles); without an id, fail', async () => {
    const c = await client();
    c.send('availableStream', { mediaSessionId: 'q1', name: 'cam' });
    c.send('availableStream', { name: 'cam' });
    expect((await c.until('marker')).map((m) => [m.message, m.data[0]])).toEqual([
      ['availableStream', { id: 'q1', status: 'false', info: 'Session not ready' }],
      ['fail', { apiMethod: 'availableStream', info: 'MediaSessionId is null' }],
      ['fail', { apiMethod: 'marker', info: 'marker is not supported' }],
    ]);
  });

  it('sendStreamEvent: every WebSDK event on the session\'s stream is taken without an answer; an unknown type or stream gets a fail naming it', async () => {
    const c = await client();
    await c.connect();
    c.send('publishStream', { mediaSessionId: 'm1', name: 'cam', published: true, hasVideo: true, hasAudio: true, status: 'PENDING', record: false, mediaProvider: 'WebRTC', sdp: syntheticOffer() });
    await c.next((m) => m.message === 'setRemoteSDP');
    for (const type of ['audioMuted', 'audioUnmuted', 'videoMuted', 'videoUnmuted']) c.send('sendStreamEvent', { mediaSessionId: 'm1', type });
    c.send('sendStreamEvent', { mediaSessionId: 'm1', type: 'data', payload: { number: 33, string: 'hello', boolean: true } });
    expect((await c.until('marker1')).map((m) => m.message)).toEqual(['fail']); // the marker's only
    c.send('sendStreamEvent', { mediaSessionId: 'm1', type: 'snapshotCompleted' });
    c.send('sendStreamEvent', { mediaSessionId: 'nope', type: 'audioMuted' });
    expect((await c.until('marker2')).map((m) => m.data[0]!.info)).toEqual([
      'Unknown stream event type "snapshotCompleted": audioMuted, audioUnmuted, videoMuted, videoUnmuted or data',
      'No stream nope is published in this session',
      'marker2 is not supported',
    ]);
  });

  it('sendStreamEvent for a stream the page has just stopped is dropped quietly (pages unmute while tearing down)', async () => {
    const c = await client();
    await c.connect();
    c.send('publishStream', { mediaSessionId: 'm1', name: 'cam', published: true, hasVideo: true, hasAudio: true, status: 'PENDING', record: false, mediaProvider: 'WebRTC', sdp: syntheticOffer() });
    await c.next((m) => m.message === 'setRemoteSDP');
    c.send('unPublishStream', { mediaSessionId: 'm1', name: 'cam' });
    c.send('sendStreamEvent', { mediaSessionId: 'm1', type: 'audioUnmuted' });
    c.send('sendStreamEvent', { mediaSessionId: 'm1', type: 'videoUnmuted' });
    expect((await c.until('marker')).map((m) => [m.message, m.data[0]!.status ?? m.data[0]!.apiMethod])).toEqual([
      ['notifyStreamStatusEvent', 'UNPUBLISHED'],
      ['fail', 'marker'],
    ]);
  });

  it('sendStreamEvent before the session is established fails with "Session not ready"', async () => {
    const c = await client();
    c.send('sendStreamEvent', { mediaSessionId: 'm1', type: 'audioMuted' });
    expect((await c.until('marker')).map((m) => m.data[0]!.info)).toEqual(['Session not ready', 'marker is not supported']);
  });
});
