/**
 * No unbounded label growth: 200 transponders started and ended (10 rounds of 20 at
 * once, against a scripted RTMP server) leave the metrics with exactly the series they
 * had at the start, and with the counters that must outlive them (started, ended).
 * ffmpeg is replaced by a stub that reads and discards its input: the push, not the
 * AAC encoder, is what this test is about (one process per transponder still runs).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log';
import { liveChildProcessCount } from '../../src/ffmpeg/child-process';
import { ServiceMetrics } from '../../src/ops/metrics';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import { TransponderManager, type StreamDirectory } from '../../src/transponder/transponder-manager';
import { parsePromText, samplesOf, type PromFamily } from '../helpers/prom-text';
import { ScriptedRtmpServer } from '../helpers/scripted-rtmp-server';
import { waitFor, waitForValue } from '../helpers/wait-for';
import { QuietSource } from '../helpers/quiet-source';

jest.setTimeout(180_000);

const ROUNDS = 10;
const PER_ROUND = 20;

let dir: string;
let server: ScriptedRtmpServer;
let manager: TransponderManager;
let metrics: ServiceMetrics;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'metrics-bound-'));
  const ffmpegStub = path.join(dir, 'ffmpeg');
  writeFileSync(ffmpegStub, '#!/bin/sh\nexec cat > /dev/null\n');
  chmodSync(ffmpegStub, 0o755);
  server = new ScriptedRtmpServer('publish');
  await server.listen();
  const source = new QuietSource('cam1');
  const directory: StreamDirectory = { get: (name) => (name === 'cam1' ? source : undefined), on: () => undefined };
  manager = new TransponderManager(
    directory,
    {
      streamNamePrefix: 'rtmp_',
      fullUrl: true,
      sendMetadata: true,
      restore: new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }),
      outputBuffer: { enabled: false, startSizeMs: 0, initialSizeMs: 0, pollingTimeMs: 10, maxBufferingsAllowed: -1 },
      ffmpegPath: ffmpegStub,
      mediaDir: path.join(__dirname, '../../media'),
      // Ended transponders leave find_all (and so the metrics) at once.
      keepEndedMs: 0,
      maxTransponders: PER_ROUND,
    },
    silentLogger,
  );
  metrics = new ServiceMetrics(
    {
      transponders: manager,
      publishers: new StreamRegistry(),
      players: { viewerCount: 0, list: () => [] },
      signalingSessions: () => 0,
      ffmpegProcesses: liveChildProcessCount,
      serviceState: () => 'serving',
      access: {
        signalingRefusals: () => ({ sessionsPerAddress: 0, messageRate: 0, streamsPerSession: 0, streamsTotal: 0 }),
        authFailures: () => ({ failures: 0, refused: 0, evictions: 0, trackedAddresses: 0 }),
        hooks: () => ({ queued: 0, delivered: 0, retried: 0, dropped: 0, inFlight: 0, waiting: 0 }),
      },
    },
    // Node's own series (GC kinds, handle types) come and go with what the process does: not ours to bound.
    { build: { version: 'test', nodeVersion: process.versions.node }, processMetrics: false },
  );
});

afterEach(async () => {
  metrics?.close();
  await manager?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scrape(): Promise<Map<string, PromFamily>> {
  return parsePromText(await metrics.scrape());
}

function value(f: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  return f.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

test('200 transponders started and ended leave the series count where it started', async () => {
  const start = await scrape();
  const startCount = samplesOf(start).length;
  const startFfmpeg = value(start, 'rtmp_transponder_ffmpeg_processes');
  expect(samplesOf(start, 'rtmp_transponder_push_')).toEqual([]);

  for (let round = 0; round < ROUNDS; round++) {
    const infos = await Promise.all(Array.from({ length: PER_ROUND }, (_, i) =>
      manager.startup({ streamName: 'cam1', rtmpUrl: `rtmp://127.0.0.1:${server.port}/live${round}/KEY-${round}-${i}` })));
    const ids = infos.map((t) => t.mediaSessionId).sort();
    await waitFor(() => manager.findAll().filter((t) => t.status === 'PUBLISHING').length === PER_ROUND, {
      what: `round ${round}: ${PER_ROUND} transponders PUBLISHING`, timeoutMs: 30_000,
      seen: () => manager.findAll().map((t) => t.status).join(','),
    });

    const live = await scrape();
    const states = live.get('rtmp_transponder_push_state')!.samples;
    expect(states.map((s) => s.labels.media_session_id).sort()).toEqual(ids);
    expect(new Set(states.map((s) => `${s.labels.state} ${s.labels.dest_host} ${s.labels.dest_app}`))).toEqual(new Set([`PUBLISHING 127.0.0.1 live${round}`]));
    expect(samplesOf(live).length).toBeGreaterThanOrEqual(startCount + PER_ROUND * 9);
    expect(samplesOf(live).flatMap((s) => Object.values(s.labels)).filter((v) => v.includes('KEY-'))).toEqual([]);
    // Transponders of one stream whose audio is untouched share one AAC encoder.
    expect(value(live, 'rtmp_transponder_ffmpeg_processes')).toBe((startFfmpeg ?? 0) + 1);

    await Promise.all(ids.map((id) => manager.terminate(id)));
    await waitForValue(async () => (samplesOf(await scrape()).length === startCount ? true : undefined), {
      what: `round ${round}: the series count back at ${startCount}`,
      timeoutMs: 15_000,
    });
  }

  const end = await scrape();
  expect(samplesOf(end).length).toBe(startCount);
  expect(samplesOf(end, 'rtmp_transponder_push_')).toEqual([]);
  expect(value(end, 'rtmp_transponder_transponders_started_total')).toBe(ROUNDS * PER_ROUND);
  expect(value(end, 'rtmp_transponder_transponders_ended_total', { state: 'TERMINATED' })).toBe(ROUNDS * PER_ROUND);
  expect(value(end, 'rtmp_transponder_transponders_ended_total', { state: 'FAILED' })).toBe(0);
  // Every stub "ffmpeg" is reaped: the gauge is back where it was too.
  await waitFor(async () => value(await scrape(), 'rtmp_transponder_ffmpeg_processes') === startFfmpeg, { what: 'every ffmpeg stub reaped', timeoutMs: 15_000 });
});
