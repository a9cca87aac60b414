/**
 * /rest-api/stream/* over HTTP with a fake StreamApi: the WCS filters, fields, metrics
 * names and status codes (WCS 5.2 "Stream parameters monitoring with REST API" and
 * "Stopping the video stream on the server side"), and our 400 naming the field.
 */
import { inject, makeServer, postJson, type Harness } from './fake-transponder-api';
import { publishedStream, publisherStats } from './fake-stream-api';

// The fields of the WCS example answer that we fill, in its order.
const WCS_FIELDS = ['sessionId', 'mediaSessionId', 'name', 'published', 'hasVideo', 'hasAudio', 'status', 'audioCodec', 'videoCodec', 'record', 'width', 'height', 'bitrate', 'minBitrate', 'maxBitrate', 'createDate', 'mediaType', 'mediaProvider', 'transport'];

let h: Harness;
afterEach(async () => {
  await h.app.close();
});

describe('POST /rest-api/stream/find', () => {
  beforeEach(() => {
    h = makeServer();
    h.streams.add(publishedStream('stream1'), publishedStream('stream2', { sessionId: 'session-shared' }), publishedStream('stream3', { sessionId: 'session-shared' }));
  });

  test('answers the matching stream with the WCS fields, in their order, and no metrics unless asked', async () => {
    const res = await postJson(h.app, '/stream/find', { name: 'stream1', published: true });
    expect(res.statusCode).toBe(200);
    const [stream, ...rest] = res.json();
    expect(rest).toEqual([]);
    expect(Object.keys(stream)).toEqual(WCS_FIELDS);
    expect(stream).toEqual({
      sessionId: 'session-stream1', mediaSessionId: 'msid-stream1', name: 'stream1', published: true, hasVideo: true, hasAudio: true,
      status: 'PUBLISHING', audioCodec: 'opus/48000/2', videoCodec: 'H264', record: false, width: 640, height: 360,
      bitrate: 0, minBitrate: 0, maxBitrate: 0, createDate: 1_616_730_493_789, mediaType: 'publish', mediaProvider: 'WebRTC', transport: 'UDP',
    });
  });

  test('display ["metrics"] adds the WCS metrics from the publisher figures (rates in bit/s)', async () => {
    const res = await postJson(h.app, '/stream/find', { name: 'stream1', published: true, display: ['metrics'] });
    expect(res.statusCode).toBe(200);
    expect(res.json()[0].metrics).toEqual({
      VIDEO_WIDTH: 640, VIDEO_HEIGHT: 360, VIDEO_FPS: 24, VIDEO_RATE: 1_187_000, VIDEO_K_FRAMES: 22, VIDEO_NACK: 3, VIDEO_PLI: 5,
      VIDEO_LOST: 4, VIDEO_CODEC: 102, AUDIO_RATE: 129_000, AUDIO_LOST: 1, AUDIO_CODEC: 111,
    });
  });

  test('a picture size not known yet is 0 in width/height and absent from metrics; an audio-only stream has no video fields', async () => {
    h.streams.streams = [
      publishedStream('early', { stats: publisherStats('early') }),
      publishedStream('voice', { hasVideo: false, stats: { ...publisherStats('voice'), video: undefined } }),
    ];
    const res = await postJson(h.app, '/stream/find_all', { display: ['metrics'] });
    const [early, voice] = res.json();
    expect([early.width, early.height]).toEqual([0, 0]);
    expect(early.metrics).not.toHaveProperty('VIDEO_WIDTH');
    expect(early.metrics).not.toHaveProperty('VIDEO_HEIGHT');
    expect(voice).not.toHaveProperty('videoCodec');
    expect(voice.metrics).toEqual({ AUDIO_RATE: 129_000, AUDIO_LOST: 1, AUDIO_CODEC: 111 });
  });

  test.each([
    ['mediaSessionId', { mediaSessionId: 'msid-stream2' }, ['stream2']],
    ['name', { name: 'stream3' }, ['stream3']],
    ['sessionId', { sessionId: 'session-shared' }, ['stream2', 'stream3']],
    ['published: true', { published: true }, ['stream1', 'stream2', 'stream3']],
    ['status PUBLISHING', { status: 'PUBLISHING' }, ['stream1', 'stream2', 'stream3']],
    ['every filter at once', { mediaSessionId: 'msid-stream3', name: 'stream3', published: true, status: 'PUBLISHING', sessionId: 'session-shared' }, ['stream3']],
    ['empty strings and nulls (any)', { mediaSessionId: '', name: null, published: null, status: '', display: null }, ['stream1', 'stream2', 'stream3']],
    ['no body at all', undefined, ['stream1', 'stream2', 'stream3']],
  ])('filters by %s', async (_what, body, names) => {
    const res = body === undefined ? await inject(h.app, { method: 'POST', url: '/rest-api/stream/find' }) : await postJson(h.app, '/stream/find', body);
    expect(res.statusCode).toBe(200);
    expect(res.json().map((s: { name: string }) => s.name)).toEqual(names);
  });

  test.each([
    ['an unknown name', { name: 'nope' }],
    ['published: false (nothing is played here)', { published: false }],
    ['another status', { status: 'PLAYING' }],
    ['two filters that exclude each other', { name: 'stream1', mediaSessionId: 'msid-stream2' }],
  ])('answers 404 STREAM_NOT_FOUND for %s', async (_what, body) => {
    const res = await postJson(h.app, '/stream/find', body);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Not Found', code: 'STREAM_NOT_FOUND', message: 'Stream not found' });
  });

  test.each([
    [{ published: 'yes' }, 'published', 'published must be a boolean, not a string'],
    [{ name: 5 }, 'name', 'name must be a string, not a number'],
    [{ display: 'metrics' }, 'display', 'display must be an array, not a string'],
    [{ display: [1] }, 'display.0', 'display.0 must be a string, not a number'],
    [{ mediaSessionId: 'x'.repeat(257) }, 'mediaSessionId', 'mediaSessionId must have at most 256 characters'],
  ])('a bad field (%j) is a 400 naming it', async (body, field, message) => {
    const res = await postJson(h.app, '/stream/find', body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Bad Request', code: 'INVALID_PARAMETER', message, field });
  });

  test('a body that is not a JSON object is a 400 of the catalogue', async () => {
    const res = await postJson(h.app, '/stream/find', '[1]');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'BODY_NOT_OBJECT' });
  });
});

