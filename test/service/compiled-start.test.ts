/**
 * The production start: `npm run build` output run by node alone (no npm, no tsx), its
 * probes through the service's life, and its stop bounded by shutdown_timeout. One build
 * into .test-tmp/ (inside the package, so the compiled code finds web/ as dist/ does) is
 * shared by every test here.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { HealthAnswerSchema, ReadyAnswerSchema } from '../../src/service-health';
import { LoadPublisher } from '../../tools/load-publisher';
import { freePort, NginxRtmp } from '../helpers/nginx-rtmp';
import { PushApi } from '../helpers/push-api';
import { runNode, waitForOutput, type CliRun } from '../helpers/run-cli';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
let buildDir: string;
let dir: string;
let run: CliRun | undefined;
let nginx: NginxRtmp | undefined;
let publisher: LoadPublisher | undefined;

beforeAll(async () => {
  fs.mkdirSync(path.join(ROOT, '.test-tmp'), { recursive: true });
  buildDir = fs.mkdtempSync(path.join(ROOT, '.test-tmp', 'build-'));
  // What `npm run build` runs (tsconfig.build.json), into a directory of this test's own.
  await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', buildDir], { cwd: ROOT });
}, 120_000);

afterAll(() => {
  fs.rmSync(buildDir, { recursive: true, force: true });
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compiled-'));
});

afterEach(async () => {
  publisher?.close('test over');
  publisher = undefined;
  await run?.end();
  run = undefined;
  nginx?.thaw();
  await nginx?.stop();
  nginx = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Started {
  http: number;
  ws: number;
}

/** Starts the compiled service from a directory that is not the package's, so no path may depend on the working directory but media_dir. */
async function startCompiled(extra: Record<string, string | number> = {}): Promise<Started> {
  const http = await freePort();
  const ws = await freePort();
  const settings: Record<string, string | number> = {
    'http.port': http,
    'ws.port': ws,
    bind_address: '127.0.0.1',
    ip: '127.0.0.1',
    ip_local: '127.0.0.1',
    media_dir: path.join(ROOT, 'media'),
    ...extra,
  };
  const file = path.join(dir, 'test.properties');
  fs.writeFileSync(file, Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(''));
  run = runNode(path.join(buildDir, 'src', 'main.js'), ['--config', file], dir);
  await waitForOutput(run, /rtmp-transponder started/, 20_000);
  return { http, ws };
}

async function probe(port: number, route: '/health' | '/ready'): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${route}`);
  return { status: res.status, body: await res.json() };
}

/** Opens a WebSocket and says WCS `connection`; resolves with the server's first answer's name. */
function wcsConnect(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    ws.once('open', () => ws.send(JSON.stringify({ message: 'connection', data: [{ appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0' }] })));
    ws.once('message', (data) => {
      ws.close();
      resolve((JSON.parse(data.toString()) as { message: string }).message);
    });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed (${code}) before an answer`)));
  });
}

/** A stream published to the service and pushed to nginx, PUBLISHING there; then nginx stops reading. */
async function stalledPush(svc: Started): Promise<void> {
  nginx = await NginxRtmp.start();
  publisher = new LoadPublisher({ url: `ws://127.0.0.1:${svc.ws}`, streams: 1, namePrefix: 'cam' });
  await publisher.start();
  const api = new PushApi(svc.http);
  const { mediaSessionId } = await api.startup({ streamName: 'cam1', rtmpUrl: nginx.url() });
  await waitFor(async () => (await api.call<Array<{ mediaSessionId: string; status: string }>>('find_all')).body.find((t) => t.mediaSessionId === mediaSessionId)?.status === 'PUBLISHING', {
    timeoutMs: 30_000,
    what: 'the push PUBLISHING',
  });
  nginx.freeze();
}

