/**
 * The push across connections, against a scripted RTMP server on loopback: cancelling a
 * connect, honest states and reasons, restore counted, keyframes asked for at once.
 */
import { ScriptedRtmpServer } from '../helpers/scripted-rtmp-server';
import { waitFor } from '../helpers/wait-for';
import { PushRestorer } from '../../src/transponder/push-restorer';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import { RtmpPublisher } from '../../src/rtmp/rtmp-publisher';
import type { TransponderState } from '../../src/transponder/transponder-api';
import type { FlvTag } from '../../src/flv/flv-tag';

const avcHeader: FlvTag = { type: 9, timestamp: 0, data: Buffer.from([0x17, 0x00, 0, 0, 0, 0x01, 0x42]) };
const aacHeader: FlvTag = { type: 8, timestamp: 0, data: Buffer.from([0xaf, 0x00, 0x11, 0x90]) };
const key = (ts: number): FlvTag => ({ type: 9, timestamp: ts, data: Buffer.from([0x17, 0x01, 0, 0, 0, 0x65]) });
const aac = (ts: number): FlvTag => ({ type: 8, timestamp: ts, data: Buffer.from([0xaf, 0x01, 0x21]) });

let server: ScriptedRtmpServer;
const owned: Array<{ close(reason: string): Promise<void> }> = [];

function restorer(url: string, restore = new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }), timeoutMs = 5000): PushRestorer {
  const p = new PushRestorer({ attempt: { url, naming: { fullUrl: true }, sendMetadata: true, hasVideo: true, timeoutMs }, restore });
  owned.push(p);
  return p;
}

function states(p: PushRestorer): Array<[TransponderState, string]> {
  const seen: Array<[TransponderState, string]> = [];
  p.on('state', (s, r) => seen.push([s, r]));
  return seen;
}

beforeEach(async () => {
  server = new ScriptedRtmpServer('publish');
  await server.listen();
});

afterEach(async () => {
  await Promise.allSettled(owned.splice(0).map((o) => o.close('test over')));
  await server.close();
});

describe('RtmpPublisher: one cancellable attempt', () => {
  it('close() during the handshake ends it at once: start() rejects as cancelled, the socket goes, the state stays closed', async () => {
    server.mode = 'silent';
    const p = new RtmpPublisher({ url: server.url(), naming: { fullUrl: true }, sendMetadata: false, hasVideo: true, timeoutMs: 30_000 });
    owned.push(p);
    const seen: string[] = [];
    p.on('state', (s) => seen.push(s));
    const started = p.start().then(
      () => 'published',
      (err: Error) => err.name,
    );
    await waitFor(() => server.open === 1, { what: 'the TCP connection' });
    void p.close('terminated');
    expect(p.state).toBe('closed');
    expect(await started).toBe('RtmpAbortError');
    await waitFor(() => server.open === 0, { what: 'the socket to close' });
    expect(seen).toEqual(['connecting', 'closed']);
  });

  it('close() while waiting for the answer to connect cancels that command too', async () => {
    server.mode = 'mute-after-handshake';
    const p = new RtmpPublisher({ url: server.url(), naming: { fullUrl: true }, sendMetadata: false, hasVideo: true, timeoutMs: 30_000 });
    owned.push(p);
    const started = p.start().catch((err: Error) => err.name);
    await waitFor(() => server.commands('connect').length === 1, { what: 'connect' });
    await p.close('terminated');
    expect(await started).toBe('RtmpAbortError');
    expect(p.state).toBe('closed');
    await waitFor(() => server.open === 0, { what: 'the socket to close' });
  });
});

