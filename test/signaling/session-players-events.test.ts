/**
 * A publisher's stream events reach its players: notifyStreamEvent to every session that
 * plays the stream, the mute state on PLAYING, nothing after a player ended. SessionPlayers
 * with a fake Playback (a viewer that says PLAYING when told) and a fake publisher in a real
 * StreamRegistry: what the WebSDK would hear, frame by frame.
 */
import { silentLogger } from '../../src/log';
import type { Playback, Viewer, ViewerEndCause } from '../../src/playback';
import { SessionPlayers } from '../../src/signaling/session-players';
import { StreamEventState } from '../../src/streams/stream-event-state';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { TypedEmitter } from '../../src/util/typed-emitter';
import type { Publisher } from '../../src/webrtc/publisher';
import { waitFor } from '../helpers/wait-for';

interface Msg { message: string; data: Array<Record<string, unknown>> }

class FakeViewer extends TypedEmitter<{ playing: []; close: [string, ViewerEndCause] }> {
  readonly answerSdp = 'v=0\r\n';
  closed = false;
  readonly drained = Promise.resolve();

  startPlaying(): void {
    this.emit('playing');
  }

  close(reason: string, cause: ViewerEndCause = 'stopped'): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.emit('close', reason, cause);
    }
    return this.drained;
  }
}

class FakePublisher extends TypedEmitter<{ close: [string] }> {
  closed = false;
  constructor(readonly streamName: string) {
    super();
  }

  close(reason: string): void {
    this.closed = true;
    this.emit('close', reason);
  }
}

describe('stream events reach the players of the stream', () => {
  let registry: StreamRegistry;
  let viewers: FakeViewer[];
  const sessions: SessionPlayers[] = [];
  const playback = { play: async (): Promise<Viewer> => { const v = new FakeViewer(); viewers.push(v); return v as unknown as Viewer; } } as unknown as Playback;

  beforeEach(() => {
    registry = new StreamRegistry(silentLogger);
    viewers = [];
  });

  afterEach(() => {
    for (const s of sessions.splice(0)) s.close('test over');
  });

  function publish(name: string): { events: StreamEventState; publisher: FakePublisher } {
    const publisher = new FakePublisher(name);
    const events = new StreamEventState();
    registry.add(publisher as unknown as Publisher, { streamName: name, mediaSessionId: `pub-${name}`, sessionId: 's', bitrate: {}, record: false }, events);
    return { events, publisher };
  }

  function session(): { players: SessionPlayers; heard: Msg[]; of(message: string): Msg[] } {
    const heard: Msg[] = [];
    const players = new SessionPlayers(playback, registry, { sessionId: `session-${sessions.length}`, send: (t) => heard.push(JSON.parse(t) as Msg), track: () => undefined }, silentLogger);
    sessions.push(players);
    return { players, heard, of: (message) => heard.filter((m) => m.message === message) };
  }

  async function play(s: ReturnType<typeof session>, id: string, name: string): Promise<FakeViewer> {
    const before = viewers.length;
    s.players.play([{ mediaSessionId: id, name, sdp: 'v=0\r\n' }], true);
    await waitFor(() => s.of('setRemoteSDP').some((m) => (m.data as unknown[])[0] === id), { what: `the answer to ${id}` });
    return viewers[before]!;
  }

  it('every session playing the stream hears notifyStreamEvent with its own mediaSessionId, in the order sent; a payload passes unchanged', async () => {
    const { events } = publish('cam');
    const a = session();
    const b = session();
    await play(a, 'pa', 'cam');
    await play(b, 'pb', 'cam');
    events.apply({ type: 'audioMuted' });
    events.apply({ type: 'data', payload: { number: 33, nested: { s: 'hello' } } });
    events.apply({ type: 'audioUnmuted' });
    for (const [s, id] of [[a, 'pa'], [b, 'pb']] as const) {
      expect(s.of('notifyStreamEvent').map((m) => m.data[0])).toEqual([
        { mediaSessionId: id, streamName: 'cam', type: 'audioMuted' },
        { mediaSessionId: id, streamName: 'cam', type: 'data', payload: { number: 33, nested: { s: 'hello' } } },
        { mediaSessionId: id, streamName: 'cam', type: 'audioUnmuted' },
      ]);
    }
  });

  it('events of another stream are not sent to a player', async () => {
    publish('cam');
    const other = publish('other');
    const a = session();
    await play(a, 'pa', 'cam');
    other.events.apply({ type: 'videoMuted' });
    expect(a.of('notifyStreamEvent')).toEqual([]);
  });

  it('PLAYING carries the current audioState and videoState: a player that starts on a muted stream learns it', async () => {
    const { events } = publish('cam');
    events.apply({ type: 'videoMuted' });
    const a = session();
    const viewer = await play(a, 'pa', 'cam');
    viewer.startPlaying();
    expect(a.of('notifyStreamStatusEvent').map((m) => m.data[0])).toEqual([
      { mediaSessionId: 'pa', name: 'cam', published: false, status: 'PLAYING', audioState: { muted: false }, videoState: { muted: true } },
    ]);
  });

  it('a player that stopped, ended or closed with its session hears no more events and leaves no listener behind', async () => {
    const { events } = publish('cam');
    const a = session();
    await play(a, 'p1', 'cam');
    await play(a, 'p2', 'cam');
    const b = session();
    await play(b, 'p3', 'cam');
    expect(events.listenerCount('event')).toBe(1 + 3); // the registry's own and one per player
    expect(a.players.stop([{ mediaSessionId: 'p1', name: 'cam' }])).toBe(true);
    await viewers[1]!.close('ICE failed', 'ice-failed');
    b.players.close('socket closed');
    expect(events.listenerCount('event')).toBe(1);
    events.apply({ type: 'data', payload: 'late' });
    expect([...a.of('notifyStreamEvent'), ...b.of('notifyStreamEvent')]).toEqual([]);
  });

  it('a publish that ended tells no player anything more (its state is closed)', async () => {
    const { events, publisher } = publish('cam');
    const a = session();
    await play(a, 'pa', 'cam');
    publisher.close('unpublished');
    expect(events.apply({ type: 'audioMuted' })).toBe(false);
    expect(a.of('notifyStreamEvent')).toEqual([]);
  });
});
