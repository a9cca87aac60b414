/**
 * Transponders of one stream on the wire, sharing the stream's AAC encoder: an
 * audio-only source paced in real time (real Opus, real ffmpeg), a scripted RTMP server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptedRtmpServer, type ReceivedMessage } from '../helpers/scripted-rtmp-server';
import { waitFor } from '../helpers/wait-for';
import { Transponder, type TransponderSource } from '../../src/transponder/transponder';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import { SharedAudioRegistry } from '../../src/transponder/shared-audio';
import { TypedEmitter } from '../../src/util/typed-emitter';
import type { AudioFrame, VideoFrame } from '../../src/media/frames';
import { silentLogger } from '../../src/log';
import { adtsFrame, channel, decodeToPcm, isAlive, opusPacketsOf, toneAmplitude } from '../media/audio-analysis';
import { AacEncoderHost } from '../../src/ffmpeg/aac-encoder-host';
import { ourFfmpegs } from '../helpers/push-api';
import { AAC_HOST_BUILD_PATH } from '../../src/aac-host-path';

jest.setTimeout(30_000);

type SourceEvents = { video: [VideoFrame]; audio: [AudioFrame]; close: [string] };

/** An audio-only publish: one Opus packet per 20 ms of wall time. */
class AudioOnlySource extends TypedEmitter<SourceEvents> implements TransponderSource {
  readonly streamName = 'cam1';
  closed = false;
  private timer: NodeJS.Timeout | undefined;
  private k = 0;
  constructor(private readonly packets: Buffer[]) {
    super();
  }
  hasAudio(): boolean {
    return true;
  }
  hasVideo(): boolean {
    return false;
  }
  requestKeyframe(): void {}
  play(): void {
    this.timer = setInterval(() => this.emit('audio', { pts: 10_000 + this.k * 20, opus: this.packets[this.k++ % this.packets.length] }), 20);
  }
  end(reason: string): void {
    if (this.timer) clearInterval(this.timer);
    this.closed = true;
    this.emit('close', reason);
  }
}

let dir: string;
let packets: Buffer[];
let server: ScriptedRtmpServer;
let source: AudioOnlySource;
let registry: SharedAudioRegistry;
const transponders: Transponder[] = [];
const pids = new Set<number>();

function transponder(path: string): Transponder {
  const t = new Transponder({
    mediaSessionId: path,
    source,
    rtmpUrl: server.url(`live/${path}`),
    naming: { fullUrl: true },
    sendMetadata: false,
    restore: new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }),
    outputBuffer: { enabled: false, startSizeMs: 0, initialSizeMs: 0, pollingTimeMs: 10, maxBufferingsAllowed: -1 },
    streamAudio: registry.of(source),
    log: silentLogger,
  });
  transponders.push(t);
  if (t.audio.encoderPid !== undefined) pids.add(t.audio.encoderPid);
  return t;
}

/** The audio tags of each connection, by connection number. */
function audioByConnection(): Map<number, ReceivedMessage[]> {
  const by = new Map<number, ReceivedMessage[]>();
  for (const m of server.received) {
    if (m.typeId !== 8) continue;
    by.set(m.connection, [...(by.get(m.connection) ?? []), m]);
  }
  return by;
}

/** A sequence header first, then raw AAC whose timestamps step by one frame (21 or 22 ms). */
function expectWellFormed(tags: ReceivedMessage[]): void {
  expect(tags[0].payload[1]).toBe(0);
  const raw = tags.slice(1);
  expect(raw.every((m) => m.payload[1] === 1)).toBe(true);
  const steps = raw.slice(1).map((m, i) => m.timestamp - raw[i].timestamp);
  expect(steps.filter((s) => s !== 21 && s !== 22)).toEqual([]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'transponder-shared-audio-'));
  packets = await opusPacketsOf(dir, '0.4*sin(2*PI*440*t)', 1, 64);
});

beforeEach(async () => {
  server = new ScriptedRtmpServer('publish');
  await server.listen();
  source = new AudioOnlySource(packets);
  registry = new SharedAudioRegistry(() => ({ silentIfNoAudio: true, fillWhenSourceStops: true }));
});