describe('PushRestorer', () => {
  it('terminated while CONNECTING is TERMINATED at once and never becomes FAILED or PUBLISHING', async () => {
    server.mode = 'silent';
    const p = restorer(server.url(), undefined, 30_000);
    const seen = states(p);
    p.start();
    await waitFor(() => server.open === 1, { what: 'the TCP connection' });
    const drained = p.close('terminated through the REST API');
    expect(p.state).toBe('TERMINATED');
    await drained;
    await waitFor(() => server.open === 0, { what: 'no socket left' });
    expect(seen.map(([s]) => s)).toEqual(['CONNECTING', 'TERMINATED']);
    expect(p.reason).toBe('terminated through the REST API');
  });

  it('a first connection refused ends FAILED with the failure class; the socket error is the detail', async () => {
    const port = server.port;
    await server.close();
    const p = restorer(`rtmp://127.0.0.1:${port}/live/x`, new RestorePolicy({ enabled: true, attempts: 3, intervalMs: 10 }));
    p.start();
    await waitFor(() => p.closed, { what: 'the end' });
    expect(p.state).toBe('FAILED');
    expect(p.reason).toBe('cannot connect to the RTMP server');
    expect(p.lastErrorDetail).toMatch(/ECONNREFUSED/);
    server = new ScriptedRtmpServer();
    await server.listen();
  });

  it('a lost connection goes RESTORING with a reason that follows the attempts, then PUBLISHING, counted in restores; each attempt asks for a keyframe at once', async () => {
    const p = restorer(server.url(), new RestorePolicy({ enabled: true, attempts: 3, intervalMs: 50 }));
    const seen = states(p);
    const keyframeAsks: boolean[] = [];
    p.on('needKeyframe', (urgent) => keyframeAsks.push(urgent));
    p.setMetadata({ width: 640, height: 360, framerate: 30 });
    p.send(avcHeader);
    p.send(aacHeader);
    p.start();
    await waitFor(() => p.state === 'PUBLISHING', { what: 'publishing' });
    p.send(key(1000));
    p.send(aac(1010));
    await waitFor(() => server.media(1).filter((m) => m.typeId === 9).length === 2, { what: 'the first keyframe' });
    server.dropAll();
    await waitFor(() => p.state === 'RESTORING', { what: 'restoring' });
    // While it waits, the next connection keeps what arrives, from the latest keyframe.
    p.send(key(2000));
    p.send(aac(2010));
    await waitFor(() => p.state === 'PUBLISHING', { what: 'publishing again' });
    await waitFor(() => server.media(2).length >= 5, { what: 'the start of the second connection' });

    const restoring = seen.filter(([s]) => s === 'RESTORING').map(([, r]) => r);
    expect(restoring[0]).toMatch(/restore attempt 1 of 3 in 50 ms$/);
    expect(restoring[1]).toMatch(/restore attempt 1 of 3 connecting$/);
    expect(seen.map(([s]) => s)).toEqual(['CONNECTING', 'PUBLISHING', 'RESTORING', 'RESTORING', 'PUBLISHING']);
    expect(p.toJSON()).toMatchObject({ restores: 1, restoreAttempts: 0 });
    expect(keyframeAsks.filter((urgent) => urgent)).toHaveLength(2); // first connect and the restore attempt

    const second = server.media(2).map((m) => `${m.name ?? (m.typeId === 9 ? (m.payload[1] === 0 ? 'vh' : 'K') : m.payload[1] === 0 ? 'ah' : 'A')}@${m.timestamp}`);
    expect(second.slice(0, 5)).toEqual(['@setDataFrame@0', 'vh@0', 'ah@0', 'K@0', 'A@10']);
  });

  it('with finite attempts and the server gone, it ends FAILED saying it gave up', async () => {
    const p = restorer(server.url(), new RestorePolicy({ enabled: true, attempts: 2, intervalMs: 20 }));
    const seen = states(p);
    p.start();
    await waitFor(() => p.state === 'PUBLISHING', { what: 'publishing' });
    const port = server.port;
    await server.close();
    await waitFor(() => p.closed, { what: 'the end' });
    expect(p.state).toBe('FAILED');
    expect(p.reason).toBe('cannot connect to the RTMP server; gave up after 2 restore attempts');
    expect(seen.filter(([s, r]) => s === 'RESTORING' && /connecting$/.test(r)).map(([, r]) => r.replace(/^.*; /, ''))).toEqual([
      'restore attempt 1 of 2 connecting',
      'restore attempt 2 of 2 connecting',
    ]);
    expect(port).toBeGreaterThan(0);
    server = new ScriptedRtmpServer();
    await server.listen();
  });

  it('terminal states are absorbing: close after FAILED keeps FAILED and its reason', async () => {
    const port = server.port;
    await server.close();
    const p = restorer(`rtmp://127.0.0.1:${port}/live/x`);
    p.start();
    await waitFor(() => p.closed, { what: 'the end' });
    const reason = p.reason;
    await p.close('terminated');
    expect(p.state).toBe('FAILED');
    expect(p.reason).toBe(reason);
    server = new ScriptedRtmpServer();
    await server.listen();
  });
});
