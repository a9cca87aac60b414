/**
 * The wire to build/aac-host, from the specification in src/ffmpeg/aac-host.c's header:
 *
 *   u8 type | u32 channel (little-endian) | u32 length (little-endian) | payload
 *
 * The expected bytes here are written out by hand from that text, not taken from the
 * module's output; the second half talks raw bytes to the real binary.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  FromHost,
  HOST_HEADER_BYTES,
  HOST_MAX_PAYLOAD,
  HostEncoder,
  HostMessageReader,
  HostProtocolError,
  ToHost,
  closeMessage,
  concealMessage,
  openMessage,
  opusHeader,
  pcmHeader,
  type HostMessage,
} from '../../src/ffmpeg/aac-host-protocol';
import { AAC_HOST_BUILD_PATH } from '../../src/aac-host-path';
import { waitFor } from '../helpers/wait-for';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opusPacketSamples } from '../../src/media/opus-decoder';
import { adtsFrame, channel, decodeToPcm, opusPacketsOf, sineStereo, toneAmplitude } from '../media/audio-analysis';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('aac-host protocol: messages to the host, byte for byte', () => {
  test("'O' open: type 0x4f, channel LE, length 4, the bit rate LE", () => {
    // 128000 = 0x0001f400
    expect(openMessage(3, 128000)).toEqual(hex('4f 03000000 04000000 00f40100'));
    // 64000 = 0x0000fa00; channel 0x01020304 shows the byte order of the channel field
    expect(openMessage(0x01020304, 64000)).toEqual(hex('4f 04030201 04000000 00fa0000'));
    // 512000 = 0x0007d000
    expect(openMessage(0, 512000)).toEqual(hex('4f 00000000 04000000 00d00700'));
  });

  test("'O' open with a skip: length 8, the bit rate then the samples to drop, both LE", () => {
    // 1000 = 0x000003e8
    expect(openMessage(3, 128000, 1000)).toEqual(hex('4f 03000000 08000000 00f40100 e8030000'));
    // a skip of 0 is the plain 4-byte open
    expect(openMessage(3, 128000, 0)).toEqual(hex('4f 03000000 04000000 00f40100'));
  });

  test("'O' open with an encoder: length 12, the bit rate, the skip (0 too), then the encoder (1 = VisualOn), all LE", () => {
    expect(openMessage(3, 128000, 0, HostEncoder.VisualOn)).toEqual(hex('4f 03000000 0c000000 00f40100 00000000 01000000'));
    expect(openMessage(3, 128000, 1000, HostEncoder.VisualOn)).toEqual(hex('4f 03000000 0c000000 00f40100 e8030000 01000000'));
    // libavcodec is the host's default: the field is left out
    expect(openMessage(3, 128000, 1000, HostEncoder.Libavcodec)).toEqual(hex('4f 03000000 08000000 00f40100 e8030000'));
    expect(HostEncoder).toEqual({ Libavcodec: 0, VisualOn: 1 });
  });

  test("'Q' Opus header: type 0x51, channel LE, length 4 + the packet's, the sample count LE (the packet follows)", () => {
    // 960 samples (20 ms) = 0x03c0; a 100-byte packet: length 104 = 0x68
    expect(opusHeader(2, 960, 100)).toEqual(hex('51 02000000 68000000 c0030000'));
    // 5760 (120 ms) = 0x1680; 1275 + 4 = 1279 = 0x04ff
    expect(opusHeader(0, 5760, 1275)).toEqual(hex('51 00000000 ff040000 80160000'));
  });

  test("'L' conceal: type 0x4c, channel LE, length 4, the sample count LE", () => {
    // 9600 (200 ms) = 0x2580
    expect(concealMessage(1, 9600)).toEqual(hex('4c 01000000 04000000 80250000'));
  });

  test("'C' close: type 0x43, channel LE, length 0, no payload", () => {
    expect(closeMessage(7)).toEqual(hex('43 07000000 00000000'));
    expect(closeMessage(65535)).toEqual(hex('43 ffff0000 00000000'));
  });

  test("'P' PCM header: type 0x50, channel LE, the payload length LE (the PCM follows as it is)", () => {
    // one frame: 1024 samples × 2 channels × 2 bytes = 4096 = 0x1000
    expect(pcmHeader(1, 4096)).toEqual(hex('50 01000000 00100000'));
    // 3 frames = 12288 = 0x3000
    expect(pcmHeader(256, 12288)).toEqual(hex('50 00010000 00300000'));
    // 300 frames = 1228800 = 0x0012c000
    expect(pcmHeader(2, 1228800)).toEqual(hex('50 02000000 00c01200'));
  });

  test('the type codes and sizes are the ASCII letters and numbers of the specification', () => {
    expect(HOST_HEADER_BYTES).toBe(9);
    expect(HOST_MAX_PAYLOAD).toBe(16 * 1024 * 1024);
    expect(ToHost).toEqual({ Open: 'O'.charCodeAt(0), Pcm: 'P'.charCodeAt(0), Opus: 'Q'.charCodeAt(0), Conceal: 'L'.charCodeAt(0), Close: 'C'.charCodeAt(0) });
    expect(FromHost).toEqual({ Frame: 'F'.charCodeAt(0), Closed: 'C'.charCodeAt(0), Error: 'E'.charCodeAt(0) });
  });
});

/** Messages as plain values, for toEqual. */
const plain = (ms: HostMessage[]): { type: string; channel: number; payload: string }[] =>
  ms.map((m) => ({ type: String.fromCharCode(m.type), channel: m.channel, payload: m.payload.toString('hex') }));

