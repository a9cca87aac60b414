import { RestAuthenticator, createRestServer } from '../../src/rest';
import { FakeTransponderApi, RecordingLogger, inject, makeServer, type Harness } from './fake-transponder-api';

const CREDENTIALS = { disabled: false, user: 'admin', password: 's3cret:with:colons', token: 'tok-0123456789' };

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

function findAll(h: Harness, headers: Record<string, string> = {}) {
  return inject(h.app, { method: 'POST', url: '/rest-api/push/find_all', headers: { 'content-type': 'application/json', ...headers }, payload: '{}' });
}

let h: Harness;
afterEach(async () => {
  await h.app.close();
});

describe('disable_rest_auth=true (the default)', () => {
  test('the API is open', async () => {
    h = makeServer({ auth: { disabled: true } });
    h.api.add();
    expect((await findAll(h)).statusCode).toBe(200);
  });

  test('credentials sent anyway are ignored', async () => {
    h = makeServer({ auth: { disabled: true } });
    h.api.add();
    expect((await findAll(h, { authorization: basic('x', 'y') })).statusCode).toBe(200);
  });
});

describe('disable_rest_auth=false', () => {
  beforeEach(() => {
    h = makeServer({ auth: CREDENTIALS });
    h.api.add();
  });

  test('HTTP Basic with the right user and password passes', async () => {
    const res = await findAll(h, { authorization: basic('admin', 's3cret:with:colons') });
    expect(res.statusCode).toBe(200);
  });

  test('a Bearer token passes', async () => {
    const res = await findAll(h, { authorization: 'Bearer tok-0123456789' });
    expect(res.statusCode).toBe(200);
  });

  test('the scheme name is case-insensitive', async () => {
    expect((await findAll(h, { authorization: 'bearer tok-0123456789' })).statusCode).toBe(200);
    expect((await findAll(h, { authorization: basic('admin', 's3cret:with:colons').replace('Basic', 'BASIC') })).statusCode).toBe(200);
  });

  test.each([
    ['no Authorization header', undefined],
    ['a wrong password', basic('admin', 'wrong')],
    ['a wrong user', basic('root', 's3cret:with:colons')],
    ['a password that is a prefix of the right one', basic('admin', 's3cret')],
    ['a wrong token', 'Bearer tok-0123456788'],
    ['the password sent as a token', 'Bearer s3cret:with:colons'],
    ['the token sent as Basic', `Basic ${Buffer.from('tok-0123456789').toString('base64')}`],
    ['garbage base64', 'Basic %%%'],
    ['another scheme', 'Digest username="admin"'],
    ['an empty header', ''],
  ])('%s gets 401 with a Basic challenge, and nothing is called', async (_what, authorization) => {
    const res = await findAll(h, authorization === undefined ? {} : { authorization });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="rtmp-transponder"');
    expect(res.json()).toEqual({ error: 'Unauthorized', code: 'UNAUTHORIZED', message: 'Authentication required' });
    expect(h.api.calls).toEqual([]);
  });

  test('auth is checked before the body: a bad body without credentials is a 401', async () => {
    const res = await inject(h.app, { method: 'POST', url: '/rest-api/push/startup', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expect(res.statusCode).toBe(401);
  });

  test('GET /health needs no credentials', async () => {
    const res = await inject(h.app, { method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  test('credentials never reach the log', async () => {
    await findAll(h, { authorization: basic('admin', 's3cret:with:colons') });
    await findAll(h, { authorization: basic('admin', 'guess-one') });
    await findAll(h, { authorization: 'Bearer tok-0123456789' });
    const text = h.logger.text();
    expect(h.logger.lines.filter((l) => l.msg === 'http')).toHaveLength(3);
    for (const secret of ['s3cret', 'guess-one', 'tok-0123456789', Buffer.from('admin:s3cret:with:colons').toString('base64')]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('configuration', () => {
  test('auth on with nothing configured refuses to start', () => {
    const make = () => createRestServer({ api: new FakeTransponderApi(), logger: new RecordingLogger(), auth: { disabled: false } });
    expect(make).toThrow(/neither a user and password nor a token/);
    h = makeServer(); // for afterEach
  });

  test('only a token configured: Basic never passes', () => {
    const auth = new RestAuthenticator({ disabled: false, token: 't' });
    expect(auth.check('Bearer t')).toBe(true);
    expect(auth.check(basic('', ''))).toBe(false);
    expect(auth.check(basic('t', 't'))).toBe(false);
    h = makeServer();
  });

  test('only a user and password configured: no Bearer passes', () => {
    const auth = new RestAuthenticator({ disabled: false, user: 'u', password: 'p' });
    expect(auth.check(basic('u', 'p'))).toBe(true);
    expect(auth.check('Bearer ')).toBe(false);
    expect(auth.check('Bearer p')).toBe(false);
    expect(auth.check('Bearer undefined')).toBe(false);
    h = makeServer();
  });
});
