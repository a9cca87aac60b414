/**
 * One session's hooks through PublishAccess, against a recording backend: what each
 * WCS method carries, how the connect answer's restClientConfig rules later calls
 * (restOnError, restPolicy, restExclude, restOverwrite), and the order of events.
 */
import { silentLogger } from '../../src/log';
import { EVERY_APP_KEY, PublishAccess, RESTRICTED_ACCESS, TOKEN_WRONG, type PublishFields, type SessionAccess } from '../../src/access';
import { HookBackend } from '../helpers/hook-backend';
import { waitFor } from '../helpers/wait-for';

const CONNECTION = { appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0', authToken: 'session-token', custom: { token: 'tok', user: 'ann' } };
const PUBLISH: PublishFields = { mediaSessionId: 'm1', name: 'cam1', record: false, hasAudio: true, hasVideo: true, rtmpUrl: 'rtmp://127.0.0.1/live', custom: { room: 7 } };

describe('PublishAccess with REST hooks', () => {
  let backend: HookBackend;
  let access: PublishAccess;
  const sessions: SessionAccess[] = [];

  beforeEach(async () => {
    backend = new HookBackend();
    await backend.start();
    access = new PublishAccess({ nodeId: 'node1@127.0.0.1', hooks: { urls: new Map([[EVERY_APP_KEY, backend.url()]]), timeoutMs: 2000, maxInFlight: 8, eventAttempts: 3 } }, silentLogger);
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.close('test over');
    access.close();
    await backend.stop();
  });

  function open(id = 's1'): SessionAccess {
    const s = access.openSession(id);
    sessions.push(s);
    return s;
  }

  /** restClientConfig in the connect answer, the rest echoed. */
  function connectAnswer(restClientConfig: unknown): void {
    backend.script = (call) => (call.method === 'connect' ? { body: { ...call.body, restClientConfig } } : undefined);
  }

  test('connect carries the page\'s connection fields with nodeId, appKey, sessionId, never the authToken', async () => {
    expect(await open().connect(CONNECTION)).toEqual({ ok: true });
    const [connect] = backend.callsOf('connect');
    expect(connect!.body).toEqual({ nodeId: 'node1@127.0.0.1', appKey: 'defaultApp', sessionId: 's1', mediaProviders: ['WebRTC'], clientVersion: '2.0', custom: { token: 'tok', user: 'ann' } });
    await waitFor(() => backend.callsOf('ConnectionStatusEvent').length === 1, { what: 'ConnectionStatusEvent' });
    expect(backend.callsOf('ConnectionStatusEvent')[0]!.body).toEqual({ nodeId: 'node1@127.0.0.1', appKey: 'defaultApp', sessionId: 's1', status: 'ESTABLISHED' });
  });

  test('a declined connect gives the backend\'s reason and no events', async () => {
    backend.script = () => ({ status: 403, body: { status: 403, reason: 'Wrong credentials' } });
    const s = open();
    expect(await s.connect(CONNECTION)).toEqual({ ok: false, info: 'Wrong credentials' });
    s.close('declined');
    expect(backend.calls.map((c) => c.method)).toEqual(['connect']);
  });

  test('the publish token is checked before the backend is asked', async () => {
    access.update({ nodeId: 'node1@127.0.0.1', publishToken: 'right', hooks: { urls: new Map([[EVERY_APP_KEY, backend.url()]]), timeoutMs: 2000, maxInFlight: 8, eventAttempts: 3 } });
    expect(await open().connect(CONNECTION)).toEqual({ ok: false, info: TOKEN_WRONG });
    expect(backend.calls).toHaveLength(0);
    expect(await open('s2').connect({ ...CONNECTION, custom: { token: 'right' } })).toEqual({ ok: true });
  });

  test('publishStream carries the WCS stream fields; the events of a stream follow in order', async () => {
    const s = open();
    await s.connect(CONNECTION);
    const admitted = await s.publish(PUBLISH);
    expect(admitted).toEqual({ ok: true, publish: PUBLISH });
    expect(backend.callsOf('publishStream')[0]!.body).toEqual({
      nodeId: 'node1@127.0.0.1', appKey: 'defaultApp', sessionId: 's1', mediaSessionId: 'm1', name: 'cam1', published: true,
      hasVideo: true, hasAudio: true, status: 'PENDING', rtmpUrl: 'rtmp://127.0.0.1/live', custom: { room: 7 }, record: false,
      bitrate: 0, minBitrate: 0, maxBitrate: 0, mediaProvider: 'WebRTC', mediaType: 'publish',
    });
    s.streamStatus('m1', 'PUBLISHING');
    s.unpublishRequested('m1');
    s.streamStatus('m1', 'UNPUBLISHED', 'Stopped by publisher stop');
    s.close('socket closed (1000)');
    await waitFor(() => backend.calls.length === 7, { what: 'every call', seen: () => backend.calls.map((c) => c.method).join() });
    const m1 = backend.calls.filter((c) => c.body.mediaSessionId === 'm1').map((c) => `${c.method}:${String(c.body.status)}`);
    expect(m1).toEqual(['publishStream:PENDING', 'StreamStatusEvent:PUBLISHING', 'unPublishStream:UNPUBLISHED', 'StreamStatusEvent:UNPUBLISHED']);
    expect(backend.callsOf('StreamStatusEvent')[1]!.body.info).toBe('Stopped by publisher stop');
    expect(backend.callsOf('ConnectionStatusEvent').map((c) => c.body.status)).toEqual(['ESTABLISHED', 'DISCONNECTED']);
  });

  test('restOnError LOG (the default): a refused publishStream goes on', async () => {
    backend.script = (call) => (call.method === 'publishStream' ? { status: 403 } : undefined);
    const s = open();
    await s.connect(CONNECTION);
    expect(await s.publish(PUBLISH)).toEqual({ ok: true, publish: PUBLISH });
  });

  test('restOnError FAIL: a refusal declines with "Restricted access", or with the backend\'s own reason', async () => {
    connectAnswer({ publishStream: { restOnError: 'FAIL' } });
    const s = open();
    await s.connect(CONNECTION);
    backend.script = (call) => (call.method === 'publishStream' ? { status: 403 } : undefined);
    expect(await s.publish(PUBLISH)).toEqual({ ok: false, info: RESTRICTED_ACCESS });
    backend.script = (call) => (call.method === 'publishStream' ? { status: 403, body: { status: 403, reason: 'Room is closed' } } : undefined);
    expect(await s.publish({ ...PUBLISH, mediaSessionId: 'm2' })).toEqual({ ok: false, info: 'Room is closed' });
  });

  test('OVERWRITE takes only the fields named in restOverwrite', async () => {
    connectAnswer({ publishStream: { restPolicy: 'OVERWRITE', restOverwrite: 'name,rtmpUrl' } });
    const s = open();
    await s.connect(CONNECTION);
    backend.script = (call) => (call.method === 'publishStream' ? { body: { ...call.body, name: 'room-7', rtmpUrl: 'rtmp://127.0.0.1/other/KEY', record: true } } : undefined);
    expect(await s.publish(PUBLISH)).toEqual({ ok: true, publish: { ...PUBLISH, name: 'room-7', rtmpUrl: 'rtmp://127.0.0.1/other/KEY' } });
    s.streamStatus('m1', 'PUBLISHING');
    await waitFor(() => backend.callsOf('StreamStatusEvent').length === 1, { what: 'StreamStatusEvent' });
    expect(backend.callsOf('StreamStatusEvent')[0]!.body.name).toBe('room-7');
  });

  test('NOTIFY (the default) changes nothing, whatever the answer says', async () => {
    backend.script = (call) => (call.method === 'publishStream' ? { body: { ...call.body, name: 'other' } } : undefined);
    const s = open();
    await s.connect(CONNECTION);
    expect(await s.publish(PUBLISH)).toEqual({ ok: true, publish: PUBLISH });
  });

  test('DISABLE skips a method; restExclude leaves fields out', async () => {
    connectAnswer({ publishStream: { restPolicy: 'DISABLE' }, StreamStatusEvent: { restExclude: 'custom,rtmpUrl' }, ConnectionStatusEvent: { restPolicy: 'DISABLE' } });
    const s = open();
    await s.connect(CONNECTION);
    expect(await s.publish(PUBLISH)).toEqual({ ok: true, publish: PUBLISH });
    s.streamStatus('m1', 'PUBLISHING');
    await waitFor(() => backend.callsOf('StreamStatusEvent').length === 1, { what: 'StreamStatusEvent' });
    expect(backend.callsOf('publishStream')).toHaveLength(0);
    expect(backend.callsOf('ConnectionStatusEvent')).toHaveLength(0);
    const body = backend.callsOf('StreamStatusEvent')[0]!.body;
    expect(body).not.toHaveProperty('custom');
    expect(body).not.toHaveProperty('rtmpUrl');
    expect(body.name).toBe('cam1');
  });

  test('an application key without a URL has no hooks; URLs change with update()', async () => {
    const hooks = { timeoutMs: 2000, maxInFlight: 8, eventAttempts: 3 };
    access.update({ nodeId: 'n', hooks: { ...hooks, urls: new Map([['live', backend.url('LiveApp')]]) } });
    const s = open();
    expect(await s.connect(CONNECTION)).toEqual({ ok: true });
    expect(await s.publish(PUBLISH)).toEqual({ ok: true, publish: PUBLISH });
    expect(await open('s2').connect({ ...CONNECTION, appKey: 'live' })).toEqual({ ok: true });
    expect(backend.calls.map((c) => [c.app, c.method])).toEqual([['LiveApp', 'connect']]);
  });

  test('TransponderStatusEvent goes to the stream\'s backend with the destination redacted', async () => {
    const s = open();
    await s.connect({ ...CONNECTION, appKey: 'live' });
    await s.publish(PUBLISH);
    s.streamStatus('m1', 'PUBLISHING');
    const listeners: Array<(state: string, reason: string) => void> = [];
    const transponder = {
      mediaSessionId: 't1', state: 'PENDING',
      on: (_e: 'state', l: (state: string, reason: string) => void) => listeners.push(l),
      off: () => undefined,
      snapshot: () => ({ reason: 'created', stats: { bytesSent: 0 } }),
    };
    access.watchTransponder(transponder, { streamName: 'cam1', rtmpUrl: 'rtmp://user:pw@yt.example:1935/live2/SECRET-KEY?x=1' });
    listeners[0]!('PUBLISHING', 'publishing');
    await waitFor(() => backend.callsOf('TransponderStatusEvent').length === 2, { what: 'two TransponderStatusEvents' });
    const events = backend.callsOf('TransponderStatusEvent');
    expect(events.map((e) => e.body.status)).toEqual(['PENDING', 'PUBLISHING']);
    expect(events[1]!.body).toEqual({ nodeId: 'node1@127.0.0.1', appKey: 'live', sessionId: 's1', mediaSessionId: 't1', streamName: 'cam1', rtmpUrl: 'rtmp://yt.example:1935/live2/***?***', status: 'PUBLISHING', reason: 'publishing', stats: { bytesSent: 0 } });
    expect(JSON.stringify(events.map((e) => e.body))).not.toMatch(/SECRET|pw/);
  });
});
