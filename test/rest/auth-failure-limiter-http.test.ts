/**
 * The REST failure limiter on the whole service over real HTTP: clients on different
 * loopback addresses (127.0.0.x), so "one address" and "another address" are real source
 * addresses. Runs in its own network namespace (unshare --net, lo up).
 */
import http from 'node:http';
import type { Settings } from '../../src/config';
import type { Logger } from '../../src/log';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { loopbackSettings } from '../helpers/loopback-settings';

jest.setTimeout(30_000);

const USER = 'admin';
const PASSWORD = 'correct-horse-battery';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request from `from` (a loopback source address), on a fresh connection. */
function request(port: number, from: string, path: string, authorization?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', connection: 'close' };
    if (authorization !== undefined) headers.authorization = authorization;
    const req = http.request({ host: '127.0.0.1', port, path, method: path.startsWith('/rest-api') ? 'POST' : 'GET', localAddress: from, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(path.startsWith('/rest-api') ? '{}' : undefined);
  });
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

const RIGHT = basic(USER, PASSWORD);
const WRONG = basic(USER, 'wrong-guess');
const FIND_ALL = '/rest-api/push/find_all';

describe('REST auth failure limiter over real HTTP', () => {
  let service: TransponderService | undefined;
  let settings: Settings;

  async function start(overrides: Partial<Settings>, log: Logger = silentLogger): Promise<number> {
    settings = await loopbackSettings({ disableRestAuth: false, restAuthUser: USER, restAuthPassword: PASSWORD, ...overrides });
    service = new TransponderService(settings, log);
    return (await service.start()).http;
  }

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('N wrong passwords get 401; then 429 with Retry-After, even for the right password, without comparing', async () => {
    const port = await start({ restAuthMaxFailures: 5, restAuthFailureWindow: 60_000 });
    for (let i = 0; i < 5; i++) {
      const a = await request(port, '127.0.0.2', FIND_ALL, WRONG);
      expect(a.status).toBe(401);
      expect(a.headers['www-authenticate']).toMatch(/^Basic /);
    }
    const refused = await request(port, '127.0.0.2', FIND_ALL, WRONG);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'TOO_MANY_AUTH_FAILURES', error: 'Too Many Requests' });
    expect(refused.body).not.toContain(PASSWORD);

    // The right password from the blocked address is not even looked at.
    expect((await request(port, '127.0.0.2', FIND_ALL, RIGHT)).status).toBe(429);
    expect(service!.authFailures.stats).toMatchObject({ failures: 5, refused: 2 });
  });

  it('a right password from another address still passes, and that success lifts nobody\'s block', async () => {
    const port = await start({ restAuthMaxFailures: 3 });
    for (let i = 0; i < 3; i++) await request(port, '127.0.0.2', FIND_ALL, WRONG);
    expect((await request(port, '127.0.0.2', FIND_ALL, WRONG)).status).toBe(429);
    // find_all answers 404 when there is no transponder: past auth.
    expect((await request(port, '127.0.0.3', FIND_ALL, RIGHT)).status).toBe(404);
    expect((await request(port, '127.0.0.2', FIND_ALL, WRONG)).status).toBe(429);
    // A success of its own does not refill a guesser's budget either.
    const third = await request(port, '127.0.0.4', FIND_ALL, WRONG);
    expect(third.status).toBe(401);
    await request(port, '127.0.0.4', FIND_ALL, RIGHT);
    await request(port, '127.0.0.4', FIND_ALL, WRONG);
    await request(port, '127.0.0.4', FIND_ALL, WRONG);
    expect((await request(port, '127.0.0.4', FIND_ALL, WRONG)).status).toBe(429);
  });

  it('requests without credentials are no guesses: 401 each time, never counted', async () => {
    const port = await start({ restAuthMaxFailures: 2 });
    for (let i = 0; i < 10; i++) expect((await request(port, '127.0.0.2', FIND_ALL)).status).toBe(401);
    expect(service!.authFailures.trackedAddresses).toBe(0);
    expect((await request(port, '127.0.0.2', FIND_ALL, RIGHT)).status).toBe(404);
  });

  it('/debug/streams sits behind the same credentials and the same limiter; the pages load without any', async () => {
    const port = await start({ restAuthMaxFailures: 2 });
    expect((await request(port, '127.0.0.2', '/debug/streams')).status).toBe(401);
    expect((await request(port, '127.0.0.2', '/debug/streams', RIGHT)).status).toBe(200);
    // Failures on /debug and on /rest-api spend one budget.
    expect((await request(port, '127.0.0.2', '/debug/streams', WRONG)).status).toBe(401);
    expect((await request(port, '127.0.0.2', FIND_ALL, WRONG)).status).toBe(401);
    expect((await request(port, '127.0.0.2', '/debug/streams', RIGHT)).status).toBe(429);
    expect((await request(port, '127.0.0.2', FIND_ALL, RIGHT)).status).toBe(429);
    for (const page of ['/admin.html', '/admin.js', '/common.js', '/']) {
      expect((await request(port, '127.0.0.2', page)).status).toBe(200);
    }
  });

  it('memory stays bounded when many addresses guess: at most rest_auth_failure_max_addresses tracked', async () => {
    const port = await start({ restAuthMaxFailures: 3, restAuthFailureMaxAddresses: 50 });
    const addresses = Array.from({ length: 200 }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
    for (const from of addresses) expect((await request(port, from, FIND_ALL, WRONG)).status).toBe(401);
    expect(service!.authFailures.trackedAddresses).toBe(50);
    expect(service!.authFailures.stats).toMatchObject({ failures: 200, evictions: 150 });
  });

  it('update() changes credentials and limits live (settings reload)', async () => {
    const port = await start({ restAuthMaxFailures: 5 });
    service!.restAuth.update({ disabled: false, token: 'new-token' });
    expect((await request(port, '127.0.0.2', FIND_ALL, RIGHT)).status).toBe(401);
    expect((await request(port, '127.0.0.2', FIND_ALL, 'Bearer new-token')).status).toBe(404);
    service!.authFailures.update({ maxFailures: 1, windowMs: 60_000, maxAddresses: 100 });
    expect((await request(port, '127.0.0.2', FIND_ALL, 'Bearer new-token')).status).toBe(429);
    service!.restAuth.update({ disabled: true });
    expect((await request(port, '127.0.0.3', FIND_ALL)).status).toBe(404);
  });

  it('rest_auth_max_failures=0 turns the limiter off', async () => {
    const port = await start({ restAuthMaxFailures: 0 });
    for (let i = 0; i < 30; i++) expect((await request(port, '127.0.0.2', FIND_ALL, WRONG)).status).toBe(401);
    expect((await request(port, '127.0.0.2', FIND_ALL, RIGHT)).status).toBe(404);
  });
});

describe('the warning at start', () => {
  let service: TransponderService | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  async function warningsAt(overrides: Partial<Settings>): Promise<string[]> {
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (msg) => warnings.push(msg) };
    service = new TransponderService(await loopbackSettings(overrides), log);
    await service.start();
    return warnings.filter((w) => w.includes('Securing a public server'));
  }

  it('warns when listening on every address with REST auth off and no publish auth', async () => {
    expect(await warningsAt({ bindAddress: '0.0.0.0', disableRestAuth: true })).toHaveLength(1);
  });

  it('does not warn on loopback, nor with REST auth on', async () => {
    expect(await warningsAt({ bindAddress: '127.0.0.1', disableRestAuth: true })).toHaveLength(0);
    await service?.stop();
    expect(await warningsAt({ bindAddress: '0.0.0.0', disableRestAuth: false, restAuthToken: 'tok' })).toHaveLength(0);
  });
});