describe('aac-host protocol: HostMessageReader', () => {
  // 'F' on channel 2 with 3 bytes, 'C' on channel 2 (empty), 'E' on channel 0x0105 with "boom"
  const stream = hex('46 02000000 03000000 a1b2c3' + '43 02000000 00000000' + '45 05010000 04000000 626f6f6d');
  const expected = [
    { type: 'F', channel: 2, payload: 'a1b2c3' },
    { type: 'C', channel: 2, payload: '' },
    { type: 'E', channel: 0x105, payload: Buffer.from('boom').toString('hex') },
  ];

  test('several messages in one chunk come out in order', () => {
    const reader = new HostMessageReader();
    expect(plain(reader.push(stream))).toEqual(expected);
    expect(reader.heldBytes).toBe(0);
  });

  test('a stream split at every byte boundary into two chunks gives the same messages', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new HostMessageReader();
      const got = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect({ cut, messages: plain(got) }).toEqual({ cut, messages: expected });
      expect(reader.heldBytes).toBe(0);
    }
  });

  test('a message is held until its last byte came, one byte at a time', () => {
    const reader = new HostMessageReader();
    const got: HostMessage[] = [];
    for (let i = 0; i < stream.length; i++) {
      const out = reader.push(stream.subarray(i, i + 1));
      got.push(...out);
      // the first message ends at byte 12: nothing is given before its last byte
      if (i < 11) expect(got).toHaveLength(0);
      if (i === 11) expect(plain(got)).toEqual(expected.slice(0, 1));
    }
    expect(plain(got)).toEqual(expected);
    expect(reader.heldBytes).toBe(0);
  });

  test("an empty payload ('C') alone in a chunk is a whole message", () => {
    const reader = new HostMessageReader();
    expect(plain(reader.push(hex('43 09000000 00000000')))).toEqual([{ type: 'C', channel: 9, payload: '' }]);
    expect(reader.heldBytes).toBe(0);
    // a header without its payload is held, not given
    expect(reader.push(hex('46 01000000 02000000 ff'))).toEqual([]);
    expect(reader.heldBytes).toBe(10);
    expect(plain(reader.push(hex('ee')))).toEqual([{ type: 'F', channel: 1, payload: 'ffee' }]);
  });

  test('an unknown type throws HostProtocolError naming it, and so do the types only sent to the host', () => {
    expect(() => new HostMessageReader().push(hex('5a 00000000 00000000'))).toThrow(HostProtocolError);
    expect(() => new HostMessageReader().push(hex('5a 00000000 00000000'))).toThrow(/0x5a/);
    // 'O' and 'P' go to the host, never come from it
    expect(() => new HostMessageReader().push(hex('4f 01000000 04000000 00f40100'))).toThrow(HostProtocolError);
    expect(() => new HostMessageReader().push(hex('50 01000000 00000000'))).toThrow(HostProtocolError);
    // after good messages in the same chunk too
    expect(() => new HostMessageReader().push(Buffer.concat([stream, hex('00 00000000 00000000')]))).toThrow(HostProtocolError);
  });

  test('a length over the 16 MiB limit throws HostProtocolError before any payload arrives', () => {
    // 16 MiB + 1 = 0x01000001
    expect(() => new HostMessageReader().push(hex('46 00000000 01000001'))).toThrow(HostProtocolError);
    // exactly the limit is a message still to come
    const reader = new HostMessageReader();
    expect(reader.push(hex('46 00000000 00000001'))).toEqual([]);
    expect(reader.heldBytes).toBe(9);
  });
});