afterEach(async () => {
  source.end('test over');
  await Promise.allSettled(transponders.splice(0).map((t) => t.close('test over')));
  await server.close();
  expect([...pids].filter(isAlive)).toEqual([]);
  pids.clear();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Transponders sharing the stream audio', () => {
  test('two share one encoder; a third joins mid-stream with a sequence header then AAC one frame apart; mute splits one off, unmute brings it back', async () => {
    const a = transponder('a');
    const b = transponder('b');
    a.start();
    b.start();
    source.play();
    expect(b.audio.encoderPid).toBe(a.audio.encoderPid);
    await waitFor(() => [...audioByConnection().values()].filter((tags) => tags.length > 20).length === 2, { what: 'AAC at both' });
    const c = transponder('c');
    c.start();
    expect(c.audio.encoderPid).toBe(a.audio.encoderPid);
    await waitFor(() => audioByConnection().get(3) !== undefined && audioByConnection().get(3)!.length > 20, { what: 'AAC at the third' });

    b.mute();
    expect(b.snapshot().muted).toBe(true);
    await waitFor(() => b.audio.encoderPid !== a.audio.encoderPid, { what: 'b on its own encoder' });
    pids.add(b.audio.encoderPid!);
    expect(c.audio.encoderPid).toBe(a.audio.encoderPid);
    const twentyMore = async (): Promise<void> => {
      const counts = [...audioByConnection().values()].map((tags) => tags.length);
      await waitFor(() => [...audioByConnection().values()].every((tags, i) => tags.length > counts[i] + 20), { what: '20 more frames everywhere' });
    };
    await twentyMore();
    const privatePid = b.audio.encoderPid!;
    b.unmute();
    await waitFor(() => b.audio.encoderPid === a.audio.encoderPid && !isAlive(privatePid), { what: 'b back on the shared encoder, its own ended' });
    await twentyMore();
    for (const tags of audioByConnection().values()) expectWellFormed(tags);
    expect(registry.size).toBe(1);
  });

  test('the published stream ending ends every transponder TERMINATED and every encoder with them', async () => {
    const a = transponder('a');
    const b = transponder('b');
    a.start();
    b.start();
    source.play();
    await waitFor(() => a.state === 'PUBLISHING' && b.state === 'PUBLISHING', { what: 'publishing' });
    b.mute();
    await waitFor(() => b.audio.encoderPid !== a.audio.encoderPid, { what: 'b on its own encoder' });
    pids.add(b.audio.encoderPid!);
    source.end('unpublished by the page');
    expect([a.state, b.state]).toEqual(['TERMINATED', 'TERMINATED']);
    await Promise.all([a.drained, b.drained]);
    expect([...pids].filter(isAlive)).toEqual([]);
    expect(registry.size).toBe(0);
  });
});

describe('Transponders sharing the stream audio, encoded by the AAC encoder host', () => {
  let host: AacEncoderHost;

  beforeEach(() => {
    host = new AacEncoderHost({ executable: AAC_HOST_BUILD_PATH });
    registry = new SharedAudioRegistry(() => ({ aacHost: host, silentIfNoAudio: true, fillWhenSourceStops: true }));
  });

  afterEach(async () => {
    source.end('test over');
    await Promise.allSettled(transponders.splice(0).map((t) => t.close('test over')));
    await host.close('test over');
  });

  test('one process encodes them all; killed mid-push, a new one takes over: every push stays PUBLISHING on its connection, its AAC one frame apart with no gap', async () => {
    const a = transponder('a');
    const b = transponder('b');
    const c = transponder('c');
    for (const t of [a, b, c]) t.start();
    c.mute(); // a private track of its own: a second channel of the same process
    source.play();
    await waitFor(() => audioByConnection().size === 3 && [...audioByConnection().values()].every((tags) => tags.length > 20), { what: 'AAC at all three' });
    expect(host.stats.channels).toBe(2);
    expect(ourFfmpegs()).toEqual([]); // no ffmpeg child: every track is a channel of the host
    expect([a, b, c].map((t) => t.audio.encoderPid)).toEqual([host.pid, host.pid, host.pid]);
    const firstPid = host.pid!;

    process.kill(firstPid, 'SIGKILL');
    await waitFor(() => host.stats.restarts === 1 && host.pid !== undefined && host.pid !== firstPid, { what: 'a new host process' });
    const counts = [...audioByConnection().values()].map((tags) => tags.length);
    await waitFor(() => [...audioByConnection().values()].every((tags, i) => tags.length > counts[i] + 30), { what: '30 more frames everywhere' });

    expect([a.state, b.state, c.state]).toEqual(['PUBLISHING', 'PUBLISHING', 'PUBLISHING']);
    expect([...audioByConnection().keys()].sort()).toEqual([1, 2, 3]); // no push reconnected
    for (const tags of audioByConnection().values()) expectWellFormed(tags);
    expect(host.stats.channels).toBe(2);
  });

  test('a lone push on the host-decoded shared track: mute moves it to a track of its own that mixes (the host does not), the tone is gone; unmute brings it back', async () => {
    const a = transponder('a');
    a.start();
    source.play();
    await waitFor(() => (audioByConnection().get(1)?.length ?? 0) > 40, { what: 'AAC at the push' });
    expect(host.stats.channels).toBe(1);
    /** The 440 Hz tone's amplitude in the raw AAC of tags [from, to). */
    const toneIn = async (from: number, to: number, name: string): Promise<number> => {
      const tags = audioByConnection().get(1)!.slice(from, to);
      const file = join(dir, `${name}.aac`);
      writeFileSync(file, Buffer.concat(tags.map((m) => adtsFrame(m.payload.subarray(2)))));
      return toneAmplitude(channel(await decodeToPcm(file), 0).subarray(2048), 440, 48000);
    };
    expect(await toneIn(10, 40, 'before')).toBeGreaterThan(0.2);

    a.mute();
    const at = audioByConnection().get(1)!.length;
    await waitFor(() => audioByConnection().get(1)!.length > at + 60, { what: '60 more frames' });
    // the switch takes a few frames; after it, silence
    expect(await toneIn(at + 20, at + 60, 'muted')).toBeLessThan(0.01);
    expect(a.snapshot().muted).toBe(true);

    a.unmute();
    const back = audioByConnection().get(1)!.length;
    await waitFor(() => audioByConnection().get(1)!.length > back + 60, { what: '60 more frames after unmute' });
    expect(await toneIn(back + 20, back + 60, 'unmuted')).toBeGreaterThan(0.2);
    expectWellFormed(audioByConnection().get(1)!);
    expect([...audioByConnection().keys()]).toEqual([1]);
  });
});
