/**
 * What the service's logger hides, line by line, as written (JSON through pino): secret
 * fields by name at the top and nested, URL fields by the one URL rule, the ICE password
 * of an SDP, RTMP URLs inside any text, and the secret values of a line wherever else
 * they appear in it. Every case writes the secret in, so removing a rule fails here.
 */
import pino from 'pino';
import { REDACTED, SECRET_FIELDS, URL_FIELDS, redactPaths } from '../../src/ops/log-redaction';
import { pinoOptions } from '../../src/ops/log';
import { LogCapture } from '../helpers/log-capture';

const KEY = 'live_123456789_AbCdEfGh';
const PASSWORD = 'hunter22-pw';
const URL = `rtmp://bob:${PASSWORD}@a.rtmp.youtube.com:1935/live2/${KEY}?token=T0KEN-xyz`;
const SHOWN = 'rtmp://a.rtmp.youtube.com:1935/live2/***?***';

let capture: LogCapture;
beforeEach(() => {
  capture = new LogCapture();
});

function only(): { msg: string; fields: Record<string, unknown> } {
  const lines = capture.lines();
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('fields by name', () => {
  test.each(SECRET_FIELDS.map((name) => [name]))('"%s" is redacted at the top, one and two levels down', (name) => {
    const secret = `s3cret-value-of-${name}`;
    capture.logger().info('x', { [name]: secret, nested: { [name]: secret, deeper: { [name]: secret } } });
    const { fields } = only();
    expect(fields[name]).toBe(REDACTED);
    expect(fields.nested).toEqual({ [name]: REDACTED, deeper: { [name]: REDACTED } });
    expect(capture.text()).not.toContain(secret);
  });

  test.each(URL_FIELDS.map((name) => [name]))('"%s" is shown by the URL rule: scheme, host, port and application', (name) => {
    capture.logger().info('x', { [name]: URL, nested: { [name]: URL } });
    const { fields } = only();
    expect(fields[name]).toBe(SHOWN);
    expect(fields.nested).toEqual({ [name]: SHOWN });
  });

  test('an http URL (a hook) keeps its host and first path element only', () => {
    capture.logger().info('x', { url: 'http://backend:9091/EchoApp/connect?secret=abcd1234' });
    expect(only().fields.url).toBe('http://backend:9091/EchoApp/***?***');
  });

  test('a URL field that is a path (a request\'s URL) keeps the path, not the query', () => {
    capture.logger().info('x', { url: '/rest-api/push/find_all?token=abcdef', other: { url: '/health' } });
    expect(only().fields).toEqual({ url: '/rest-api/push/find_all?***', other: { url: '/health' } });
  });

  test('a URL field already redacted at the call site stays as it is', () => {
    capture.logger().info('x', { url: SHOWN });
    expect(only().fields.url).toBe(SHOWN);
  });

  test('a secret field that is not a string is redacted whole', () => {
    capture.logger().info('x', { custom: { token: 'abc-token-1', user: 'u' }, password: 12345678 });
    expect(only().fields).toEqual({ custom: REDACTED, password: REDACTED });
  });

  test('an SDP keeps its lines but the ICE password', () => {
    const sdp = 'v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:Zx9Yw8Vu7Ts6Rq5Po4\r\na=fingerprint:sha-256 AA:BB\r\n';
    capture.logger().debug('publish offer', { sdp });
    expect(only().fields.sdp).toBe('v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:***\r\na=fingerprint:sha-256 AA:BB\r\n');
  });

  test('headers: authorization and cookie, at the top and in a nested object', () => {
    const headers = { authorization: 'Bearer tok-123456', cookie: 'sid=abcdef', accept: 'application/json' };
    capture.logger().warn('x', { headers, upstream: { headers } });
    const shown = { authorization: REDACTED, cookie: REDACTED, accept: 'application/json' };
    expect(only().fields).toEqual({ headers: shown, upstream: { headers: shown } });
  });

  test('a request (fastify\'s req) is its method and path: no query, no headers', () => {
    capture.logger().httpLogger.info({ req: { method: 'POST', url: '/rest-api/push/find_all?token=abcdef', headers: { authorization: 'Bearer x' } } }, 'r');
    expect(only().fields.req).toEqual({ method: 'POST', path: '/rest-api/push/find_all' });
  });

  test('pino\'s redact alone (without the hook) hides every name at the top and the secrets under headers', () => {
    const { hooks: _hooks, ...options } = pinoOptions('info');
    const raw = pino(options, capture);
    const top = Object.fromEntries(SECRET_FIELDS.map((name) => [name, `s3cret-${name}`]));
    const headers = { authorization: 'Bearer tok-123456', 'proxy-authorization': 'Basic abcdef', cookie: 'sid=abcdef' };
    raw.info({ ...top, rtmpUrl: URL, headers, req: { headers } }, 'x');
    const { fields } = only();
    for (const name of SECRET_FIELDS) expect(fields[name]).toBe(REDACTED);
    expect(fields.rtmpUrl).toBe(SHOWN);
    expect(fields.headers).toEqual({ authorization: REDACTED, 'proxy-authorization': REDACTED, cookie: REDACTED });
    expect(redactPaths()).toEqual(expect.arrayContaining(['rtmpUrl', '["set-cookie"]', 'headers.authorization', 'req.headers["proxy-authorization"]']));
  });
});

describe('text (a pino hook on every call)', () => {
  test('an RTMP URL in the message is redacted', () => {
    capture.logger().info(`pushing to ${URL} now`);
    expect(only().msg).toBe(`pushing to ${SHOWN} now`);
  });

  test('an RTMP URL in any string field, at any depth, is redacted', () => {
    capture.logger().warn('x', { error: `connect to ${URL} failed`, a: { b: { c: { d: [`rtmps://h/app/${KEY}`] } } } });
    const text = capture.text();
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(PASSWORD);
    expect(only().fields.error).toBe(`connect to ${SHOWN} failed`);
  });

  test('the secrets of the line\'s raw rtmpUrl are hidden wherever else they appear, even outside a URL', () => {
    capture.logger().error('push failed', { rtmpUrl: URL, error: `server said: bad key ${KEY} (password ${PASSWORD})` });
    expect(only().fields.error).toBe('server said: bad key *** (password ***)');
  });

  test('a token field\'s value is hidden wherever else it appears in the line', () => {
    capture.logger().warn(`refused token tok-0987654321`, { token: 'tok-0987654321', info: 'token tok-0987654321 is unknown' });
    expect(only()).toMatchObject({ msg: 'refused token ***', fields: { token: REDACTED, info: 'token *** is unknown' } });
  });

  test('an Error becomes its type, message, stack, code and cause, all scrubbed', () => {
    const err = Object.assign(new Error(`connect ${URL} failed`, { cause: new Error(`socket for ${KEY} reset`) }), { code: 'ECONNRESET' });
    capture.logger().error('x', { error: err });
    const { fields } = only();
    expect(fields.error).toMatchObject({ type: 'Error', message: `connect ${SHOWN} failed`, code: 'ECONNRESET', stack: expect.stringContaining(SHOWN), cause: { message: 'socket for *** reset' } });
    expect(capture.text()).not.toContain(KEY);
  });

  test('pino\'s (err, msg) form, as fastify calls it, is scrubbed too', () => {
    capture.logger().httpLogger.error(new Error(`stale ${URL}`), 'request errored');
    expect(only()).toMatchObject({ msg: 'request errored', fields: { err: { message: `stale ${SHOWN}` } } });
    expect(capture.text()).not.toContain(PASSWORD);
  });

  test('an object with toJSON is logged as its JSON, scrubbed', () => {
    capture.logger().info('x', { target: { toJSON: () => ({ note: `to ${URL}` }) } });
    expect(only().fields.target).toEqual({ note: `to ${SHOWN}` });
  });

  test('a cycle is cut; an object met twice is written twice', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const shared = { n: 1 };
    capture.logger().info('x', { a, one: shared, two: shared });
    expect(only().fields).toEqual({ a: { name: 'a', self: '[circular]' }, one: { n: 1 }, two: { n: 1 } });
  });

  test('child bindings are scrubbed', () => {
    capture.logger().child({ stream: `rtmp://h/live/${KEY}` }).info('x');
    expect(capture.text()).not.toContain(KEY);
  });

  test('the caller\'s objects are not changed', () => {
    const fields = { rtmpUrl: URL, error: `to ${URL}` };
    capture.logger().info('x', fields);
    expect(fields).toEqual({ rtmpUrl: URL, error: `to ${URL}` });
  });
});

describe('the pretty format hides the same', () => {
  test('a secret field, a URL field and a URL in the message', async () => {
    const { Writable } = await import('node:stream');
    let out = '';
    const dest = new Writable({ write(chunk: Buffer, _enc, cb) { out += chunk.toString(); cb(); } });
    const { createLogger } = await import('../../src/ops/log');
    createLogger({ level: 'info', format: 'pretty' }, { destination: dest as never, isTty: false }).info(`to ${URL}`, { rtmpUrl: URL, password: PASSWORD });
    const { waitFor } = await import('../helpers/wait-for');
    await waitFor(() => out.includes('\n'), { what: 'the pretty line' });
    expect(out).toContain(SHOWN);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(PASSWORD);
  });
});
