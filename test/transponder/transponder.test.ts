/**
 * The Transponder's state machine with a scripted source and a scripted RTMP server (no
 * nginx, no browser); the AAC encoder is the real ffmpeg child, as in the product.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ScriptedRtmpServer } from '../helpers/scripted-rtmp-server';
import { waitFor } from '../helpers/wait-for';
import { Transponder, TransponderClosedError, type TransponderSource } from '../../src/transponder/transponder';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import type { TransponderState } from '../../src/transponder/transponder-api';
import { TypedEmitter } from '../../src/util/typed-emitter';
import { NalType, nalType, splitAnnexB } from '../../src/media/h264';
import type { AudioFrame, VideoFrame } from '../../src/media/frames';
import { silentLogger } from '../../src/log';
import { accessUnits } from '../helpers/h264-access-units';

jest.setTimeout(30_000);

const FIXTURE = path.join(__dirname, '../fixtures/h264-testsrc-baseline-320x240-30f.h264'); // keyframe every 15 frames

const FRAMES = accessUnits(FIXTURE);

type SourceEvents = { video: [VideoFrame]; audio: [AudioFrame]; close: [string] };

/** A published stream without audio, driven by the test. */
class ScriptedSource extends TypedEmitter<SourceEvents> implements TransponderSource {
  readonly streamName = 'cam1';
  closed = false;
  readonly keyframeRequests: boolean[] = [];
  private n = 0;
  hasAudio(): boolean {
    return false;
  }
  hasVideo(): boolean {
    return true;
  }
  requestKeyframe(opts?: { urgent?: boolean }): void {
    this.keyframeRequests.push(opts?.urgent === true);
  }
  /** The next `count` frames of the fixture (looping), 33 ms apart. */
  sendFrames(count: number): void {
    for (let i = 0; i < count; i++, this.n++) {
      const f = FRAMES[this.n % FRAMES.length];
      this.emit('video', { ...f, pts: 10_000 + this.n * 33 });
    }
  }
  end(reason: string): void {
    this.closed = true;
    this.emit('close', reason);
  }
}

let server: ScriptedRtmpServer;
let source: ScriptedSource;
const transponders: Transponder[] = [];

function transponder(opts: { ffmpegPath?: string; restore?: RestorePolicy } = {}): { t: Transponder; states: Array<[TransponderState, string]> } {
  const t = new Transponder({
    mediaSessionId: `t${transponders.length + 1}`,
    source,
    rtmpUrl: server.url(),
    naming: { fullUrl: true },
    sendMetadata: true,
    restore: opts.restore ?? new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }),
    outputBuffer: { enabled: false, startSizeMs: 0, initialSizeMs: 0, pollingTimeMs: 10, maxBufferingsAllowed: -1 },
    ffmpegPath: opts.ffmpegPath,
    log: silentLogger,
  });
  transponders.push(t);
  const states: Array<[TransponderState, string]> = [];
  t.on('state', (s, r) => states.push([s, r]));
  return { t, states };
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeEach(async () => {
  server = new ScriptedRtmpServer('publish');
  await server.listen();
  source = new ScriptedSource();
});

afterEach(async () => {
  await Promise.allSettled(transponders.splice(0).map((t) => t.close('test over')));
  await server.close();
});

describe('Transponder', () => {
  it('close() while CONNECTING: TERMINATED at once, changes refused, then no socket and no ffmpeg left', async () => {
    server.mode = 'silent';
    const { t, states } = transponder();
    t.start();
    await waitFor(() => server.open === 1 && t.audio.encoderPid !== undefined, { what: 'the connection and the encoder' });
    const pid = t.audio.encoderPid;
    const drained = t.close('terminated through the REST API');
    expect(t.state).toBe('TERMINATED');
    expect(t.snapshot().reason).toBe('terminated through the REST API');
    expect(() => t.mute()).toThrow(TransponderClosedError);
    expect(() => t.soundOff()).toThrow(/has ended \(TERMINATED/);
    await drained;
    expect(alive(pid)).toBe(false);
    await waitFor(() => server.open === 0, { what: 'no socket left' });
    expect(states.map(([s]) => s)).toEqual(['CONNECTING', 'TERMINATED']);
  });

  it('frames that arrive while connecting are kept from the latest keyframe and go out first, after metadata and both headers', async () => {
    server.pause();
    const { t } = transponder();
    t.start();
    expect(source.keyframeRequests).toContain(true); // an urgent request as it connects
    await waitFor(() => server.commands('connect').length === 1, { what: 'connect' });
    source.sendFrames(20); // keyframes at frames 0 and 15: the run kept starts at 15
    server.resume();
    await waitFor(() => t.state === 'PUBLISHING', { what: 'publishing' });
    await waitFor(() => server.media(1).filter((m) => m.typeId === 9).length >= 6, { what: 'the kept frames' });
    const first = server.media(1).slice(0, 4).map((m) => m.name ?? `${m.typeId === 9 ? 'v' : 'a'}${m.payload[1] === 0 ? 'h' : m.payload[0] >> 4 === 1 ? 'K' : ''}@${m.timestamp}`);
    expect(first).toEqual(['@setDataFrame', 'vh@0', 'ah@0', 'vK@0']);
    const video = server.media(1).filter((m) => m.typeId === 9 && m.payload[1] === 1);
    expect(video.slice(0, 5).map((m) => m.timestamp)).toEqual([0, 33, 66, 99, 132]);
  });

  it('an ffmpeg that cannot start ends it FAILED, never TERMINATED', async () => {
    const { t, states } = transponder({ ffmpegPath: '/nonexistent/ffmpeg' });
    t.start();
    await waitFor(() => t.ended, { what: 'the end' });
    expect(t.state).toBe('FAILED');
    expect(t.snapshot().reason).toMatch(/AAC encoder/);
    expect(states.map(([s]) => s)).not.toContain('TERMINATED');
    await t.close('terminated afterwards');
    expect(t.state).toBe('FAILED'); // terminal states are absorbing
  });

  it('the AAC encoder killed while RESTORING ends it FAILED with the reason', async () => {
    const { t } = transponder({ restore: new RestorePolicy({ enabled: true, attempts: -1, intervalMs: 60_000 }) });
    t.start();
    source.sendFrames(16);
    await waitFor(() => t.state === 'PUBLISHING' && t.audio.encoderPid !== undefined, { what: 'publishing' });
    server.dropAll();
    await waitFor(() => t.state === 'RESTORING', { what: 'restoring' });
    process.kill(t.audio.encoderPid!, 'SIGKILL');
    await waitFor(() => t.ended, { what: 'the end' });
    expect(t.state).toBe('FAILED');
    expect(t.snapshot().reason).toMatch(/AAC encoder/);
  });

  it('ends TERMINATED with the reason when its published stream ends', async () => {
    const { t } = transponder();
    t.start();
    await waitFor(() => t.state === 'PUBLISHING', { what: 'publishing' });
    source.end('unpublished by the page');
    expect(t.state).toBe('TERMINATED');
    expect(t.snapshot().reason).toBe('the published stream ended: unpublished by the page');
    await t.drained;
    await waitFor(() => server.commands('FCUnpublish').length === 1, { what: 'FCUnpublish at the server' });
  });
});