// ---------------------------------------------------------------------------------------
// The real binary, raw bytes.

/** A header built from the specification, independently of the module under test. */
function header(type: string, ch: number, length: number): Buffer {
  const h = Buffer.alloc(9);
  h[0] = type.charCodeAt(0);
  h[1] = ch & 0xff;
  h[2] = (ch >>> 8) & 0xff;
  h[3] = (ch >>> 16) & 0xff;
  h[4] = (ch >>> 24) & 0xff;
  h[5] = length & 0xff;
  h[6] = (length >>> 8) & 0xff;
  h[7] = (length >>> 16) & 0xff;
  h[8] = (length >>> 24) & 0xff;
  return h;
}
const open = (ch: number, bps: number): Buffer => {
  const rate = Buffer.alloc(4);
  rate.writeUInt32LE(bps);
  return Buffer.concat([header('O', ch, 4), rate]);
};
const pcm = (ch: number, samples: Int16Array): Buffer => {
  const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  return Buffer.concat([header('P', ch, bytes.length), bytes]);
};
const close = (ch: number): Buffer => header('C', ch, 0);
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const openSkip = (ch: number, bps: number, skip: number): Buffer => Buffer.concat([header('O', ch, 8), u32(bps), u32(skip)]);
const openEncoder = (ch: number, bps: number, skip: number, encoder: number): Buffer => Buffer.concat([header('O', ch, 12), u32(bps), u32(skip), u32(encoder)]);
const opus = (ch: number, samples: number, packet: Buffer): Buffer => Buffer.concat([header('Q', ch, 4 + packet.length), u32(samples), packet]);
const conceal = (ch: number, samples: number): Buffer => Buffer.concat([header('L', ch, 4), u32(samples)]);

interface Got {
  type: string;
  channel: number;
  payload: Buffer;
}

