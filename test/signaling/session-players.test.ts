/**
 * playStream and stopStream at the protocol level, with a publisher made from a synthetic
 * offer (no browser): what the WebSDK hears, in order.
 */
import WebSocket from 'ws';
import { silentLogger } from '../../src/log';
import { Playback, defaultPlaybackOptions } from '../../src/playback';
import { parsePlay, STREAM_NOT_FOUND } from '../../src/signaling/session-players';
import { SignalingServer } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { Publisher } from '../../src/webrtc/publisher';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { syntheticOffer } from '../webrtc/synthetic-offer';
import { waitFor } from '../helpers/wait-for';

interface Msg { message: string; data: unknown[] }

const webrtc = { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1' };
const playerOffer = (): string => syntheticOffer().replace(/a=sendonly/g, 'a=recvonly').replace(/a=(ssrc|msid):.*\r\n/g, '');

describe('playStream and stopStream', () => {
  let registry: StreamRegistry;
  let playback: Playback;
  let server: SignalingServer;
  const sockets: WebSocket[] = [];
  const publishers: Publisher[] = [];

  beforeEach(async () => {
    registry = new StreamRegistry(silentLogger);
    playback = new Playback(defaultPlaybackOptions, webrtc, silentLogger);
    server = new SignalingServer({ port: 0, host: '127.0.0.1', maxMessageBytes: 65536, maxStreamsPerSession: 4, maxStreamsTotal: 8, keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 15000, webrtc, playback }, registry, silentLogger);
    await server.listen();
  });

  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await server.close();
    await playback.close('test over');
    await Promise.all(publishers.splice(0).map((p) => p.close('test over')));
  });

  async function client(): Promise<{ ws: WebSocket; heard: Msg[]; send(m: string, p: unknown): void; next(pred: (m: Msg) => boolean): Promise<Msg> }> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.ports.ws}`);
    sockets.push(ws);
    const heard: Msg[] = [];
    ws.on('message', (d) => heard.push(JSON.parse(String(d)) as Msg));
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const send = (message: string, payload: unknown): void => ws.send(JSON.stringify({ message, data: [payload] }));
    const next = async (pred: (m: Msg) => boolean): Promise<Msg> => {
      const m = await waitFor(() => heard.find(pred), { timeoutMs: 5000, what: 'a message', seen: () => JSON.stringify(heard.map((h) => h.message)) });
      heard.splice(heard.indexOf(m), 1);
      return m;
    };
    return { ws, heard, send, next };
  }

  const statusOf = (id: string) => (m: Msg): boolean => m.message === 'notifyStreamStatusEvent' && (m.data[0] as { mediaSessionId: string }).mediaSessionId === id;

  async function published(name: string): Promise<Publisher> {
    const p = await Publisher.create({ streamName: name, offerSdp: syntheticOffer(), options: webrtc, log: silentLogger });
    publishers.push(p);
    registry.add(p, { streamName: name, mediaSessionId: 'pub', sessionId: 's', bitrate: {}, record: false });
    return p;
  }

  it('answers with setRemoteSDP (the answer sends), then stopStream gives STOPPED "Stopped by user" with published: false', async () => {
    await published('cam');
    const c = await client();
    c.send('connection', { appKey: 'defaultApp' });
    await c.next((m) => m.message === 'getUserData');
    c.send('playStream', { mediaSessionId: 'v1', name: 'cam', published: false, sdp: playerOffer() });
    const sdp = await c.next((m) => m.message === 'setRemoteSDP');
    expect(sdp.data[0]).toBe('v1');
    expect(String(sdp.data[1])).toContain('a=sendonly');
    expect(playback.viewerCount).toBe(1);
    c.send('stopStream', { mediaSessionId: 'v1', name: 'cam' });
    expect((await c.next(statusOf('v1'))).data[0]).toEqual({ mediaSessionId: 'v1', name: 'cam', published: false, status: 'STOPPED', info: 'Stopped by user' });
    await waitFor(() => playback.viewerCount === 0, { what: 'the viewer gone' });
    c.send('stopStream', { mediaSessionId: 'v1', name: 'cam' });
    expect((await c.next((m) => m.message === 'fail')).data[0]).toMatchObject({ apiMethod: 'stopStream' });
  });

  it('a publisher that ends stops its players with "Stopped by publisher stop"; a closed socket ends its players', async () => {
    const p = await published('cam');
    const c = await client();
    c.send('connection', { appKey: 'defaultApp' });
    await c.next((m) => m.message === 'getUserData');
    c.send('playStream', { mediaSessionId: 'v1', name: 'cam', sdp: playerOffer() });
    await c.next((m) => m.message === 'setRemoteSDP');
    p.close('unpublished by the client');
    expect((await c.next(statusOf('v1'))).data[0]).toMatchObject({ status: 'STOPPED', info: 'Stopped by publisher stop' });

    await published('cam2');
    c.send('playStream', { mediaSessionId: 'v2', name: 'cam2', sdp: playerOffer() });
    await c.next((m) => m.message === 'setRemoteSDP');
    const viewer = playback.list()[0]!;
    c.ws.terminate();
    await waitFor(() => viewer.closed && playback.viewerCount === 0, { what: 'the viewer ended with its socket' });
  });

  it('fails a play before connection, of a name not published, and a malformed one, each with its info', async () => {
    const c = await client();
    c.send('playStream', { mediaSessionId: 'v0', name: 'cam', sdp: playerOffer() });
    expect((await c.next(statusOf('v0'))).data[0]).toMatchObject({ status: 'FAILED', info: 'Session not ready', published: false });
    c.send('connection', { appKey: 'defaultApp' });
    await c.next((m) => m.message === 'getUserData');
    c.send('playStream', { mediaSessionId: 'v1', name: 'nobody', sdp: playerOffer() });
    expect((await c.next(statusOf('v1'))).data[0]).toMatchObject({ status: 'FAILED', info: STREAM_NOT_FOUND });
    c.send('playStream', { mediaSessionId: 'v2', name: 'cam' });
    expect((await c.next(statusOf('v2'))).data[0]).toMatchObject({ status: 'FAILED', info: 'SDP offer is missing in playStream' });
    expect(playback.viewerCount).toBe(0);
  });

  it('parsePlay names what is missing', () => {
    expect(parsePlay([])).toEqual({ ok: false, error: 'playStream needs an object in data[0]' });
    expect(parsePlay([{ name: 'x', sdp: 'v=0' }])).toMatchObject({ ok: false, error: 'MediaSessionId is null' });
    expect(parsePlay([{ mediaSessionId: 'a', sdp: 'v=0' }])).toMatchObject({ ok: false, error: 'Stream name is missing or invalid' });
    expect(parsePlay([{ mediaSessionId: 'a', name: 'x', sdp: 'v=0' }])).toEqual({ ok: true, req: { mediaSessionId: 'a', name: 'x', sdp: 'v=0' } });
  });
});
