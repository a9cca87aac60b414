/**
 * The guard is asked again at every (re)connect: a push whose host now resolves to a
 * denied address ends FAILED naming the rule, at the first refused restore, and never
 * connects there.
 */
import { ScriptedRtmpServer } from '../helpers/scripted-rtmp-server';
import { waitFor } from '../helpers/wait-for';
import { guardedManager, RecordingLogger, type GuardedManager } from './guarded-manager';

jest.setTimeout(20_000);

let server: ScriptedRtmpServer;
let g: GuardedManager;
let log: RecordingLogger;

beforeEach(async () => {
  server = new ScriptedRtmpServer('publish');
  await server.listen();
  log = new RecordingLogger();
  g = guardedManager({ log, restoreAttempts: -1 });
});

afterEach(async () => {
  await g.manager.close();
  await server.close();
});

it('a restore whose DNS answer changed to a metadata address ends FAILED with the rule, not retried', async () => {
  g.zone.set('rtmp.example.test', ['127.0.0.1']);
  const { mediaSessionId } = await g.manager.startup({ streamName: 'cam1', rtmpUrl: `rtmp://rtmp.example.test:${server.port}/live/key1` });
  await waitFor(() => g.manager.findAll()[0]?.status === 'PUBLISHING', { what: 'publishing' });
  expect(g.lookups).toEqual(['rtmp.example.test', 'rtmp.example.test']); // startup, then the connect

  g.zone.set('rtmp.example.test', ['169.254.169.254']);
  server.dropAll();
  await waitFor(() => g.manager.findAll()[0]?.status === 'FAILED', { what: 'FAILED' });

  const [info] = g.manager.findAll();
  expect(info.mediaSessionId).toBe(mediaSessionId);
  expect(info.reason).toBe('destination refused by rule "link-local-metadata": link-local and cloud metadata addresses are never relayed to');
  expect(info.stats.restoreAttempts).toBe(1);
  // One restore attempt asked the guard, was refused, and nothing more was tried.
  expect(g.lookups).toHaveLength(3);
  expect(server.accepted).toBe(1);
  const failed = log.lines.find((l) => l.msg === 'push ended' && l.fields?.state === 'FAILED');
  expect(failed?.fields?.detail).toMatch(/rtmp\.example\.test resolves to 169\.254\.169\.254/);
});

it('a refusal at the first connect (DNS changed since startup) ends FAILED with the rule', async () => {
  // The startup's answer is allowed; the connect's, just after, is a link-local address.
  g.zone.set('rtmp.example.test', (nth) => (nth === 1 ? ['127.0.0.1'] : ['fe80::1']));
  await g.manager.startup({ streamName: 'cam1', rtmpUrl: `rtmp://rtmp.example.test:${server.port}/live/key1` });
  await waitFor(() => g.manager.findAll()[0]?.status === 'FAILED', { what: 'FAILED' });
  expect(g.manager.findAll()[0].reason).toMatch(/^destination refused by rule "link-local-metadata"/);
  expect(g.lookups).toHaveLength(2);
  expect(server.accepted).toBe(0);
});
