import { TransponderError } from '../../src/transponder/transponder-api';
import { inject, makeServer, postJson, type Harness } from './fake-transponder-api';
import { TRANSCODE_BOUNDARIES } from '../transponder/transcode-boundaries';

// The request and answer shapes of the WCS 5.2 page "Republishing to other RTMP server".
const WCS_STARTUP = { streamName: 'name', rtmpUrl: 'rtmp://localhost:1935/live', rtmpTransponderFullUrl: false, options: {} };
const WCS_FIELDS = ['mediaSessionId', 'streamName', 'rtmpUrl', 'width', 'height', 'muted', 'soundEnabled', 'options'];

let h: Harness;
beforeEach(() => {
  h = makeServer();
});
afterEach(async () => {
  await h.app.close();
});

describe('POST /rest-api/push/startup', () => {
  test('creates a transponder and answers it with the WCS fields first', async () => {
    const res = await postJson(h.app, '/push/startup', WCS_STARTUP);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(Object.keys(body).slice(0, WCS_FIELDS.length)).toEqual(WCS_FIELDS);
    expect(body).toMatchObject({
      streamName: 'rtmp_name',
      rtmpUrl: 'rtmp://localhost:1935/live',
      width: 320,
      height: 240,
      muted: false,
      soundEnabled: false,
      options: {},
      status: 'PENDING',
      transcoding: false,
      sourceStreamName: 'name',
    });
    expect(body.stats).toEqual({ bytesSent: 10, bitrateKbps: 2500, framesSent: 30, videoFramesSent: 15, framesDropped: 0, videoFramesDropped: 0, audioFramesDropped: 0, queuedBytes: 0, lagHolds: 0, restoreAttempts: 0, restores: 0, bufferMs: 0 });
    expect(h.api.calls).toEqual([
      { method: 'startup', args: [{ streamName: 'name', rtmpUrl: 'rtmp://localhost:1935/live', rtmpTransponderFullUrl: false, options: {} }] },
    ]);
  });

  test('passes every documented parameter through, typed', async () => {
    const res = await postJson(h.app, '/push/startup', {
      streamName: 'cam1',
      rtmpUrl: 'rtmps://live.example.com:443/app/streamkey',
      rtmpTransponderFullUrl: true,
      rtmpFlashVersion: 'LNX 76.219.189.0',
      width: 1280,
      height: 720,
      fps: 30,
      bitrate: 2500,
      keyFrameInterval: 60,
      options: { action: 'sound_on', soundFile: 'sample.wav', loop: true },
    });
    expect(res.statusCode).toBe(200);
    expect(h.api.calls[0].args[0]).toEqual({
      streamName: 'cam1',
      rtmpUrl: 'rtmps://live.example.com:443/app/streamkey',
      rtmpTransponderFullUrl: true,
      rtmpFlashVersion: 'LNX 76.219.189.0',
      width: 1280,
      height: 720,
      fps: 30,
      bitrate: 2500,
      keyFrameInterval: 60,
      options: { action: 'sound_on', soundFile: 'sample.wav', loop: true },
    });
  });

  test('options {"action":"mute"} starts muted; sound_on without loop means no loop', async () => {
    await postJson(h.app, '/push/startup', { streamName: 'a', rtmpUrl: 'rtmp://h/live', options: { action: 'mute' } });
    await postJson(h.app, '/push/startup', { streamName: 'b', rtmpUrl: 'rtmp://h/live', options: { action: 'sound_on', soundFile: 'x.wav' } });
    expect(h.api.calls.map((c) => (c.args[0] as { options?: unknown }).options)).toEqual([
      { action: 'mute' },
      { action: 'sound_on', soundFile: 'x.wav', loop: false },
    ]);
  });

  test('unknown fields are ignored and null means "not given"', async () => {
    const res = await postJson(h.app, '/push/startup', {
      streamName: 'cam1',
      rtmpUrl: 'rtmp://h/live',
      width: null,
      rtmpFlashVersion: null,
      somethingNew: { deep: [1, 2] },
      options: { action: null, colour: 'blue' },
    });
    expect(res.statusCode).toBe(200);
    expect(h.api.calls[0].args[0]).toEqual({ streamName: 'cam1', rtmpUrl: 'rtmp://h/live', options: {} });
  });

  const badStartups: Array<[string, Record<string, unknown>, string, string]> = [
    ['rtmpUrl is missing', { streamName: 'cam1' }, 'rtmpUrl', 'INVALID_RTMP_URL'],
    ['rtmpUrl is empty', { streamName: 'cam1', rtmpUrl: '' }, 'rtmpUrl', 'INVALID_RTMP_URL'],
    ['rtmpUrl is not a string', { streamName: 'cam1', rtmpUrl: 42 }, 'rtmpUrl', 'INVALID_RTMP_URL'],
    ['rtmpUrl has another scheme', { streamName: 'cam1', rtmpUrl: 'http://h/live' }, 'rtmpUrl', 'INVALID_RTMP_URL'],
    ['rtmpUrl is not a URL', { streamName: 'cam1', rtmpUrl: 'live stream please' }, 'rtmpUrl', 'INVALID_RTMP_URL'],
    ['rtmpUrl has no application', { streamName: 'cam1', rtmpUrl: 'rtmp://h' }, 'rtmpUrl', 'INVALID_RTMP_URL'],
    ['rtmpUrl has a bad port', { streamName: 'cam1', rtmpUrl: 'rtmp://h:99999/live' }, 'rtmpUrl', 'INVALID_RTMP_URL'],
    ['a full URL names no stream', { streamName: 'cam1', rtmpUrl: 'rtmp://h/live', rtmpTransponderFullUrl: true }, 'rtmpUrl', 'INVALID_RTMP_URL'],
    ['streamName is missing', { rtmpUrl: 'rtmp://h/live' }, 'streamName', 'INVALID_PARAMETER'],
    ['streamName is empty', { streamName: '', rtmpUrl: 'rtmp://h/live' }, 'streamName', 'INVALID_PARAMETER'],
    ['streamName is a number', { streamName: 7, rtmpUrl: 'rtmp://h/live' }, 'streamName', 'INVALID_PARAMETER'],
    ['streamName is too long', { streamName: 'x'.repeat(257), rtmpUrl: 'rtmp://h/live' }, 'streamName', 'INVALID_PARAMETER'],
    ['streamName has a control character', { streamName: 'a\nb', rtmpUrl: 'rtmp://h/live' }, 'streamName', 'INVALID_PARAMETER'],
    ['rtmpTransponderFullUrl is a string', { streamName: 'c', rtmpUrl: 'rtmp://h/live', rtmpTransponderFullUrl: 'true' }, 'rtmpTransponderFullUrl', 'INVALID_PARAMETER'],
    ['width is negative', { streamName: 'c', rtmpUrl: 'rtmp://h/live', width: -1 }, 'width', 'INVALID_PARAMETER'],
    ['width is too large', { streamName: 'c', rtmpUrl: 'rtmp://h/live', width: 8193 }, 'width', 'INVALID_PARAMETER'],
    ['height is too large', { streamName: 'c', rtmpUrl: 'rtmp://h/live', height: 8193 }, 'height', 'INVALID_PARAMETER'],
    ['height is not an integer', { streamName: 'c', rtmpUrl: 'rtmp://h/live', height: 720.5 }, 'height', 'INVALID_PARAMETER'],
    ['fps is a string', { streamName: 'c', rtmpUrl: 'rtmp://h/live', fps: '30' }, 'fps', 'INVALID_PARAMETER'],
    ['fps is too large', { streamName: 'c', rtmpUrl: 'rtmp://h/live', fps: 121 }, 'fps', 'INVALID_PARAMETER'],
    ['bitrate is too large', { streamName: 'c', rtmpUrl: 'rtmp://h/live', bitrate: 100_001 }, 'bitrate', 'INVALID_PARAMETER'],
    ['keyFrameInterval is too large', { streamName: 'c', rtmpUrl: 'rtmp://h/live', keyFrameInterval: 3601 }, 'keyFrameInterval', 'INVALID_PARAMETER'],
    ['options is an array', { streamName: 'c', rtmpUrl: 'rtmp://h/live', options: [] }, 'options', 'INVALID_PARAMETER'],
    ['options.action is unknown', { streamName: 'c', rtmpUrl: 'rtmp://h/live', options: { action: 'dance' } }, 'options.action', 'INVALID_PARAMETER'],
    ['sound_on has no soundFile', { streamName: 'c', rtmpUrl: 'rtmp://h/live', options: { action: 'sound_on' } }, 'options.soundFile', 'INVALID_PARAMETER'],
    ['options.loop is a string', { streamName: 'c', rtmpUrl: 'rtmp://h/live', options: { action: 'sound_on', soundFile: 'a.wav', loop: 'yes' } }, 'options.loop', 'INVALID_PARAMETER'],
  ];

  test.each(badStartups)('400 naming the field when %s, and nothing starts', async (_what, body, field, code) => {
    const res = await postJson(h.app, '/push/startup', body);
    expect(res.statusCode).toBe(400);
    const answer = res.json();
    expect(answer).toEqual({ error: 'Bad Request', code, message: expect.stringContaining(field.split('.').pop() as string), field });
    expect(h.api.calls).toEqual([]);
  });

  test('a rejected rtmpUrl is never echoed in the answer', async () => {
    const res = await postJson(h.app, '/push/startup', { streamName: 'c', rtmpUrl: 'ftp://user:hunter2@h/live/SECRETKEY' });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('SECRETKEY');
  });

  const implementationRefusals: Array<[TransponderError, number, string | undefined]> = [
    [new TransponderError('STREAM_NOT_FOUND', 'Stream cam1 is not published', 'streamName'), 404, 'Not Found'],
    [new TransponderError('TRANSPONDER_EXISTS', 'A transponder for cam1 and this rtmpUrl exists'), 409, 'Conflict'],
    [new TransponderError('RTMP_HOST_NOT_FOUND', 'The host nowhere.invalid cannot be resolved', 'rtmpUrl'), 400, 'Bad Request'],
    [new TransponderError('INVALID_RTMP_URL', 'rtmpUrl must name the stream', 'rtmpUrl'), 400, 'Bad Request'],
    [new TransponderError('LIMIT_REACHED', 'At most 10 transponders'), 503, 'Service Unavailable'],
  ];

  test.each(implementationRefusals)('the implementation refusing with %p answers %i', async (err, status, reason) => {
    h.api.failWith.set('startup', err);
    const res = await postJson(h.app, '/push/startup', WCS_STARTUP);
    expect(res.statusCode).toBe(status);
    const expected: Record<string, unknown> = { error: reason, code: err.code, message: err.message };
    if (err.field) expected.field = err.field;
    expect(res.json()).toEqual(expected);
  });

  test('a plain Error from the implementation is a 500 that hides it, logged with its cause', async () => {
    h.api.failWith.set('startup', new Error('database on fire', { cause: new Error('disk full') }));
    const res = await postJson(h.app, '/push/startup', WCS_STARTUP);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'Internal Server Error', code: 'INTERNAL_ERROR', message: 'Internal error' });
    expect(res.body).not.toContain('fire');
    const errors = h.logger.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].fields).toMatchObject({
      method: 'POST',
      path: '/rest-api/push/startup',
      error: 'Error: database on fire',
      cause: { error: 'Error: disk full' },
    });
  });

  test('something thrown that is not an Error is a 500 too', async () => {
    h.api.failWith.set('startup', 'a string');
    const res = await postJson(h.app, '/push/startup', WCS_STARTUP);
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('INTERNAL_ERROR');
  });
});

