/**
 * The signaling session asks access control at the protocol level: a declined connection
 * gets WCS's fail message before the close; nothing is published while the connection is
 * being decided; a publish is decided before any Publisher exists; a page that stops a
 * stream while its publish is being decided gets UNPUBLISHED and no peer connection.
 */
import WebSocket from 'ws';
import type { Admission, PublishAdmission, PublishFields, SessionAccess } from '../../src/access';
import { silentLogger } from '../../src/log';
import { SignalingServer } from '../../src/signaling/signaling-server';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { Publisher } from '../../src/webrtc/publisher';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { syntheticOffer } from '../webrtc/synthetic-offer';
import { waitFor } from '../helpers/wait-for';

interface Msg { message: string; data: unknown[] }

/** An access whose answers the test gives by hand, recording what it was told. */
class ManualAccess implements SessionAccess {
  readonly told: string[] = [];
  connectAnswer?: (a: Admission) => void;
  publishAnswer?: (a: PublishAdmission) => void;
  published?: PublishFields;
  connect(): Promise<Admission> {
    this.told.push('connect');
    return new Promise((r) => { this.connectAnswer = r; });
  }
  publish(request: PublishFields): Promise<PublishAdmission> {
    this.told.push('publish');
    this.published = request;
    return new Promise((r) => { this.publishAnswer = r; });
  }
  streamStatus(id: string, status: string): void { this.told.push(`status:${status}`); }
  unpublishRequested(): void { this.told.push('unpublish'); }
  close(): void { this.told.push('close'); }
}

describe('SignalingSession with access control', () => {
  let server: SignalingServer;
  let access: ManualAccess;
  let ws: WebSocket;
  let heard: Msg[];
  let closedWith: number | undefined;
  let creates: jest.SpyInstance;

  beforeEach(async () => {
    access = new ManualAccess();
    creates = jest.spyOn(Publisher, 'create');
    server = new SignalingServer({
      port: 0, host: '127.0.0.1', maxMessageBytes: 64 * 1024, maxStreamsPerSession: 4, maxStreamsTotal: 16,
      keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 15000,
      webrtc: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1' },
      access: { openSession: () => access },
    }, new StreamRegistry(silentLogger), silentLogger);
    await server.listen();
    ws = new WebSocket(`ws://127.0.0.1:${server.ports.ws}`);
    heard = [];
    closedWith = undefined;
    ws.on('message', (d) => heard.push(JSON.parse(String(d)) as Msg));
    ws.on('close', (code) => { closedWith = code; });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  });

  afterEach(async () => {
    ws.terminate();
    creates.mockRestore();
    await server.close();
  });

  const send = (message: string, payload: unknown): void => ws.send(JSON.stringify({ message, data: [payload] }));
  const statuses = (): string[] => heard.filter((m) => m.message === 'notifyStreamStatusEvent').map((m) => (m.data[0] as { status: string }).status);

  async function establish(): Promise<void> {
    send('connection', { appKey: 'defaultApp', custom: { token: 't' } });
    await waitFor(() => access.connectAnswer, { what: 'the connect question' });
    access.connectAnswer!({ ok: true });
    await waitFor(() => heard.some((m) => m.message === 'getUserData'), { what: 'getUserData' });
  }

  it('a declined connection gets WCS\'s fail message, then the socket closes; no getUserData', async () => {
    send('connection', { appKey: 'defaultApp' });
    await waitFor(() => access.connectAnswer, { what: 'the connect question' });
    access.connectAnswer!({ ok: false, info: 'Wrong credentials' });
    await waitFor(() => closedWith !== undefined, { what: 'the close' });
    expect(heard).toEqual([{ message: 'fail', data: [{ status: 'FAILED', info: 'Wrong credentials', apiMethod: 'ConnectionStatusEvent' }] }]);
    expect(closedWith).toBe(1000);
    expect(access.told).toEqual(['connect', 'close']);
  });

  it('a publish sent while the connection is being decided waits for it: handled in order once established', async () => {
    send('connection', { appKey: 'defaultApp' });
    await waitFor(() => access.connectAnswer, { what: 'the connect question' });
    send('publishStream', { mediaSessionId: 'm1', name: 'cam1', sdp: syntheticOffer() });
    send('ping', null);
    await waitFor(() => heard.some((m) => m.message === 'pong'), { what: 'the pong (pings are answered at once)' });
    expect(access.told).toEqual(['connect']);
    expect(statuses()).toEqual([]);
    access.connectAnswer!({ ok: true });
    await waitFor(() => access.told.includes('publish'), { what: 'the publish to reach access control' });
    expect(heard.map((m) => m.message).filter((m) => m !== 'pong')).toEqual(['getUserData']);
  });

  it('a publish sent while the connection is being decided is never handled when the connection is declined', async () => {
    send('connection', { appKey: 'defaultApp' });
    await waitFor(() => access.connectAnswer, { what: 'the connect question' });
    send('publishStream', { mediaSessionId: 'm1', name: 'cam1', sdp: syntheticOffer() });
    access.connectAnswer!({ ok: false, info: 'Wrong credentials' });
    await waitFor(() => closedWith !== undefined, { what: 'the close' });
    expect(access.told).toEqual(['connect', 'close']);
    expect(statuses()).toEqual([]);
  });

  it('a publish is decided before any Publisher; a refusal is FAILED with its info', async () => {
    await establish();
    send('publishStream', { mediaSessionId: 'm1', name: 'cam1', sdp: syntheticOffer(), custom: { room: 1 } });
    await waitFor(() => access.publishAnswer, { what: 'the publish question' });
    expect(access.published).toMatchObject({ mediaSessionId: 'm1', name: 'cam1', custom: { room: 1 } });
    expect(creates).not.toHaveBeenCalled();
    access.publishAnswer!({ ok: false, info: 'Restricted access' });
    await waitFor(() => statuses().length === 1, { what: 'FAILED' });
    expect(heard.at(-1)!.data[0]).toMatchObject({ mediaSessionId: 'm1', status: 'FAILED', info: 'Restricted access' });
    expect(creates).not.toHaveBeenCalled();
    expect(access.told).toEqual(['connect', 'publish', 'status:FAILED']);
  });

  it('the page stopping a stream while it is being decided: UNPUBLISHED, and no Publisher even if admitted', async () => {
    await establish();
    send('publishStream', { mediaSessionId: 'm1', name: 'cam1', sdp: syntheticOffer() });
    await waitFor(() => access.publishAnswer, { what: 'the publish question' });
    send('unPublishStream', { mediaSessionId: 'm1', name: 'cam1' });
    await waitFor(() => access.told.includes('unpublish'), { what: 'the stop to be told' });
    access.publishAnswer!({ ok: true, publish: access.published! });
    await waitFor(() => statuses().length === 1, { what: 'UNPUBLISHED' });
    expect(statuses()).toEqual(['UNPUBLISHED']);
    expect(creates).not.toHaveBeenCalled();
  });

  it('an admitted publish goes on with what access returned (an overwritten name)', async () => {
    await establish();
    send('publishStream', { mediaSessionId: 'm1', name: 'cam1', sdp: syntheticOffer() });
    await waitFor(() => access.publishAnswer, { what: 'the publish question' });
    access.publishAnswer!({ ok: true, publish: { ...access.published!, name: 'room-9' } });
    await waitFor(() => heard.some((m) => m.message === 'setRemoteSDP'), { what: 'setRemoteSDP' });
    expect(creates).toHaveBeenCalledTimes(1);
    expect((creates.mock.calls[0]![0] as { streamName: string }).streamName).toBe('room-9');
  });
});
