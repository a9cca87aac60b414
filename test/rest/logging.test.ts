import { scrubSecrets } from '../../src/rest';
import { inject, makeServer, postJson, type Harness } from './fake-transponder-api';

const KEY = 'live_123456789_AbCdEfGhIjKlMnOp';
const SECRET_URL = `rtmp://user:pa55word@a.rtmp.youtube.com/live2/${KEY}`;

let h: Harness;
beforeEach(() => {
  h = makeServer();
});
afterEach(async () => {
  await h.app.close();
});

function expectNoSecret(text: string): void {
  expect(text).not.toContain(KEY);
  expect(text).not.toContain('pa55word');
}

/** fastify's request lines (msg "http"); fastify also says where it listens. */
function requestLines() {
  return h.logger.lines.filter((l) => l.msg === 'http');
}

describe('one log line per request, written by fastify through the service\'s pino', () => {
  test('method, path, status and duration, nothing else', async () => {
    await postJson(h.app, '/push/startup', { streamName: 'cam1', rtmpUrl: SECRET_URL });
    expect(requestLines()).toEqual([
      { level: 'info', msg: 'http', fields: { method: 'POST', path: '/rest-api/push/startup', status: 200, ms: expect.any(Number) } },
    ]);
  });

  test('the line carries fastify\'s request id, and no body or header', async () => {
    await postJson(h.app, '/push/startup', { streamName: 'cam1', rtmpUrl: SECRET_URL }, { 'x-custom-header': 'header-value-1234' });
    const raw = h.logger.capture.lines().filter((l) => l.msg === 'http');
    expect(raw).toHaveLength(1);
    expect(raw[0].fields.reqId).toEqual(expect.any(String));
    expect(h.logger.text()).not.toContain('header-value-1234');
    expect(h.logger.text()).not.toContain('streamName');
  });

  test('an error answer adds its code', async () => {
    await postJson(h.app, '/push/terminate', { mediaSessionId: 'nope' });
    expect(requestLines()).toEqual([
      { level: 'info', msg: 'http', fields: { method: 'POST', path: '/rest-api/push/terminate', status: 404, ms: expect.any(Number), code: 'TRANSPONDER_NOT_FOUND' } },
    ]);
  });

  test('an unknown route is one line with its code', async () => {
    await inject(h.app, { method: 'GET', url: '/nowhere?token=abcdef' });
    expect(requestLines()).toEqual([
      { level: 'info', msg: 'http', fields: { method: 'GET', path: '/nowhere', status: 404, ms: expect.any(Number), code: 'ROUTE_NOT_FOUND' } },
    ]);
    expect(h.logger.text()).not.toContain('abcdef');
  });

  test('a 500 is a warning', async () => {
    h.api.failWith.set('findAll', new Error('boom'));
    await postJson(h.app, '/push/find_all', {});
    expect(requestLines()).toEqual([
      { level: 'warn', msg: 'http', fields: { method: 'POST', path: '/rest-api/push/find_all', status: 500, ms: expect.any(Number), code: 'INTERNAL_ERROR' } },
    ]);
  });

  test('the query string is not logged', async () => {
    await inject(h.app, { method: 'POST', url: '/rest-api/push/find_all?token=abc', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(h.logger.text()).not.toContain('abc');
    expect(requestLines()[0].fields?.path).toBe('/rest-api/push/find_all');
  });

  test('health probes that succeed are not logged; other requests are', async () => {
    await inject(h.app, { method: 'GET', url: '/health' });
    await inject(h.app, { method: 'GET', url: '/health?x=1' });
    expect(requestLines()).toEqual([]);
    await postJson(h.app, '/push/find_all', {});
    expect(requestLines()).toHaveLength(1);
  });

  test('without an httpLogger fastify logs nothing (and the server still answers)', async () => {
    await h.app.close();
    h = makeServer({ httpLogger: undefined });
    const res = await postJson(h.app, '/push/terminate', { mediaSessionId: 'nope' });
    expect(res.json()).toMatchObject({ code: 'TRANSPONDER_NOT_FOUND' });
    expect(h.logger.lines).toEqual([]);
  });
});

describe('an rtmpUrl with a stream key never appears in a log line', () => {
  test('a successful startup', async () => {
    await postJson(h.app, '/push/startup', { streamName: 'cam1', rtmpUrl: SECRET_URL });
    expectNoSecret(h.logger.text());
  });

  test('a startup refused by validation', async () => {
    await postJson(h.app, '/push/startup', { streamName: 'cam1', rtmpUrl: SECRET_URL, width: -1 });
    await postJson(h.app, '/push/startup', { streamName: 'cam1', rtmpUrl: SECRET_URL.replace('rtmp:', 'http:') });
    await postJson(h.app, '/push/startup', `{"streamName":"cam1","rtmpUrl":"${SECRET_URL}"`);
    expect(requestLines()).toHaveLength(3);
    expectNoSecret(h.logger.text());
  });

  test('an unexpected error whose message and cause carry the URL', async () => {
    h.api.failWith.set('startup', new Error(`connect to ${SECRET_URL} failed`, { cause: new Error(`socket for ${KEY} reset`) }));
    const res = await postJson(h.app, '/push/startup', { streamName: 'cam1', rtmpUrl: SECRET_URL });
    expect(res.statusCode).toBe(500);
    const errors = h.logger.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    // The cause is there, with the URL masked.
    expect(errors[0].fields?.error).toBe('Error: connect to rtmp://a.rtmp.youtube.com/live2/*** failed');
    expect(errors[0].fields?.cause).toMatchObject({ error: expect.stringContaining('socket for') });
    expectNoSecret(h.logger.text());
  });

  test('a URL in an unexpected error is masked even when it is not the request\'s', async () => {
    h.api.failWith.set('findAll', new Error(`stale target rtmps://live.example.com/app/${KEY}?auth=x`));
    await postJson(h.app, '/push/find_all', {});
    expectNoSecret(h.logger.text());
    expect(h.logger.text()).toContain('rtmps://live.example.com/app/***');
  });
});

describe('scrubSecrets', () => {
  test.each([
    ['plain text stays', 'nothing here', 'nothing here'],
    ['a URL in a sentence is masked', `to rtmp://h:1935/live/${KEY} now`, 'to rtmp://h:1935/live/*** now'],
    ['credentials are dropped', 'rtmp://u:p@h/live', 'rtmp://h/live'],
    ['several URLs', `rtmp://h/a/${KEY} and RTMPS://h/b/${KEY}`, 'rtmp://h/a/*** and RTMPS://h/b/***'],
  ])('%s', (_what, input, output) => {
    expect(scrubSecrets(input)).toBe(output);
  });

  test('a known URL is masked wherever it appears, even quoted', () => {
    const out = scrubSecrets(`{"rtmpUrl":"${SECRET_URL}"}`, [SECRET_URL]);
    expectNoSecret(out);
  });
});

describe('scrubSecrets with the request URL known', () => {
  test('its key, password and query values are hidden even outside a URL', () => {
    const url = 'rtmp://bob:hunter22@h:1935/live/KEY-abcdef?token=T0KEN-xyz&s_bl=1';
    const out = scrubSecrets('key KEY-abcdef pw hunter22 token T0KEN-xyz user bob app live', [url]);
    expect(out).toBe('key *** pw *** token *** user bob app live');
  });
});