describe('POST /rest-api/stream/find_all', () => {
  beforeEach(() => {
    h = makeServer();
  });

  test('answers 404 when nothing is published', async () => {
    const res = await inject(h.app, { method: 'POST', url: '/rest-api/stream/find_all' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Not Found', code: 'STREAM_NOT_FOUND', message: 'Not found any stream' });
  });

  test('lists every stream in the order they started, with metrics when asked', async () => {
    h.streams.add(publishedStream('b'), publishedStream('a'));
    const plain = await inject(h.app, { method: 'POST', url: '/rest-api/stream/find_all' });
    expect(plain.json().map((s: { name: string }) => s.name)).toEqual(['b', 'a']);
    expect(plain.json()[0]).not.toHaveProperty('metrics');
    const withMetrics = await postJson(h.app, '/stream/find_all', { display: ['metrics', 'something-else'] });
    expect(withMetrics.json().map((s: { metrics?: { VIDEO_FPS?: number } }) => s.metrics?.VIDEO_FPS)).toEqual([24, 24]);
  });
});

describe('POST /rest-api/stream/terminate', () => {
  beforeEach(() => {
    h = makeServer();
    h.streams.add(publishedStream('s1'), publishedStream('s2'), publishedStream('s3'));
  });

  test('by mediaSessionId: 200 with an empty body, and only that stream ends', async () => {
    const res = await postJson(h.app, '/stream/terminate', { mediaSessionId: 'msid-s2' });
    expect([res.statusCode, res.body]).toEqual([200, '']);
    expect(h.streams.terminated).toEqual([['msid-s2']]);
    expect(h.streams.streams.map((s) => s.name)).toEqual(['s1', 's3']);
  });

  test.each([
    ['mediaSessionIds', { mediaSessionIds: ['msid-s1', 'msid-s3', 'msid-gone'] }, ['msid-s1', 'msid-s3']],
    ['name and status', { name: 's3', status: 'PUBLISHING' }, ['msid-s3']],
    ['published: true', { published: true }, ['msid-s1', 'msid-s2', 'msid-s3']],
    ['no filter (every stream, as WCS)', {}, ['msid-s1', 'msid-s2', 'msid-s3']],
  ])('by %s', async (_what, body, ended) => {
    const res = await postJson(h.app, '/stream/terminate', body);
    expect(res.statusCode).toBe(200);
    expect(h.streams.terminated).toEqual([ended]);
  });

  test.each([
    ['an unknown mediaSessionId', { mediaSessionId: 'nope' }],
    ['published: false', { published: false }],
    ['mediaSessionIds none of which is published', { mediaSessionIds: ['gone'] }],
  ])('answers 404 for %s and ends nothing', async (_what, body) => {
    const res = await postJson(h.app, '/stream/terminate', body);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'STREAM_NOT_FOUND' });
    expect(h.streams.terminated).toEqual([]);
    expect(h.streams.streams).toHaveLength(3);
  });

  test('a stream that ended between the lookup and the terminate is a 404, not a 200', async () => {
    h.streams.terminate = (ids) => { h.streams.terminated.push([...ids]); return 0; };
    const res = await postJson(h.app, '/stream/terminate', { name: 's1' });
    expect(res.statusCode).toBe(404);
  });

  test.each([
    [{ mediaSessionIds: 'msid-s1' }, 'mediaSessionIds', 'mediaSessionIds must be an array, not a string'],
    [{ mediaSessionIds: [''] }, 'mediaSessionIds.0', 'mediaSessionIds.0 must not be empty'],
    [{ published: 1 }, 'published', 'published must be a boolean, not a number'],
  ])('a bad field (%j) is a 400 naming it, and nothing ends', async (body, field, message) => {
    const res = await postJson(h.app, '/stream/terminate', body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Bad Request', code: 'INVALID_PARAMETER', message, field });
    expect(h.streams.terminated).toEqual([]);
  });
});

describe('REST authentication', () => {
  const auth = { disabled: false, user: 'admin', password: 'pw', token: 'tok-0123456789' };

  test.each(['/stream/find', '/stream/find_all', '/stream/terminate'])('%s needs the credentials, and with them works', async (path) => {
    h = makeServer({ auth });
    h.streams.add(publishedStream('s1'));
    const refused = await postJson(h.app, path, {});
    expect(refused.statusCode).toBe(401);
    expect(h.streams.terminated).toEqual([]);
    const ok = await postJson(h.app, path, {}, { authorization: `Bearer ${auth.token}` });
    expect(ok.statusCode).toBe(200);
  });
});
