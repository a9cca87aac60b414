/**
 * The frames of availableStream, sendStreamEvent, notifyStreamEvent and the video rates,
 * exactly as flashphoner-core.js (WebSDK 2.0) reads and writes them.
 */
import {
  encodeAvailableStream,
  encodeNotifyStreamEvent,
  encodeVideoRate,
  parseAvailableStream,
  parseStreamEvent,
  STREAM_NOT_FOUND,
} from '../../src/signaling/stream-messages';

describe('WCS stream messages', () => {
  it('availableStream answers carry status as the string the SDK compares with "true"', () => {
    expect(encodeAvailableStream('m-1', true, '')).toBe('{"message":"availableStream","data":[{"id":"m-1","status":"true","info":""}]}');
    expect(encodeAvailableStream('m-2', false, STREAM_NOT_FOUND)).toBe('{"message":"availableStream","data":[{"id":"m-2","status":"false","info":"Stream not found"}]}');
  });

  it.each([
    // what stream.available() sends
    [[{ mediaSessionId: 'a1', name: 'cam' }], { ok: true, req: { mediaSessionId: 'a1', name: 'cam' } }],
    [[{ mediaSessionId: 'a1' }], { ok: true, req: { mediaSessionId: 'a1', name: undefined } }],
    [[{ mediaSessionId: 'a1', name: 7 }], { ok: true, req: { mediaSessionId: 'a1', name: undefined } }],
    [[{ name: 'cam' }], { ok: false, error: 'MediaSessionId is null' }],
    [[{ mediaSessionId: 'x'.repeat(129), name: 'cam' }], { ok: false, error: 'MediaSessionId is null' }],
    [['cam'], { ok: false, error: 'availableStream needs an object in data[0]' }],
    [[], { ok: false, error: 'availableStream needs an object in data[0]' }],
  ])('parses availableStream %j', (data, expected) => {
    expect(parseAvailableStream(data)).toEqual(expected);
  });

  it.each([
    // stream.muteAudio() etc. send no payload key value (undefined is dropped by JSON)
    [[{ mediaSessionId: 's1', type: 'audioMuted' }], { ok: true, req: { mediaSessionId: 's1', event: { type: 'audioMuted' } } }],
    [[{ mediaSessionId: 's1', type: 'audioUnmuted' }], { ok: true, req: { mediaSessionId: 's1', event: { type: 'audioUnmuted' } } }],
    [[{ mediaSessionId: 's1', type: 'videoMuted' }], { ok: true, req: { mediaSessionId: 's1', event: { type: 'videoMuted' } } }],
    [[{ mediaSessionId: 's1', type: 'videoUnmuted' }], { ok: true, req: { mediaSessionId: 's1', event: { type: 'videoUnmuted' } } }],
    // stream.sendData(payload)
    [[{ mediaSessionId: 's1', type: 'data', payload: { a: [1, 'x'] } }], { ok: true, req: { mediaSessionId: 's1', event: { type: 'data', payload: { a: [1, 'x'] } } } }],
    [[{ mediaSessionId: 's1', type: 'data', payload: null }], { ok: true, req: { mediaSessionId: 's1', event: { type: 'data', payload: null } } }],
  ])('parses sendStreamEvent %j', (data, expected) => {
    expect(parseStreamEvent(data)).toEqual(expected);
  });

  it('names an unknown event type, and what is accepted', () => {
    const r = parseStreamEvent([{ mediaSessionId: 's1', type: 'snapshotCompleted' }]);
    expect(r).toEqual({ ok: false, error: 'Unknown stream event type "snapshotCompleted": audioMuted, audioUnmuted, videoMuted, videoUnmuted or data' });
    expect(parseStreamEvent([{ mediaSessionId: 's1', type: 3 }])).toMatchObject({ ok: false, error: expect.stringMatching(/^Unknown stream event type number:/) });
    expect(parseStreamEvent([{ mediaSessionId: 's1', type: 'x'.repeat(1000) }])).toMatchObject({ ok: false, error: expect.stringContaining(`"${'x'.repeat(64)}"`) });
    expect(parseStreamEvent([{ type: 'audioMuted' }])).toEqual({ ok: false, error: 'MediaSessionId is null' });
    expect(parseStreamEvent([null])).toEqual({ ok: false, error: 'sendStreamEvent needs an object in data[0]' });
  });

  it('notifyStreamEvent carries the player\'s mediaSessionId, the stream name, type and payload', () => {
    expect(encodeNotifyStreamEvent('p-1', 'cam', { type: 'data', payload: { n: 33 } })).toBe(
      '{"message":"notifyStreamEvent","data":[{"mediaSessionId":"p-1","streamName":"cam","type":"data","payload":{"n":33}}]}',
    );
    expect(encodeNotifyStreamEvent('p-1', 'cam', { type: 'audioMuted' })).toBe(
      '{"message":"notifyStreamEvent","data":[{"mediaSessionId":"p-1","streamName":"cam","type":"audioMuted"}]}',
    );
  });

  it('video rates are whole bits per second under the names the SDK switches on', () => {
    expect(encodeVideoRate('inbound', 'm-1', 1_234_567.6)).toBe('{"message":"inboundVideoRate","data":[{"mediaSessionId":"m-1","videoRate":1234568}]}');
    expect(encodeVideoRate('outbound', 'm-2', -5)).toBe('{"message":"outboundVideoRate","data":[{"mediaSessionId":"m-2","videoRate":0}]}');
  });
});