describe('POST /rest-api/push/find and find_all', () => {
  test('find answers the transponders that match the filter', async () => {
    h.api.add({ mediaSessionId: 'a', sourceStreamName: 'cam1', rtmpUrl: 'rtmp://h/live' });
    h.api.add({ mediaSessionId: 'b', sourceStreamName: 'cam2', rtmpUrl: 'rtmp://h/live' });
    const res = await postJson(h.app, '/push/find', { streamName: 'cam1', rtmpUrl: 'rtmp://h/live' });
    expect(res.statusCode).toBe(200);
    const list = res.json();
    expect(list).toHaveLength(1);
    expect(Object.keys(list[0]).slice(0, WCS_FIELDS.length)).toEqual(WCS_FIELDS);
    expect(list[0].mediaSessionId).toBe('a');
    expect(h.api.calls).toEqual([{ method: 'find', args: [{ streamName: 'cam1', rtmpUrl: 'rtmp://h/live' }] }]);
  });

  test('find treats empty strings as "any"', async () => {
    h.api.add();
    const res = await postJson(h.app, '/push/find', { streamName: '', rtmpUrl: '' });
    expect(res.statusCode).toBe(200);
    expect(h.api.calls[0].args[0]).toEqual({});
  });

  test('find answers 404 when nothing matches', async () => {
    h.api.add({ sourceStreamName: 'cam1' });
    const res = await postJson(h.app, '/push/find', { streamName: 'other' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Not Found', code: 'TRANSPONDER_NOT_FOUND', message: 'Transponder not found' });
  });

  test('find with a field of the wrong type is a 400 naming it', async () => {
    const res = await postJson(h.app, '/push/find', { streamName: ['cam1'] });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_PARAMETER', field: 'streamName' });
  });

  test('find_all answers every transponder, with {} or with no body at all', async () => {
    h.api.add({ mediaSessionId: 'a' });
    h.api.add({ mediaSessionId: 'b' });
    const withObject = await postJson(h.app, '/push/find_all', {});
    expect(withObject.statusCode).toBe(200);
    expect(withObject.json().map((t: { mediaSessionId: string }) => t.mediaSessionId)).toEqual(['a', 'b']);
    const empty = await inject(h.app, { method: 'POST', url: '/rest-api/push/find_all', headers: { 'content-type': 'application/json' } });
    expect(empty.statusCode).toBe(200);
    const bare = await inject(h.app, { method: 'POST', url: '/rest-api/push/find_all' });
    expect(bare.statusCode).toBe(200);
    expect(bare.json()).toHaveLength(2);
  });

  test('find_all answers 404 when there is no transponder', async () => {
    const res = await postJson(h.app, '/push/find_all', {});
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Not Found', code: 'TRANSPONDER_NOT_FOUND', message: 'Not found any transponder' });
  });
});

describe('POST /rest-api/push/{terminate,mute,unmute,sound_on,sound_off}', () => {
  const bySession: Array<[string, string]> = [
    ['/push/terminate', 'terminate'],
    ['/push/mute', 'mute'],
    ['/push/unmute', 'unmute'],
    ['/push/sound_off', 'soundOff'],
  ];

  test.each(bySession)('%s answers 200 with an empty body', async (path, method) => {
    h.api.add({ mediaSessionId: 'eume87rjk3df1i9u14elffga6t' });
    const res = await postJson(h.app, path, { mediaSessionId: 'eume87rjk3df1i9u14elffga6t' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expect(h.api.calls).toEqual([{ method, args: ['eume87rjk3df1i9u14elffga6t'] }]);
  });

  test.each(bySession)('%s answers 404 for an unknown mediaSessionId', async (path) => {
    const res = await postJson(h.app, path, { mediaSessionId: 'nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Not Found', code: 'TRANSPONDER_NOT_FOUND', message: 'Transponder not found', field: 'mediaSessionId' });
  });

  test.each(bySession)('%s without a mediaSessionId is a 400 naming it', async (path) => {
    const res = await postJson(h.app, path, {});
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Bad Request', code: 'INVALID_PARAMETER', message: 'mediaSessionId is required', field: 'mediaSessionId' });
    expect(h.api.calls).toEqual([]);
  });

  test('mute and unmute change the transponder as find shows', async () => {
    h.api.add({ mediaSessionId: 'm' });
    await postJson(h.app, '/push/mute', { mediaSessionId: 'm' });
    expect((await postJson(h.app, '/push/find_all', {})).json()[0].muted).toBe(true);
    await postJson(h.app, '/push/unmute', { mediaSessionId: 'm' });
    expect((await postJson(h.app, '/push/find_all', {})).json()[0].muted).toBe(false);
  });

  test('sound_on passes soundFile and loop and answers 200', async () => {
    h.api.add({ mediaSessionId: 's' });
    const res = await postJson(h.app, '/push/sound_on', { mediaSessionId: 's', soundFile: 'sample.wav', loop: true });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expect(h.api.calls).toEqual([{ method: 'soundOn', args: ['s', 'sample.wav', true] }]);
  });

  test('sound_on without loop does not loop', async () => {
    h.api.add({ mediaSessionId: 's' });
    await postJson(h.app, '/push/sound_on', { mediaSessionId: 's', soundFile: 'sample.wav' });
    expect(h.api.calls[0].args).toEqual(['s', 'sample.wav', false]);
  });

  test.each([
    [{ mediaSessionId: 's' }, 'soundFile'],
    [{ mediaSessionId: 's', soundFile: '' }, 'soundFile'],
    [{ mediaSessionId: 's', soundFile: 12 }, 'soundFile'],
    [{ mediaSessionId: 's', soundFile: 'a.wav', loop: 'true' }, 'loop'],
  ])('sound_on with %j is a 400 naming %s', async (body, field) => {
    const res = await postJson(h.app, '/push/sound_on', body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'Bad Request', code: 'INVALID_PARAMETER', field });
    expect(h.api.calls).toEqual([]);
  });

  test.each([
    ['SOUND_FILE_NOT_FOUND', 404, 'No such file'],
    ['SOUND_FILE_OUTSIDE_MEDIA_DIR', 400, 'soundFile must be inside the media directory'],
    ['BAD_SOUND_FILE', 400, 'soundFile is not a 16-bit PCM WAV file'],
  ] as const)('sound_on refused with %s answers %i', async (code, status, message) => {
    h.api.add({ mediaSessionId: 's' });
    h.api.failWith.set('soundOn', new TransponderError(code, message, 'soundFile'));
    const res = await postJson(h.app, '/push/sound_on', { mediaSessionId: 's', soundFile: '../../etc/passwd' });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code, message, field: 'soundFile' });
  });

  test('a TransponderError with an empty message gets the catalogue message', async () => {
    h.api.failWith.set('mute', new TransponderError('SOUND_FILE_NOT_FOUND', ''));
    const res = await postJson(h.app, '/push/mute', { mediaSessionId: 'x' });
    expect(res.json().message).toBe('No such file');
  });
});

describe('POST /rest-api/push/startup: the transcode fields have the bounds of the transponder', () => {
  test.each(TRANSCODE_BOUNDARIES.map((b) => [b.name, b] as const))('%s', async (_name, b) => {
    const res = await postJson(h.app, '/push/startup', { streamName: 'cam1', rtmpUrl: 'rtmp://h/live', ...b.request });
    if (b.refusedField === undefined) {
      expect(res.statusCode).toBe(200);
      expect(h.api.calls).toHaveLength(1);
    } else {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_PARAMETER', field: b.refusedField, message: expect.stringContaining(b.refusedField) });
      expect(h.api.calls).toEqual([]);
    }
  });

  test('0 and null reach the implementation as "not given"', async () => {
    await postJson(h.app, '/push/startup', { streamName: 'cam1', rtmpUrl: 'rtmp://h/live', width: 0, height: null, fps: 0 });
    expect(h.api.calls[0].args[0]).toEqual({ streamName: 'cam1', rtmpUrl: 'rtmp://h/live' });
  });
});

describe('the rest of the HTTP surface', () => {
  test('GET /health answers {status:"ok"}', async () => {
    const res = await inject(h.app, { method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  test('an unknown route is a 404 in the same error shape', async () => {
    const res = await postJson(h.app, '/push/explode', {});
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Not Found', code: 'ROUTE_NOT_FOUND', message: 'No route POST /rest-api/push/explode' });
  });

  test('GET on a push method is a 404, not a call', async () => {
    const res = await inject(h.app, { method: 'GET', url: '/rest-api/push/find_all' });
    expect(res.statusCode).toBe(404);
    expect(h.api.calls).toEqual([]);
  });

  test('extraRoutes are served at the root', async () => {
    const extra = makeServer({ extraRoutes: (app) => app.get('/page', async () => 'hello') });
    try {
      const res = await inject(extra.app, { method: 'GET', url: '/page' });
      expect(res.body).toBe('hello');
    } finally {
      await extra.app.close();
    }
  });
});