describe('the compiled build (node dist/src/main.js)', () => {
  it('runs with node alone, serves the pages and the WebSDK from the package, answers the probes, and accepts a WebSocket session', async () => {
    const svc = await startCompiled();
    // One process: node running the compiled file, nothing in front of it.
    const cmdline = fs.readFileSync(`/proc/${run!.proc.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline.slice(0, 2)).toEqual([process.execPath, path.join(buildDir, 'src', 'main.js')]);

    const health = await probe(svc.http, '/health');
    expect(health).toEqual({ status: 200, body: { status: 'ok' } });
    HealthAnswerSchema.parse(health.body);
    const ready = await probe(svc.http, '/ready');
    expect(ready).toEqual({ status: 200, body: { ready: true, streams: 0, maxStreams: 50 } });
    ReadyAnswerSchema.parse(ready.body);
    for (const page of ['/', '/admin.html', '/flashphoner.js', '/redaction.js']) {
      expect({ page, status: (await fetch(`http://127.0.0.1:${svc.http}${page}`)).status }).toEqual({ page, status: 200 });
    }
    expect(await wcsConnect(svc.ws)).toBe('getUserData');

    run!.proc.kill('SIGTERM');
    expect(await run!.exited).toBe(0);
    expect(run!.output()).toMatch(/"clean":true,"msg":"stopped"/);
  });

  it('a push to a stalled destination: /ready 503 at the stream limit; SIGTERM answers 503 while stopping, refuses new sessions, and exits 0 once shutdown_timeout passed', async () => {
    // The push's clean end waits for the frozen server for its 1 s grace: longer than the deadline.
    const svc = await startCompiled({ shutdown_timeout: 800, max_streams_total: 1 });
    await stalledPush(svc);
    // Serving, but its one stream slot is taken.
    expect(await probe(svc.http, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await probe(svc.http, '/ready')).toEqual({
      status: 503,
      body: { ready: false, reason: 'STREAM_LIMIT', message: 'Server limit of 1 streams reached', streams: 1, maxStreams: 1 },
    });
    run!.proc.kill('SIGTERM');
    await waitForOutput(run!, /"reason":"SIGTERM".*"msg":"stopping"/, 10_000);
    // HTTP stays up while stopping and says so; the signaling refuses new sessions.
    const stopping = await probe(svc.http, '/health');
    const ready = await probe(svc.http, '/ready');
    const session = await wcsConnect(svc.ws).catch((err: Error) => `refused: ${err.message}`);
    expect(await run!.exited).toBe(0);
    expect(stopping).toEqual({ status: 503, body: { status: 'stopping' } });
    expect(ready).toEqual({ status: 503, body: { ready: false, reason: 'STOPPING', message: 'The service is stopping', streams: 0, maxStreams: 1 } });
    expect(session).toMatch(/^refused/);
    expect(run!.output()).toMatch(/"state":"TERMINATED".*"reason":"the service is stopping".*"msg":"push ended"/);
    expect(run!.output()).toMatch(/"remaining":\[[^\]]*"transponders"[^\]]*\],"msg":"shutdown_timeout passed: tearing down what remains"/);
    expect(run!.output()).toMatch(/"clean":false,"msg":"stopped"/);
  });

  it('with media_workers=1 the publishers run in a worker thread started from the compiled .js, and a publish reaches PUBLISHING', async () => {
    const svc = await startCompiled({ media_workers: 1 });
    publisher = new LoadPublisher({ url: `ws://127.0.0.1:${svc.ws}`, streams: 1, namePrefix: 'w' });
    await publisher.start();
    expect(publisher.streams.map((s) => s.state)).toEqual(['publishing']);
    // the worker's own lines are written by the main thread's logger, with the publish's fields
    await waitForOutput(run!, /"stream":"w1".*"msg":"publisher media flowing"/, 10_000);
    expect(run!.output()).toMatch(/"part":"media-workers".*"msg":"media worker started"/);
    run!.proc.kill('SIGTERM');
    expect(await run!.exited).toBe(0);
    expect(run!.output()).toMatch(/"clean":true,"msg":"stopped"/);
  });

  it('a second SIGTERM while stopping exits at once (1)', async () => {
    const svc = await startCompiled({ shutdown_timeout: 600_000 });
    await stalledPush(svc);
    run!.proc.kill('SIGTERM');
    await waitForOutput(run!, /"reason":"SIGTERM".*"msg":"stopping"/, 10_000);
    // The first stop is still waiting for the frozen server to take the unpublish.
    run!.proc.kill('SIGTERM');
    expect(await run!.exited).toBe(1);
    expect(run!.output()).toMatch(/second signal: exiting at once/);
    expect(run!.output()).not.toMatch(/"msg":"stopped"/);
  });
});