/** One run of build/aac-host; its stdout parsed here (not by HostMessageReader). */
class RawHost {
  readonly child: ChildProcessWithoutNullStreams;
  readonly got: Got[] = [];
  stderr = '';
  private buf = Buffer.alloc(0);
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor() {
    this.child = spawn(AAC_HOST_BUILD_PATH, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 9) {
        const length = this.buf.readUInt32LE(5);
        if (this.buf.length < 9 + length) break;
        this.got.push({ type: String.fromCharCode(this.buf[0]), channel: this.buf.readUInt32LE(1), payload: Buffer.from(this.buf.subarray(9, 9 + length)) });
        this.buf = this.buf.subarray(9 + length);
      }
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  send(...parts: Buffer[]): void {
    this.child.stdin.write(Buffer.concat(parts));
  }

  end(): void {
    this.child.stdin.end();
  }

  /** The messages of one channel, as a string of types ("FFFC") and the list. */
  of(ch: number): { types: string; messages: Got[] } {
    const messages = this.got.filter((m) => m.channel === ch);
    return { types: messages.map((m) => m.type).join(''), messages };
  }

  /** Bytes of stdout not yet a whole message. */
  get leftover(): number {
    return this.buf.length;
  }

  until(what: string, cond: () => boolean): Promise<boolean> {
    return waitFor(cond, { what, timeoutMs: 10_000, seen: () => JSON.stringify(this.got.map((m) => `${m.type}${m.channel}`)) });
  }
}

const raws: RawHost[] = [];
function rawHost(): RawHost {
  const h = new RawHost();
  raws.push(h);
  return h;
}

afterEach(async () => {
  for (const h of raws.splice(0)) {
    if (h.child.exitCode === null && h.child.signalCode === null) {
      h.child.kill('SIGKILL');
      await h.exited;
    }
  }
});

/** Frames the encoder gives for `samples` input samples: the priming frame, then one per started 1024. */
const framesFor = (samples: number): number => Math.ceil((samples + 1024) / 1024);

describe('build/aac-host, raw bytes', () => {
  test("open + PCM + close: frames, then 'C' for that channel; ceil((samples+1024)/1024) frames", async () => {
    const h = rawHost();
    const tone = sineStereo(1000, (10 * 1024) / 48000); // 10 whole frames
    expect(tone.length).toBe(10 * 1024 * 2);
    h.send(open(3, 128000), pcm(3, tone));
    // the frames come while the channel is open: the encoder holds only its look-ahead
    await h.until('frames of channel 3 before the close', () => h.of(3).types.length >= 8);
    expect(h.of(3).types).toMatch(/^F+$/);
    h.send(close(3));
    // answered without end of input: stdin stays open
    await h.until("channel 3's 'C'", () => h.of(3).types.endsWith('C'));
    const { types, messages } = h.of(3);
    expect(types).toBe('F'.repeat(framesFor(10 * 1024)) + 'C');
    expect(framesFor(10 * 1024)).toBe(11);
    for (const f of messages.slice(0, -1)) expect(f.payload.length).toBeGreaterThan(0);
    expect(messages[messages.length - 1].payload.length).toBe(0);
    expect(h.got.every((m) => m.channel === 3)).toBe(true);
    // the closed number may be opened again, and a new encoder starts over with its priming frame
    h.send(open(3, 64000), pcm(3, tone.subarray(0, 2 * 1024 * 2)), close(3));
    await h.until("the reopened channel 3's 'C'", () => h.of(3).types.length === 12 + framesFor(2048) + 1);
    expect(h.of(3).types).toBe('F'.repeat(11) + 'C' + 'F'.repeat(framesFor(2048)) + 'C');
    expect(h.child.exitCode).toBeNull();
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.leftover).toBe(0);
    expect(h.stderr).toBe('');
  });

  test("PCM that is not whole stereo samples: 'E' for that channel, which is gone; another open channel keeps working", async () => {
    const h = rawHost();
    const a = sineStereo(500, (4 * 1024) / 48000);
    const b = sineStereo(1000, (4 * 1024) / 48000);
    const bytesOf = (x: Int16Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    // channel 1 gets 2 frames and half a sample (2 bytes); channel 2 gets 2 frames before it and 2 after it
    h.send(open(1, 96000), open(2, 128000), pcm(2, b.subarray(0, 2048 * 2)), header('P', 1, 2048 * 4 + 2), bytesOf(a).subarray(0, 2048 * 4 + 2), pcm(2, b.subarray(2048 * 2)));
    await h.until("channel 1's 'E'", () => h.of(1).types.includes('E'));
    expect(h.of(1).types).toBe('E');
    expect(h.of(1).messages[0].payload.toString()).toMatch(/whole stereo samples/);
    h.send(close(2));
    await h.until("channel 2's 'C'", () => h.of(2).types.endsWith('C'));
    expect(h.of(2).types).toBe('F'.repeat(framesFor(4096)) + 'C');
    // channel 1 is gone: its PCM and its close are errors, and it never says 'C'
    h.send(pcm(1, a.subarray(0, 1024 * 2)), close(1));
    await h.until("channel 1's two more 'E'", () => h.of(1).types.length === 3);
    expect(h.of(1).types).toBe('EEE');
    expect(h.of(1).messages[1].payload.toString()).toMatch(/not open/);
    expect(h.of(1).messages[2].payload.toString()).toMatch(/not open/);
    // and its number can be opened again
    h.send(open(1, 96000), pcm(1, a.subarray(0, 1024 * 2)), close(1));
    await h.until("the reopened channel 1's 'C'", () => h.of(1).types.endsWith('C'));
    expect(h.of(1).types).toBe('EEE' + 'F'.repeat(framesFor(1024)) + 'C');
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });

  test('PCM in pieces of any length joins one stream: a frame is encoded once its 1024th sample is there; the close pads the last one', async () => {
    const h = rawHost();
    const tone = sineStereo(1000, 3000 / 48000);
    h.send(open(0, 128000), pcm(0, tone.subarray(0, 300 * 2)), pcm(0, tone.subarray(300 * 2, 1000 * 2)));
    // 1000 samples: not a frame yet, nothing comes
    h.send(pcm(0, tone.subarray(1000 * 2, 2100 * 2)));
    await h.until('the priming frame once 1024 samples are in', () => h.of(0).types.length >= 1);
    h.send(pcm(0, tone.subarray(2100 * 2)), close(0));
    await h.until("channel 0's 'C'", () => h.of(0).types.endsWith('C'));
    expect(h.of(0).types).toBe('F'.repeat(framesFor(3000)) + 'C');
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });

  test("'O' with a skip drops that many samples of input first", async () => {
    const h = rawHost();
    // 2048 samples, 1000 of them skipped: the frames of 1048
    h.send(openSkip(0, 128000, 1000), pcm(0, sineStereo(1000, 2048 / 48000)), close(0));
    await h.until("channel 0's 'C'", () => h.of(0).types.endsWith('C'));
    expect(h.of(0).types).toBe('F'.repeat(framesFor(1048)) + 'C');
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });

  test("'O' with encoder 1 (VisualOn): a frame for every 1024 samples as they come, no look-ahead; the close pads to the frame holding the last sample (1600 samples of priming), and the tone decodes", async () => {
    const h = rawHost();
    const tone = sineStereo(1000, (10 * 1024) / 48000);
    h.send(openEncoder(5, 128000, 0, 1));
    for (let n = 1; n <= 10; n++) {
      h.send(pcm(5, tone.subarray((n - 1) * 2048, n * 2048)));
      // frame n − 1 needs no input beyond its own 1024 samples
      await h.until(`${n} frames after ${n} input frames`, () => h.of(5).types.length >= n);
      expect(h.of(5).types).toBe('F'.repeat(n));
    }
    h.send(close(5));
    await h.until("channel 5's 'C'", () => h.of(5).types.endsWith('C'));
    // ceil((10240 + 1600) / 1024) = 12: the close added 2 frames of silence
    expect(h.of(5).types).toBe('F'.repeat(12) + 'C');
    const dir = mkdtempSync(join(tmpdir(), 'aac-host-vo-'));
    try {
      const file = join(dir, 'vo.aac');
      writeFileSync(file, Buffer.concat(h.of(5).messages.filter((m) => m.type === 'F').map((m) => adtsFrame(m.payload))));
      const decoded = channel(await decodeToPcm(file), 0);
      // input sample k is decoded sample k + 1600; the tone's amplitude is 0.25
      const amplitude = toneAmplitude(decoded.subarray(1600 + 1024, 1600 + 9 * 1024), 1000, 48000);
      expect(amplitude).toBeGreaterThan(0.22);
      expect(amplitude).toBeLessThan(0.28);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // an 8-byte open on the same number is libavcodec's again: its look-ahead holds a frame back
    h.send(openSkip(5, 128000, 0), pcm(5, tone.subarray(0, 4 * 2048)));
    await h.until('3 frames of the reopened channel', () => h.of(5).types.length === 13 + 3);
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.of(5).types).toBe('F'.repeat(12) + 'C' + 'F'.repeat(framesFor(4 * 1024)) + 'C');
  });

  test("'O' with VisualOn out of its 8000..320000 bit/s, or an unknown encoder: 'E' naming why, nothing opened; other channels work", async () => {
    const h = rawHost();
    h.send(openEncoder(1, 320001 + 1000, 0, 1), openEncoder(2, 7999, 0, 1), openEncoder(3, 128000, 0, 2), openEncoder(4, 320000, 0, 1));
    await h.until("three 'E'", () => h.got.filter((m) => m.type === 'E').length === 3);
    expect(h.of(1).messages.map((m) => m.payload.toString())).toEqual(["VisualOn's encoder takes 8000..320000 bit/s"]);
    expect(h.of(2).messages.map((m) => m.payload.toString())).toEqual(["VisualOn's encoder takes 8000..320000 bit/s"]);
    expect(h.of(3).messages.map((m) => m.payload.toString())).toEqual(['unknown encoder (0 libavcodec, 1 VisualOn)']);
    // not opened: PCM for them is refused as for a channel never opened
    h.send(pcm(1, sineStereo(1000, 1024 / 48000)));
    await h.until("channel 1's second 'E'", () => h.of(1).types === 'EE');
    expect(h.of(1).messages[1].payload.toString()).toBe('PCM for a channel that is not open');
    // 320 kbit/s is VisualOn's limit, and works
    h.send(pcm(4, sineStereo(1000, 2048 / 48000)), close(4));
    await h.until("channel 4's 'C'", () => h.of(4).types.endsWith('C'));
    expect(h.of(4).types).toBe('F'.repeat(Math.ceil((2048 + 1600) / 1024)) + 'C');
    // 320 kbit/s for 21.3 ms is about 853 bytes a frame; 128 kbit/s (VisualOn's own fallback) would be about 341
    const sizes = h.of(4).messages.filter((m) => m.type === 'F').map((m) => m.payload.length);
    expect(Math.max(...sizes)).toBeGreaterThan(600);
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });

  test("'Q' Opus packets are decoded (libopus) to exactly their sample counts and encoded: the tone comes back; 'L' conceals, a refused packet too", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aac-host-opus-'));
    try {
      const packets = await opusPacketsOf(dir, '0.4*sin(2*PI*1000*t)|0.4*sin(2*PI*1000*t)', 1, 96);
      const counts = packets.map((p) => opusPacketSamples(p));
      expect(new Set(counts)).toEqual(new Set([960]));
      const h = rawHost();
      h.send(open(0, 128000), ...packets.map((p, i) => opus(0, counts[i], p)), close(0));
      await h.until("channel 0's 'C'", () => h.of(0).types.endsWith('C'));
      const total = counts.reduce((n, c) => n + c, 0);
      expect(h.of(0).types).toBe('F'.repeat(framesFor(total)) + 'C');
      const file = join(dir, 'tone.aac');
      writeFileSync(file, Buffer.concat(h.of(0).messages.slice(0, -1).map((m) => adtsFrame(m.payload))));
      const decoded = channel(await decodeToPcm(file), 0).subarray(4800, 40000);
      expect(toneAmplitude(decoded, 1000, 48000)).toBeGreaterThan(0.3);

      // concealment, a packet libopus refuses (code 3 with no frames), and Opus after PCM: all one stream
      h.send(open(1, 128000), pcm(1, sineStereo(1000, 500 / 48000)), opus(1, 960, packets[0]), conceal(1, 2000), opus(1, 960, Buffer.from([0xff, 0x00])), close(1));
      await h.until("channel 1's 'C'", () => h.of(1).types.endsWith('C'));
      expect(h.of(1).types).toBe('F'.repeat(framesFor(500 + 960 + 2000 + 960)) + 'C');
      h.end();
      expect(await h.exited).toEqual({ code: 0, signal: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("'Q' without a packet or with a sample count of 0 or over 5760, and 'L' over 10 s: 'E', the channel gone", async () => {
    const h = rawHost();
    const packet = Buffer.from([0xfc, 0x00]);
    h.send(open(0, 128000), opus(0, 0, packet), open(1, 128000), opus(1, 5761, packet), open(2, 128000), header('Q', 2, 4), u32(960), open(3, 128000), conceal(3, 480001));
    await h.until("four 'E'", () => [0, 1, 2, 3].every((c) => h.of(c).types === 'E'));
    for (const c of [0, 1, 2]) expect(h.of(c).messages[0].payload.toString()).toMatch(/sample count of 1\.\.5760 and a packet/);
    expect(h.of(3).messages[0].payload.toString()).toMatch(/conceal takes a sample count/);
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });

  test("PCM or close for a channel never opened: 'E' for it; the process goes on", async () => {
    const h = rawHost();
    h.send(pcm(5, sineStereo(1000, 1024 / 48000)), close(6));
    await h.until("'E' for channels 5 and 6", () => h.of(5).types === 'E' && h.of(6).types === 'E');
    expect(h.of(5).messages[0].payload.toString()).toMatch(/not open/);
    expect(h.of(6).messages[0].payload.toString()).toMatch(/not open/);
    // still serving
    h.send(open(0, 128000), close(0));
    await h.until("channel 0's 'C'", () => h.of(0).types.endsWith('C'));
    expect(h.of(0).types).toMatch(/^F*C$/);
    expect(h.got.map((m) => m.type + m.channel)).toEqual(['E5', 'E6', ...h.of(0).messages.map((m) => m.type + '0')]);
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });

  test("opening an open channel: 'E' for it, and it is gone (as every 'E' says)", async () => {
    const h = rawHost();
    const tone = sineStereo(1000, (2 * 1024) / 48000);
    h.send(open(4, 128000), pcm(4, tone), open(4, 128000));
    await h.until("channel 4's 'E'", () => h.of(4).types.includes('E'));
    const { types, messages } = h.of(4);
    expect(types).toMatch(/^F*E$/);
    expect(messages[messages.length - 1].payload.toString()).toMatch(/already open/);
    // 'E': the channel is gone, no 'C' follows; its close is answered with another 'E'
    h.send(close(4));
    await h.until("channel 4's answer to the close", () => h.of(4).types.length > types.length);
    expect(h.of(4).types).toBe(types + 'E');
    // and the number is free to open again
    h.send(open(4, 128000), close(4));
    await h.until("the reopened channel 4's 'C'", () => h.of(4).types.endsWith('C'));
    expect(h.of(4).types).toMatch(new RegExp(`^${types}EF*C$`));
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });

  test('an unknown type byte ends the process with exit code 2 and a stderr line naming the type', async () => {
    const h = rawHost();
    h.send(open(0, 128000));
    h.send(header('X', 0, 0));
    expect(await h.exited).toEqual({ code: 2, signal: null });
    expect(h.stderr).toMatch(/^aac-host: .*unknown message type 0x58\n$/);
  });

  test('a payload over 16 MiB ends the process with exit code 2 and a stderr line', async () => {
    const h = rawHost();
    h.send(header('P', 0, 16 * 1024 * 1024 + 1));
    expect(await h.exited).toEqual({ code: 2, signal: null });
    expect(h.stderr).toMatch(/^aac-host: .*16777217.*over the limit\n$/);
  });

  test("end of stdin drains every open channel ('F'… then 'C') and exits 0", async () => {
    const h = rawHost();
    const a = sineStereo(500, (3 * 1024) / 48000);
    const b = sineStereo(2000, (5 * 1024) / 48000);
    h.send(open(0, 128000), open(7, 64000), pcm(0, a), pcm(7, b));
    // before the end of input, neither channel says 'C'
    await h.until('frames of both channels', () => h.of(0).types.length > 0 && h.of(7).types.length > 0);
    expect(h.of(0).types + h.of(7).types).toMatch(/^F+$/);
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.of(0).types).toBe('F'.repeat(framesFor(3 * 1024)) + 'C');
    expect(h.of(7).types).toBe('F'.repeat(framesFor(5 * 1024)) + 'C');
    expect(h.leftover).toBe(0);
    expect(h.stderr).toBe('');
  });

  test('input ending inside a message is an error: exit code 2 and a stderr line', async () => {
    const h = rawHost();
    h.send(open(0, 128000), header('P', 0, 4096), Buffer.alloc(100));
    h.end();
    expect(await h.exited).toEqual({ code: 2, signal: null });
    expect(h.stderr).toMatch(/^aac-host: input ended inside a message\n$/);
  });
});
