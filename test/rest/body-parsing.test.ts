import { REST_BODY_LIMIT } from '../../src/rest';
import { inject, makeServer, type Harness } from './fake-transponder-api';

const STARTUP = JSON.stringify({ streamName: 'cam1', rtmpUrl: 'rtmp://localhost:1935/live' });

let h: Harness;
beforeEach(() => {
  h = makeServer();
});
afterEach(async () => {
  await h.app.close();
});

function post(payload: string | Buffer, headers: Record<string, string>, path = '/push/startup') {
  return inject(h.app, { method: 'POST', url: `/rest-api${path}`, headers, payload });
}

describe('which bodies are read as JSON', () => {
  test.each([
    ['application/json'],
    ['application/json; charset=utf-8'],
    ['application/json;charset=UTF-8'],
    ['Application/JSON; charset="utf-8"'],
    ['application/vnd.api+json'],
  ])('Content-Type %s is accepted', async (type) => {
    const res = await post(STARTUP, { 'content-type': type });
    expect(res.statusCode).toBe(200);
    expect(h.api.calls).toHaveLength(1);
  });

  test('a JSON body without any Content-Type is accepted', async () => {
    const res = await post(STARTUP, {});
    expect(res.statusCode).toBe(200);
    expect(h.api.calls[0].args[0]).toEqual({ streamName: 'cam1', rtmpUrl: 'rtmp://localhost:1935/live' });
  });

  test('an empty body counts as {} and names the first missing field', async () => {
    const res = await post('', { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Bad Request', code: 'INVALID_PARAMETER', message: 'streamName is required', field: 'streamName' });
  });

  test.each([
    ['text/plain'],
    ['application/x-www-form-urlencoded'],
    ['multipart/form-data; boundary=x'],
    ['application/xml'],
  ])('Content-Type %s is a 400 and nothing starts', async (type) => {
    const res = await post(STARTUP, { 'content-type': type });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toEqual({ error: 'Bad Request', code: 'UNSUPPORTED_CONTENT_TYPE', message: expect.stringContaining('application/json') });
    expect(h.api.calls).toEqual([]);
  });

  test('a charset other than UTF-8 is a 400', async () => {
    const res = await post(STARTUP, { 'content-type': 'application/json; charset=iso-8859-1' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'UNSUPPORTED_CONTENT_TYPE', message: 'Only the UTF-8 charset is supported' });
  });

  test('a Content-Type that does not parse is a 400 in our shape', async () => {
    const res = await post(STARTUP, { 'content-type': '///' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'Bad Request', code: 'UNSUPPORTED_CONTENT_TYPE' });
  });
});

describe('bodies that are refused', () => {
  test('malformed JSON is a 400 that does not quote the body back', async () => {
    const res = await post('{"streamName": "cam1", "rtmpUrl": "rtmp://h/live/SECRETKEY"', { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toEqual({ error: 'Bad Request', code: 'BAD_JSON', message: expect.stringMatching(/^The body is not valid JSON/) });
    expect(res.body).not.toContain('SECRETKEY');
    expect(h.api.calls).toEqual([]);
  });

  test.each([
    ['an array', '[{"streamName":"cam1"}]', 'an array'],
    ['null', 'null', 'null'],
    ['a string', '"cam1"', 'string'],
    ['a number', '42', 'number'],
    ['true', 'true', 'boolean'],
  ])('a body that is %s is a 400', async (_what, payload, named) => {
    const res = await post(payload, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Bad Request', code: 'BODY_NOT_OBJECT', message: expect.stringContaining(named) });
    expect(h.api.calls).toEqual([]);
  });

  test('a body over 64 KB is a 400', async () => {
    const huge = JSON.stringify({ streamName: 'cam1', rtmpUrl: 'rtmp://h/live', padding: 'x'.repeat(REST_BODY_LIMIT) });
    const res = await post(huge, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Bad Request', code: 'BODY_TOO_LARGE', message: 'The body is larger than the limit' });
    expect(h.api.calls).toEqual([]);
  });

  test('a body of exactly 64 KB is still read', async () => {
    const base = JSON.stringify({ streamName: 'cam1', rtmpUrl: 'rtmp://h/live', padding: '' });
    const exact = base.replace('"padding":""', `"padding":"${'x'.repeat(REST_BODY_LIMIT - base.length)}"`);
    expect(Buffer.byteLength(exact)).toBe(REST_BODY_LIMIT);
    const res = await post(exact, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
  });

  test('a "__proto__" key neither pollutes nor reaches the implementation', async () => {
    const res = await post('{"streamName":"cam1","rtmpUrl":"rtmp://h/live","__proto__":{"polluted":true},"options":{"__proto__":{"action":"mute"}}}', {
      'content-type': 'application/json',
    });
    expect(res.statusCode).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(h.api.calls[0].args[0]).toEqual({ streamName: 'cam1', rtmpUrl: 'rtmp://h/live', options: {} });
  });

  test('a refused body changes nothing: the transponders are as before', async () => {
    h.api.add({ mediaSessionId: 'keep' });
    await post('{not json', { 'content-type': 'application/json' }, '/push/terminate');
    await post('["keep"]', { 'content-type': 'application/json' }, '/push/terminate');
    await post('{"mediaSessionId": 5}', { 'content-type': 'application/json' }, '/push/terminate');
    expect([...h.api.transponders.keys()]).toEqual(['keep']);
    expect(h.api.calls).toEqual([]);
  });
});
