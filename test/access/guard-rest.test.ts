/**
 * The guard through the REST API over real HTTP: a refused destination answers 400 with
 * the field and the rule, never the key; the address a name resolved to reaches the log
 * only.
 */
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { createRestServer } from '../../src/rest';
import { guardedManager, RecordingLogger, type GuardedManager } from './guarded-manager';

const KEY = 'SECRET-stream-key-4711';
let app: FastifyInstance;
let g: GuardedManager;
let log: RecordingLogger;
let base: string;

beforeEach(async () => {
  log = new RecordingLogger();
  g = guardedManager({ log, ownPorts: [8081], rules: { deniedNetworks: ['10.0.0.0/8'] } });
  g.zone.set('metadata.example.test', ['169.254.169.254']);
  app = createRestServer({ api: g.manager, auth: { disabled: true }, logger: log });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await g.manager.close();
  await app.close();
});

async function startup(rtmpUrl: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}/rest-api/push/startup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ streamName: 'cam1', rtmpUrl: `${rtmpUrl}/${KEY}` }),
  });
  return { status: res.status, text: await res.text() };
}

describe('POST /rest-api/push/startup to a refused destination', () => {
  test.each([
    ['rtmp://169.254.169.254/live', 'link-local-metadata'],
    ['rtmp://[::ffff:169.254.169.254]/live', 'link-local-metadata'],
    ['rtmp://metadata.example.test/live', 'link-local-metadata'],
    ['rtmp://2130706433:8081/live', 'own-service-port'],
    ['rtmp://10.0.0.1/live', 'rtmp_push_denied_networks'],
  ])('%s answers 400 naming rtmpUrl and the rule %s, never the key', async (url, rule) => {
    const res = await startup(url);
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(body).toEqual({
      error: 'Bad Request',
      code: 'DESTINATION_REFUSED',
      field: 'rtmpUrl',
      rule,
      message: expect.stringContaining(`rule "${rule}"`),
    });
    expect(res.text).not.toContain(KEY);
    expect(res.text).not.toContain('169.254.169.254');
    expect(g.manager.findAll()).toEqual([]);
  });

  it('logs the address the name resolved to, without the key', async () => {
    await startup('rtmp://metadata.example.test/live');
    const line = log.lines.find((l) => l.msg === 'destination refused');
    expect(line?.fields).toMatchObject({ host: 'metadata.example.test', rule: 'link-local-metadata', detail: expect.stringContaining('169.254.169.254') });
    expect(log.text()).not.toContain(KEY);
  });

  it('a host that does not resolve is still RTMP_HOST_NOT_FOUND', async () => {
    const res = await startup('rtmp://nowhere.example.test/live');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'RTMP_HOST_NOT_FOUND', field: 'rtmpUrl' });
  });
});
