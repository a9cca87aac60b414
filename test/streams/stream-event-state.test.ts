import { silentLogger } from '../../src/log';
import { StreamEventState, type StreamEvent } from '../../src/streams/stream-event-state';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { Publisher } from '../../src/webrtc/publisher';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { syntheticOffer } from '../webrtc/synthetic-offer';

describe('StreamEventState (what sendStreamEvent says about a stream)', () => {
  it('mute and unmute change the track states; data changes none; every event is told in order and counted', () => {
    const thrown: string[] = [];
    const state = new StreamEventState((event, error) => thrown.push(`${event}: ${String(error)}`));
    const told: StreamEvent[] = [];
    state.on('event', (e) => told.push(e));
    state.on('event', () => { throw new Error('a broken player'); });
    expect(state.toJSON()).toEqual({ audioState: { muted: false }, videoState: { muted: false }, streamEvents: { audioMuted: 0, audioUnmuted: 0, videoMuted: 0, videoUnmuted: 0, data: 0 } });
    state.apply({ type: 'audioMuted' });
    expect(state.audioState).toEqual({ muted: true });
    expect(state.videoState).toEqual({ muted: false });
    state.apply({ type: 'videoMuted' });
    state.apply({ type: 'data', payload: { n: 1 } });
    state.apply({ type: 'audioUnmuted' });
    expect(state.toJSON()).toEqual({ audioState: { muted: false }, videoState: { muted: true }, streamEvents: { audioMuted: 1, audioUnmuted: 1, videoMuted: 1, videoUnmuted: 0, data: 1 } });
    expect(told.map((e) => e.type)).toEqual(['audioMuted', 'videoMuted', 'data', 'audioUnmuted']);
    expect(told[2]).toEqual({ type: 'data', payload: { n: 1 } });
    expect(thrown).toEqual(Array(4).fill('event: Error: a broken player'));
  });

  it('once closed it keeps its last state and takes no event', () => {
    const state = new StreamEventState();
    const told: string[] = [];
    state.on('event', (e) => told.push(e.type));
    state.apply({ type: 'videoMuted' });
    state.close();
    state.close();
    expect(state.closed).toBe(true);
    expect(state.apply({ type: 'videoUnmuted' })).toBe(false);
    expect(state.videoState).toEqual({ muted: true });
    expect(told).toEqual(['videoMuted']);
  });
});

describe('StreamRegistry stream events', () => {
  const options = { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1', connectTimeoutMs: 20000 };
  let publisher: Publisher | undefined;
  afterEach(async () => {
    await publisher?.close('test over');
  });

  it('keeps the state the session gave, re-emits its events, shows it in describe(), and closes it with the publisher', async () => {
    const registry = new StreamRegistry(silentLogger);
    publisher = await Publisher.create({ streamName: 'cam', offerSdp: syntheticOffer(), options, log: silentLogger });
    const early = new StreamEventState();
    early.apply({ type: 'audioMuted' }); // sent before PUBLISHING
    const told: string[] = [];
    registry.on('streamEvent', (p, e) => told.push(`${p.streamName} ${e.type}`));
    registry.add(publisher, { streamName: 'cam', mediaSessionId: 'm', sessionId: 's', bitrate: {}, record: false }, early);
    expect(registry.events('cam')).toBe(early);
    early.apply({ type: 'videoMuted' });
    expect(told).toEqual(['cam videoMuted']);
    expect(registry.describe()).toEqual([expect.objectContaining({ streamName: 'cam', audioState: { muted: true }, videoState: { muted: true } })]);
    await publisher.close('bye');
    expect(early.closed).toBe(true);
    expect(registry.events('cam')).toBeUndefined();
    expect(registry.describe()).toEqual([]);
  });

  it('refuses a closed state', async () => {
    const registry = new StreamRegistry(silentLogger);
    publisher = await Publisher.create({ streamName: 'cam', offerSdp: syntheticOffer(), options, log: silentLogger });
    const ended = new StreamEventState();
    ended.close();
    expect(() => registry.add(publisher!, { streamName: 'cam', mediaSessionId: 'm', sessionId: 's', bitrate: {}, record: false }, ended)).toThrow(/closed/);
    expect(registry.get('cam')).toBeUndefined();
  });
});
