/**
 * AacEncoderHost with the real build/aac-host: many channels in one process, one write per
 * event-loop turn, surviving a killed or stalled process with contiguous frame indices,
 * giving up on one that keeps dying, the idle exit, and close(). The encoder properties
 * that hold for any AacEncoder (tone, priming, bitrate) are in aac-encoder.test.ts.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AAC_PRIMING_SAMPLES, FfmpegAacEncoder, type AacEncoder, type AacEncoderLibrary } from '../../src/ffmpeg/aac-encoder';
import { AacEncoderHost, createAacEncoder, type AacEncoderHostOptions } from '../../src/ffmpeg/aac-encoder-host';
import { AAC_HOST_BUILD_PATH } from '../../src/aac-host-path';
import { SupervisedProcess } from '../../src/ffmpeg/child-process';
import { seededRandom } from '../helpers/seeded-random';
import { holdsFor, waitFor } from '../helpers/wait-for';
import { adtsFrame, channel, decodeToPcm, isAlive, rms, sineStereo, toneAmplitude, zeroCrossingFrequency } from '../media/audio-analysis';

const FRAME = 1024;
/** The encoder the hosts of the running suite give their channels. */
let library: AacEncoderLibrary = 'vo-aacenc';
const priming = (): number => AAC_PRIMING_SAMPLES[library];
/** Frames an encoder gives for `samples` input samples, drained: the priming, then one per started 1024. */
const framesFor = (samples: number): number => Math.ceil((samples + priming()) / FRAME);
/** Frames out once `frames` whole input frames are in: ffmpeg's encoder holds one back (its look-ahead). */
const framesOutAfter = (frames: number): number => (library === 'ffmpeg' ? frames - 1 : frames);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let dir: string;
const hosts: AacEncoderHost[] = [];
const encoders: AacEncoder[] = [];
const stopped: number[] = [];
const timers: NodeJS.Timeout[] = [];

function newHost(opts: Partial<AacEncoderHostOptions> = {}): AacEncoderHost {
  const host = new AacEncoderHost({ executable: AAC_HOST_BUILD_PATH, library, ...opts });
  hosts.push(host);
  return host;
}

function track<E extends AacEncoder>(e: E): E {
  encoders.push(e);
  return e;
}

/** What an encoder gave: frames, their indices, the pid at each, its close reasons. */
interface Output {
  frames: Buffer[];
  indices: number[];
  pids: Set<number | undefined>;
  closes: string[];
}

function collect(e: AacEncoder): Output {
  const out: Output = { frames: [], indices: [], pids: new Set(), closes: [] };
  e.on('frame', (raw, index) => {
    out.frames.push(raw);
    out.indices.push(index);
    out.pids.add(e.pid);
  });
  e.on('close', (reason) => out.closes.push(reason));
  return out;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Writes `pcm` to `e` in `chunk`-sample pieces, one per step. */
class Feed {
  at = 0;
  constructor(
    readonly e: AacEncoder,
    readonly pcm: Int16Array,
    readonly chunk = 960,
  ) {}

  get samples(): number {
    return this.pcm.length / 2;
  }

  get done(): boolean {
    return this.at >= this.samples;
  }

  step(samples = this.chunk): void {
    if (this.done) return;
    const end = Math.min(this.samples, this.at + samples);
    this.e.write(this.pcm.subarray(this.at * 2, end * 2));
    this.at = end;
  }
}

/** Steps every feed once per event-loop turn until `until` (default: all done). */
async function feedTurns(feeds: Feed[], until: () => boolean = () => feeds.every((f) => f.done)): Promise<void> {
  while (!until()) {
    for (const f of feeds) f.step();
    await turn();
  }
}

let files = 0;
/** Channel 0 of the frames decoded by the real ffmpeg (wrapped in ADTS). */
async function decoded(frames: Buffer[]): Promise<Float64Array> {
  const file = join(dir, `out-${files++}.aac`);
  writeFileSync(file, Buffer.concat(frames.map(adtsFrame)));
  return channel(await decodeToPcm(file), 0);
}

/**
 * Per 1024-sample window of the decoded audio (decoded sample k + priming is input sample
 * k), leaving out the windows that start in the priming and the last, padded one: the
 * tone's amplitude, the level, and how far the waveform is from the input's.
 */
function windows(out: Float64Array, input: Float64Array, freq: number): { minTone: number; minRms: number; maxError: number; worst: number } {
  let minTone = Infinity;
  let minRms = Infinity;
  let maxError = 0;
  let worst = -1;
  const n = Math.floor(out.length / FRAME);
  for (let w = Math.ceil(priming() / FRAME); w < n - 1; w++) {
    const x = out.subarray(w * FRAME, (w + 1) * FRAME);
    const ref = input.subarray(w * FRAME - priming(), (w + 1) * FRAME - priming());
    if (ref.length < FRAME) break;
    minTone = Math.min(minTone, toneAmplitude(x, freq, 48000));
    minRms = Math.min(minRms, rms(x));
    const diff = x.map((v, i) => v - ref[i]);
    const error = rms(diff) / rms(ref);
    if (error > maxError) [maxError, worst] = [error, w];
  }
  return { minTone, minRms, maxError, worst };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aac-host-test-'));
});

afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  jest.restoreAllMocks();
  // a stopped process would hold close() for seconds: it goes first
  for (const pid of stopped.splice(0)) {
    for (const signal of ['SIGKILL', 'SIGCONT'] as const) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }
  // encoders first (their close messages leave with the host's last write), then the hosts,
  // which end whatever channel a fake host never answered
  const closing = encoders.splice(0).map((e) => e.close('test over'));
  await Promise.all(hosts.splice(0).map((h) => h.close('test over')));
  await Promise.all(closing);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each<AacEncoderLibrary>(['vo-aacenc', 'ffmpeg'])("AacEncoderHost (real build/aac-host), channels running %s's encoder", (suiteLibrary) => {
  beforeEach(() => {
    library = suiteLibrary;
  });

  test('three channels written in the same turns share one process; each decodes to its own tone, indices 0, 1, 2…', async () => {
    const host = newHost();
    const specs = [
      { freq: 500, kbps: 64 },
      { freq: 1000, kbps: 128 },
      { freq: 2000, kbps: 192 },
    ];
    const es = specs.map((s) => track(host.encoder(s.kbps)));
    expect(es.map((e) => e.bitrateKbps)).toEqual([64, 128, 192]);
    const outs = es.map(collect);
    const pcms = specs.map((s) => sineStereo(s.freq, 1, 0.3));
    await feedTurns(es.map((e, i) => new Feed(e, pcms[i])));
    await Promise.all(es.map((e) => e.close('end of input')));

    const pid = [...outs[0].pids][0];
    expect(pid).toBeGreaterThan(0);
    for (const out of outs) {
      expect([...out.pids]).toEqual([pid]);
      expect(out.indices).toEqual(range(framesFor(48000)));
      expect(out.closes).toEqual(['end of input']);
    }
    expect(host.stats).toMatchObject({ spawns: 1, restarts: 0, channels: 0, failed: false });

    for (let i = 0; i < specs.length; i++) {
      const x = (await decoded(outs[i].frames)).subarray(4800, 43200);
      expect(zeroCrossingFrequency(x, 48000)).toBeCloseTo(specs[i].freq, 0);
      expect(toneAmplitude(x, specs[i].freq, 48000)).toBeGreaterThan(0.27);
      // nothing of the other channels' tones
      for (const other of specs.filter((_, j) => j !== i)) expect(toneAmplitude(x, other.freq, 48000)).toBeLessThan(0.003);
    }
  });

  test("all channels' messages of one turn reach the process as one write: O messages, then each channel's writes once they complete a frame, in order, byte for byte", async () => {
    // a stand-in for the host that keeps what it reads
    const fake = join(dir, 'fake-host');
    writeFileSync(fake, '#!/bin/sh\nexec cat > "$0.out"\n');
    chmodSync(fake, 0o755);
    const writev = jest.spyOn(SupervisedProcess.prototype, 'writev');
    const write = jest.spyOn(SupervisedProcess.prototype, 'write');
    const host = newHost({ executable: fake });
    const [e0, e1, e2] = [track(host.encoder(64)), track(host.encoder(128)), track(host.encoder(200))];
    const rnd = seededRandom(0x0a4c);
    const noise = (samples: number): Int16Array => Int16Array.from({ length: samples * 2 }, () => Math.round((rnd() - 0.5) * 60000));
    const bytes = (pcm: Int16Array): Buffer => Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);

    // turn 1: channel 2 (a frame), then 0 (two frames and 300 samples), then 1 (a frame from two writes)
    const t1 = { c2: noise(1024), c0: noise(2348), c1a: noise(500), c1b: noise(600) };
    e2.write(t1.c2);
    e0.write(t1.c0);
    e1.write(t1.c1a);
    e1.write(t1.c1b);
    expect(writev).not.toHaveBeenCalled(); // nothing leaves before the turn ends
    await turn();
    expect(writev).toHaveBeenCalledTimes(1);
    // turn 2: channel 1 completes its next frame first, then channel 0; channel 2 writes less than a frame: it waits
    const t2 = { c1: noise(948), c0: noise(724), c2: noise(1000) };
    e1.write(t2.c1);
    e0.write(t2.c0);
    e2.write(t2.c2);
    await turn();
    expect(writev).toHaveBeenCalledTimes(2);
    expect(e2.stats.samplesHeld).toBe(1000);
    // writev hands a single buffer to write(); the host never calls write() itself
    expect(write).not.toHaveBeenCalled();

    // the header, from the specification: u8 type | u32 channel LE | u32 length LE
    const h = (type: string, ch: number, length: number): Buffer => Buffer.from([type.charCodeAt(0), ch, 0, 0, 0, length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff, 0]);
    const rate = (kbps: number): Buffer => Buffer.from([(kbps * 1000) & 0xff, ((kbps * 1000) >> 8) & 0xff, ((kbps * 1000) >> 16) & 0xff, 0]);
    const pcm = (ch: number, p: Int16Array): Buffer => Buffer.concat([h('P', ch, p.length * 2), bytes(p)]);
    // ffmpeg's encoder is the default: its 'O' is the bit rate alone; VisualOn's adds skip 0 and encoder 1
    const open = (ch: number, kbps: number): Buffer =>
      library === 'ffmpeg' ? Buffer.concat([h('O', ch, 4), rate(kbps)]) : Buffer.concat([h('O', ch, 12), rate(kbps), Buffer.from([0, 0, 0, 0, 1, 0, 0, 0])]);
    const turn1 = Buffer.concat([open(0, 64), open(1, 128), open(2, 200), pcm(2, t1.c2), pcm(0, t1.c0), pcm(1, t1.c1a), pcm(1, t1.c1b)]);
    const turn2 = Buffer.concat([pcm(1, t2.c1), pcm(0, t2.c0)]);
    // 'O' for 64 kbit/s: 64000 = 0xfa00, from the spec by hand
    const open64 = library === 'ffmpeg' ? '4f000000000400000000fa0000' : '4f000000000c00000000fa00000000000001000000';
    expect(turn1.subarray(0, open64.length / 2)).toEqual(Buffer.from(open64, 'hex'));
    const sent = writev.mock.calls.map(([chunks]) => Buffer.concat(chunks.map((c) => Buffer.from(c))));
    expect(sent[0].equals(turn1)).toBe(true);
    expect(sent[1].equals(turn2)).toBe(true);
    // and the process read exactly that
    await waitFor(() => statSync(`${fake}.out`, { throwIfNoEntry: false })?.size === turn1.length + turn2.length, { what: 'the fake host to have read both writes' });
    expect(readFileSync(`${fake}.out`).equals(Buffer.concat([turn1, turn2]))).toBe(true);
    expect(host.stats.spawns).toBe(1);
  });

  test('a host killed with SIGKILL mid-stream: the encoder goes on, indices contiguous, as many frames as an unkilled run, the tone intact across the splice', async () => {
    const host = newHost();
    const reference = newHost();
    const e = track(host.encoder(128));
    const ref = track(reference.encoder(128));
    const out = collect(e);
    const refOut = collect(ref);
    const restarted: { reason: string; channels: number; framesThen: number; sentThen: number }[] = [];
    const pcm = sineStereo(1000, 2, 0.3);
    const feeds = [new Feed(e, pcm), new Feed(ref, pcm)];
    host.on('restarted', (reason, channels) => restarted.push({ reason, channels, framesThen: out.frames.length, sentThen: feeds[0].at }));

    // half a second, and the host is seen working
    await feedTurns(feeds, () => feeds[0].at >= 24000);
    await waitFor(() => out.frames.length >= 20, { what: 'the first frames' });
    const pidBefore = host.pid!;
    expect(pidBefore).toBeGreaterThan(0);
    // 0.3 s more in one turn, and the host killed before that write leaves: those frames are owed
    for (const f of feeds) f.step(14400);
    process.kill(pidBefore, 'SIGKILL');
    // writes go on while the death is noticed
    for (let i = 0; i < 5; i++) {
      for (const f of feeds) f.step();
      await turn();
    }
    await waitFor(() => restarted.length > 0, { what: "the host's 'restarted'" });
    await feedTurns(feeds);
    await Promise.all([e.close('end of input'), ref.close('end of input')]);

    expect(restarted).toHaveLength(1);
    expect(restarted[0].reason).toMatch(/aac-host killed by SIGKILL/);
    expect(restarted[0].channels).toBe(1);
    // frames were owed at the death: the replay made them
    expect(restarted[0].framesThen).toBeLessThan(framesFor(restarted[0].sentThen) - 10);
    expect(host.stats).toMatchObject({ restarts: 1, spawns: 2, failed: false });
    expect(reference.stats).toMatchObject({ restarts: 0, spawns: 1 });
    expect(out.pids.size).toBe(2);
    expect(out.pids.has(pidBefore)).toBe(true);
    expect(isAlive(pidBefore)).toBe(false);
    expect(out.closes).toEqual(['end of input']);

    // no gap, no repeat, the same count as the unkilled run
    expect(out.indices).toEqual(range(out.indices.length));
    expect(refOut.indices).toEqual(range(framesFor(96000)));
    expect(out.indices.length).toBe(refOut.indices.length);

    const input = channel(pcm, 0);
    const killed = windows(await decoded(out.frames), input, 1000);
    const unkilled = windows(await decoded(refOut.frames), input, 1000);
    // every window: the tone at its level, not silent, and the waveform where it belongs (a
    // dropped or repeated frame puts the tone out of phase: an error near 1 or more; a new
    // encoder's short windows at the splice, ~0.2). The unkilled run is within 0.011.
    expect(unkilled.maxError).toBeLessThan(0.05);
    expect(killed.minTone).toBeGreaterThan(0.25);
    expect(killed.minRms).toBeGreaterThan(0.18);
    expect({ maxError: killed.maxError < 0.05, worstWindow: killed.worst, error: killed.maxError }).toMatchObject({ maxError: true });
  });

  test('a host that keeps dying is given up after maxRestarts: failed once, channels closed naming the cause, new encoders are ffmpeg children', async () => {
    // answers every start with a message of an unknown type
    const junk = join(dir, 'junk-host');
    writeFileSync(junk, "#!/bin/sh\nprintf 'Zjunkjunk'\nexec cat > /dev/null\n");
    chmodSync(junk, 0o755);
    const host = newHost({ executable: junk, maxRestarts: 2 });
    const restarted: string[] = [];
    const failed: string[] = [];
    host.on('restarted', (reason) => restarted.push(reason));
    host.on('failed', (reason) => failed.push(reason));
    const es = [track(host.encoder()), track(host.encoder())];
    const outs = es.map(collect);
    for (const e of es) e.write(sineStereo(1000, 0.1));

    await waitFor(() => failed.length > 0, { what: "'failed'", seen: () => JSON.stringify({ restarted, stats: host.stats }) });
    expect(restarted).toHaveLength(2);
    for (const r of restarted) expect(r).toMatch(/unknown message type 0x5a/);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/3 deaths.*unknown message type 0x5a/);
    expect(host.stats).toMatchObject({ spawns: 3, restarts: 2, failed: true, channels: 0 });
    expect(host.usable).toBe(false);
    expect(host.pid).toBeUndefined();
    for (const [i, out] of outs.entries()) {
      expect(out.closes).toHaveLength(1);
      expect(out.closes[0]).toMatch(/unknown message type 0x5a/);
      expect(es[i].closed).toBe(true);
      expect(out.frames).toHaveLength(0);
    }
    await expect(es[0].close('late')).resolves.toBeUndefined();
    expect(() => host.encoder()).toThrow(/given up.*unknown message type/);

    // the fallback: an ffmpeg child of its own, that works
    const fallback = track(createAacEncoder({ host, bitrateKbps: 96 }));
    expect(fallback).toBeInstanceOf(FfmpegAacEncoder);
    expect(fallback.bitrateKbps).toBe(96);
    const out = collect(fallback);
    fallback.write(sineStereo(1000, 0.5, 0.3));
    await fallback.close('end of input');
    expect(out.indices).toEqual(range(framesFor(24000)));
    const x = (await decoded(out.frames)).subarray(2400, 21600);
    expect(zeroCrossingFrequency(x, 48000)).toBeCloseTo(1000, 0);
    // still given up once
    expect(failed).toHaveLength(1);
    expect(host.stats.spawns).toBe(3);
  });

  test('a stalled host (SIGSTOP) while PCM keeps coming is killed after stallMs and replaced; frames resume with contiguous indices', async () => {
    const host = newHost({ stallMs: 300 });
    const e = track(host.encoder(128));
    const out = collect(e);
    const restarted: { reason: string; frames: number }[] = [];
    host.on('restarted', (reason) => restarted.push({ reason, frames: out.frames.length }));
    const pcm = sineStereo(1000, 10, 0.3);
    const feed = new Feed(e, pcm);
    // 20 ms every 20 ms, as a live stream
    timers.push(setInterval(() => feed.step(), 20));
    await waitFor(() => out.frames.length >= 10, { what: 'the first frames' });
    const pid = host.pid!;
    process.kill(pid, 'SIGSTOP');
    stopped.push(pid);

    await waitFor(() => restarted.length > 0, { what: "the host's 'restarted'", timeoutMs: 5000 });
    expect(restarted[0].reason).toMatch(/sent nothing on channel 0 for \d+ ms, owing \d+ frames; killed/);
    await waitFor(() => !isAlive(pid), { what: 'the stalled process to be gone' });
    await waitFor(() => out.frames.length >= restarted[0].frames + 20, { what: 'frames from the new process' });
    clearInterval(timers.pop());
    await e.close('end of input');

    expect(restarted).toHaveLength(1);
    expect(host.stats).toMatchObject({ restarts: 1, spawns: 2 });
    expect(host.pid).not.toBe(pid);
    expect([...out.pids]).toEqual([pid, host.pid]);
    expect(out.indices).toEqual(range(framesFor(feed.at)));
    const w = windows(await decoded(out.frames), channel(pcm, 0), 1000);
    expect(w.minTone).toBeGreaterThan(0.25);
    expect(w.minRms).toBeGreaterThan(0.18);
    expect({ maxError: w.maxError < 0.05, worstWindow: w.worst, error: w.maxError }).toMatchObject({ maxError: true });
  });

  test('a channel closing on a stalled host still ends: the stall is noticed while it drains, the host restarted, the other channel unharmed', async () => {
    const host = newHost({ stallMs: 300 });
    const restarted: { reason: string; channels: number }[] = [];
    host.on('restarted', (reason, channels) => restarted.push({ reason, channels }));
    const closing = track(host.encoder(128));
    const other = track(host.encoder(128));
    const [closingOut, otherOut] = [collect(closing), collect(other)];
    closing.write(sineStereo(1000, 0.5));
    other.write(sineStereo(500, 0.5));
    // 0.5 s: 23 whole frames sent, so frames 0–22 come (0–21 from ffmpeg's, which holds one back)
    const firstFrames = framesOutAfter(23);
    await waitFor(() => closingOut.frames.length === firstFrames && otherOut.frames.length === firstFrames, { what: 'the frames of the first 0.5 s' });
    const pid = host.pid!;
    process.kill(pid, 'SIGSTOP');
    stopped.push(pid);
    closing.write(sineStereo(1000, 0.2));
    let resolved = false;
    void closing.close('end of input').then(() => (resolved = true));
    await waitFor(() => resolved, { what: "the channel's close() to resolve", timeoutMs: 5000 });
    expect(closingOut.closes).toEqual(['end of input']);
    expect(restarted).toHaveLength(1);
    expect(restarted[0].reason).toMatch(/sent nothing on channel 0 for \d+ ms while draining it; killed/);
    // the draining channel ended with the old process; the other one moved to the new
    expect(restarted[0].channels).toBe(1);
    await waitFor(() => !isAlive(pid), { what: 'the stalled process to be gone' });
    const before = otherOut.frames.length;
    other.write(sineStereo(500, 0.2));
    await other.close('end of input');
    expect(otherOut.indices).toEqual(range(framesFor(24000 + 9600)));
    expect(otherOut.frames.length).toBeGreaterThan(before);
    expect(otherOut.closes).toEqual(['end of input']);
    expect(host.stats).toMatchObject({ restarts: 1, spawns: 2 });
  });

  test("a channel runs the host's encoder up to VisualOn's 320 kbit/s, ffmpeg's above; the bit rate is kept", async () => {
    const host = newHost();
    const [at320, at384] = [track(host.encoder(320)), track(host.encoder(384))];
    expect([at320.library, at320.bitrateKbps]).toEqual([library, 320]);
    expect([at384.library, at384.bitrateKbps]).toEqual(['ffmpeg', 384]);
    expect(at384.primingSamples).toBe(AAC_PRIMING_SAMPLES.ffmpeg);
    // both encode: 384 kbit/s is about 1024 bytes a frame
    const outs = [collect(at320), collect(at384)];
    const rnd = seededRandom(0x384);
    const noise = Int16Array.from({ length: 48000 }, () => Math.round((rnd() - 0.5) * 30000));
    for (const e of [at320, at384]) e.write(noise);
    await Promise.all([at320.close('end of input'), at384.close('end of input')]);
    expect(outs[0].indices).toEqual(range(framesFor(24000)));
    expect(outs[1].indices).toEqual(range(Math.ceil((24000 + AAC_PRIMING_SAMPLES.ffmpeg) / FRAME)));
    const meanBytes = (o: Output): number => o.frames.reduce((n, f) => n + f.length, 0) / o.frames.length;
    expect(meanBytes(outs[1])).toBeGreaterThan(meanBytes(outs[0]));
  });

  test('idle: the process stays while a channel is open, exits idleMs after the last one closed; a new encoder starts a new process that works', async () => {
    const host = newHost({ idleMs: 50 });
    const e1 = track(host.encoder());
    const out1 = collect(e1);
    e1.write(sineStereo(1000, 0.2));
    await waitFor(() => out1.frames.length > 0, { what: 'the first frames' });
    const pid1 = host.pid!;
    // an open channel with nothing to say keeps the process
    await holdsFor(() => isAlive(pid1) && host.pid === pid1, { durationMs: 300, what: 'the process of an open channel' });
    await e1.close('end of input');
    // a channel opened at once (before idleMs) keeps the same process
    const e2 = track(host.encoder());
    const out2 = collect(e2);
    e2.write(sineStereo(1000, 0.1));
    await e2.close('end of input');
    expect([...out2.pids]).toEqual([pid1]);
    // then, with no channel, it goes
    await waitFor(() => !isAlive(pid1), { what: 'the idle process to exit' });
    expect(host.pid).toBeUndefined();
    expect(host.stats).toMatchObject({ spawns: 1, restarts: 0, channels: 0, failed: false });

    const e3 = track(host.encoder());
    const out3 = collect(e3);
    e3.write(sineStereo(1000, 0.2));
    await e3.close('end of input');
    expect(out3.indices).toEqual(range(framesFor(9600)));
    expect(out3.pids.size).toBe(1);
    const pid3 = [...out3.pids][0];
    expect(pid3).not.toBe(pid1);
    expect(pid3).toBeGreaterThan(0);
    expect(host.stats).toMatchObject({ spawns: 2, restarts: 0 });
    expect(host.usable).toBe(true);
  });

  test('close(): channels still open end with a close event, the process is gone, close is idempotent, an encoder closing afterwards resolves', async () => {
    const host = newHost();
    const es = [track(host.encoder()), track(host.encoder())];
    const outs = es.map(collect);
    for (const e of es) e.write(sineStereo(1000, 0.2));
    await waitFor(() => outs.every((o) => o.frames.length > 0), { what: 'frames of both channels' });
    const pid = host.pid!;
    const restarted: string[] = [];
    host.on('restarted', (r) => restarted.push(r));

    await host.close('service stopping');
    expect(isAlive(pid)).toBe(false);
    for (const [i, out] of outs.entries()) {
      expect(out.closes).toHaveLength(1);
      expect(out.closes[0]).toMatch(/service stopping/);
      expect(es[i].closed).toBe(true);
    }
    expect(host.closed).toBe(true);
    expect(host.usable).toBe(false);
    expect(host.pid).toBeUndefined();
    await expect(host.close('again')).resolves.toBeUndefined();
    await expect(es[0].close('late')).resolves.toBeUndefined();
    for (const out of outs) expect(out.closes).toHaveLength(1);
    expect(() => host.encoder()).toThrow(/closed \(service stopping\)/);
    es[1].write(sineStereo(1000, 0.1)); // ignored, no throw
    expect(restarted).toEqual([]);
    expect(host.stats).toMatchObject({ spawns: 1, restarts: 0 });
  });

  test('a channel closed while others run: its close() resolves after its last frames; the others go on unaffected, and its number is given again', async () => {
    const host = newHost();
    const es = [track(host.encoder()), track(host.encoder()), track(host.encoder())];
    const outs = es.map(collect);
    const pcms = [sineStereo(500, 1, 0.3), sineStereo(1000, 1, 0.3), sineStereo(2000, 1, 0.3)];
    const feeds = es.map((e, i) => new Feed(e, pcms[i]));
    await feedTurns(feeds, () => feeds[1].at >= 20000);
    const closedAt = feeds[1].at;
    const othersAtClose = [outs[0].frames.length, outs[2].frames.length];
    await es[1].close('stream ended');
    // resolved after all its frames and its close event
    expect(outs[1].indices).toEqual(range(framesFor(closedAt)));
    expect(outs[1].closes).toEqual(['stream ended']);

    // the lowest free number goes to the next encoder
    const e3 = track(host.encoder());
    expect(e3.channel).toBe(1);
    const out3 = collect(e3);
    const feed3 = new Feed(e3, sineStereo(1000, 0.3, 0.3));
    await feedTurns([feeds[0], feeds[2], feed3]);
    await Promise.all([es[0].close('end of input'), es[2].close('end of input'), e3.close('end of input')]);

    for (const i of [0, 2]) {
      expect(outs[i].indices).toEqual(range(framesFor(48000)));
      expect(outs[i].closes).toEqual(['end of input']);
    }
    expect(outs[0].frames.length).toBeGreaterThan(othersAtClose[0]);
    expect(outs[2].frames.length).toBeGreaterThan(othersAtClose[1]);
    expect(out3.indices).toEqual(range(framesFor(14400)));
    const pids = new Set([...outs, out3].flatMap((o) => [...o.pids]));
    expect(pids.size).toBe(1);
    expect(host.stats).toMatchObject({ spawns: 1, restarts: 0 });
    for (const [i, freq] of [[0, 500], [2, 2000]]) {
      const w = windows(await decoded(outs[i].frames), channel(pcms[i], 0), freq);
      expect(w.minTone).toBeGreaterThan(0.25);
      expect(w.maxError).toBeLessThan(0.1);
    }
  });
});
