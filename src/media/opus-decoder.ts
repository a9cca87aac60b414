/**
 * Opus (RFC 6716) → PCM: interleaved stereo s16 at 48 kHz, whatever the stream carries
 * (libopus upmixes a mono stream when the decoder is opened with two channels).
 *
 * The decoder is libopus 1.4 compiled to WebAssembly, as shipped by the `opusscript`
 * npm package: no native build, no download at install time. We drive its emscripten
 * module directly rather than through opusscript's JS wrapper, because that wrapper
 * places its PCM buffers at twice their allocated addresses (a HEAPU16 index used as a
 * byte offset), which writes over other heap objects once several decoders exist.
 * Here every buffer is malloc'd at the size the C side writes.
 *
 * That build also corrupts its heap when one opus_decode call yields more than 60 ms
 * (seen with 80–120 ms packets, found by fuzzing), so a packet is split into its
 * frames (RFC 6716 3.2) and each frame, at most 60 ms, is decoded on its own: libopus
 * keeps its state across calls, so the output is the same.
 *
 * Node 20 can hang at exit after running a wasm module whose background tier-up was
 * still pending (nodejs/node#36616). The module is compiled once with tier-up off
 * (Liftoff code: decoding 1 s of stereo takes ~6 ms, so speed is not the concern) and
 * the V8 flag is restored right after, leaving the rest of the process unaffected.
 */
import { setFlagsFromString } from 'node:v8';

/** What we use of opusscript's emscripten module. */
interface OpusNativeHandler {
  /** opus_decode into a buffer of one C `short` per output byte; returns samples per channel or a negative error. */
  _decode(inputPtr: number, bytes: number, outputPtr: number): number;
}
interface OpusNative {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  OpusScriptHandler: {
    new (sampleRate: number, channels: number, application: number): OpusNativeHandler;
    destroy_handler(handler: OpusNativeHandler): void;
  };
}

/** Any Opus decode failure: a packet libopus rejects, or a closed decoder. */
export class OpusDecodeError extends Error {
  override readonly name = 'OpusDecodeError';
}

export const OPUS_SAMPLE_RATE = 48000;
const CHANNELS = 2;
/** The handler's opus_decode frame_size limit: 120 ms at 48 kHz. */
const MAX_FRAME_SAMPLES = 5760;
/** RFC 6716 3.4 R5 allows up to 1275 bytes per frame; an RTP payload is far smaller. */
export const MAX_OPUS_PACKET_BYTES = 4000;
/** The handler writes each PCM byte as a C short: 2 bytes per byte, 4 per sample. */
const OUT_BYTES = MAX_FRAME_SAMPLES * CHANNELS * 4;
const OPUS_APPLICATION_AUDIO = 2049;
const OPUS_ERRORS: Record<number, string> = {
  [-1]: 'bad argument',
  [-2]: 'buffer too small',
  [-3]: 'internal error',
  [-4]: 'invalid packet',
  [-5]: 'unimplemented',
  [-6]: 'invalid state',
  [-7]: 'memory allocation failed',
};

let native: OpusNative | undefined;

function loadNative(): OpusNative {
  if (native) return native;
  setFlagsFromString('--no-wasm-tier-up');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require('opusscript/build/opusscript_native_wasm.js') as () => OpusNative;
    native = factory(); // compiles and instantiates synchronously under Node
  } finally {
    setFlagsFromString('--wasm-tier-up');
  }
  return native;
}

/** Samples per frame at 48 kHz for a TOC byte's config (RFC 6716 3.1, Table 2). */
export function opusFrameSamples(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [480, 960, 1920, 2880][config & 3]; // SILK-only: 10, 20, 40, 60 ms
  if (config < 16) return [480, 960][config & 1]; // Hybrid: 10, 20 ms
  return [120, 240, 480, 960][config & 3]; // CELT-only: 2.5, 5, 10, 20 ms
}

/** A frame length of RFC 6716 3.2.1: one byte below 252, else two. */
function frameLength(packet: Buffer, at: number): { length: number; size: number } {
  if (at >= packet.length) throw new OpusDecodeError('Opus packet truncated in a frame length');
  const b0 = packet[at];
  if (b0 < 252) return { length: b0, size: 1 };
  if (at + 1 >= packet.length) throw new OpusDecodeError('Opus packet truncated in a frame length');
  return { length: packet[at + 1] * 4 + b0, size: 2 };
}

/**
 * Samples per channel at 48 kHz that a packet decodes to: its frame count (RFC 6716 3.2)
 * times its frames' duration (3.1). Throws OpusDecodeError on a malformed packet, as a
 * decoder would refuse it.
 */
export function opusPacketSamples(packet: Buffer): number {
  return splitOpusPacket(packet).length * opusFrameSamples(packet[0]);
}

const MAX_FRAME_BYTES = 1275;

/**
 * The compressed frames of one packet (RFC 6716 3.2, codes 0–3), checked against the
 * rules R1–R7 of 3.4 that matter for splitting. Throws OpusDecodeError on a malformed packet.
 */
export function splitOpusPacket(packet: Buffer): Buffer[] {
  if (packet.length < 1) throw new OpusDecodeError('empty Opus packet');
  const toc = packet[0];
  const code = toc & 3;
  const body = packet.subarray(1);
  const check = (frames: Buffer[]): Buffer[] => {
    for (const f of frames) if (f.length > MAX_FRAME_BYTES) throw new OpusDecodeError(`Opus frame of ${f.length} bytes (max ${MAX_FRAME_BYTES})`);
    return frames;
  };
  if (code === 0) return check([body]);
  if (code === 1) {
    if (body.length % 2 !== 0) throw new OpusDecodeError('Opus code 1 packet with an odd payload length');
    return check([body.subarray(0, body.length / 2), body.subarray(body.length / 2)]);
  }
  if (code === 2) {
    const { length, size } = frameLength(packet, 1);
    if (1 + size + length > packet.length) throw new OpusDecodeError('Opus code 2 packet shorter than its first frame');
    return check([packet.subarray(1 + size, 1 + size + length), packet.subarray(1 + size + length)]);
  }
  if (packet.length < 2) throw new OpusDecodeError('Opus code 3 packet without a frame count');
  const vbr = (packet[1] & 0x80) !== 0;
  const padded = (packet[1] & 0x40) !== 0;
  const count = packet[1] & 0x3f;
  if (count === 0) throw new OpusDecodeError('Opus code 3 packet with no frames');
  if (count * opusFrameSamples(toc) > 5760) throw new OpusDecodeError('Opus packet longer than 120 ms');
  let at = 2;
  let padding = 0;
  if (padded) {
    for (;;) {
      if (at >= packet.length) throw new OpusDecodeError('Opus packet truncated in its padding length');
      const p = packet[at++];
      padding += p === 255 ? 254 : p;
      if (p !== 255) break;
    }
  }
  const end = packet.length - padding;
  if (end < at) throw new OpusDecodeError('Opus packet padding longer than the packet');
  const frames: Buffer[] = [];
  if (vbr) {
    const lengths: number[] = [];
    for (let i = 0; i < count - 1; i++) {
      const { length, size } = frameLength(packet, at);
      at += size;
      lengths.push(length);
    }
    for (const length of lengths) {
      if (at + length > end) throw new OpusDecodeError('Opus code 3 frames overrun the packet');
      frames.push(packet.subarray(at, at + length));
      at += length;
    }
    if (at > end) throw new OpusDecodeError('Opus code 3 frames overrun the packet');
    frames.push(packet.subarray(at, end));
  } else {
    const size = end - at;
    if (size % count !== 0) throw new OpusDecodeError('Opus CBR code 3 payload does not split into equal frames');
    const each = size / count;
    for (let i = 0; i < count; i++, at += each) frames.push(packet.subarray(at, at + each));
  }
  return check(frames);
}

export class OpusPcmDecoder {
  private readonly native: OpusNative;
  private handler: OpusNativeHandler | undefined;
  private readonly inPtr: number;
  private readonly outPtr: number;
  /** Samples per channel of the last good packet: what concealment defaults to. */
  private lastFrameSamples = 960;

  constructor() {
    this.native = loadNative();
    this.handler = new this.native.OpusScriptHandler(OPUS_SAMPLE_RATE, CHANNELS, OPUS_APPLICATION_AUDIO);
    this.inPtr = this.native._malloc(MAX_OPUS_PACKET_BYTES);
    this.outPtr = this.native._malloc(OUT_BYTES);
  }

  /** Samples per channel of the last decoded packet (960 for 20 ms). */
  get frameSamples(): number {
    return this.lastFrameSamples;
  }

  /** One Opus packet → interleaved stereo s16 at 48 kHz. Throws OpusDecodeError on a bad packet. */
  decode(packet: Buffer): Int16Array {
    if (packet.length > MAX_OPUS_PACKET_BYTES) throw new OpusDecodeError(`Opus packet of ${packet.length} bytes is too large`);
    const handler = this.live();
    const frames = splitOpusPacket(packet);
    if (frames.length === 1) return this.decodeOne(handler, packet);
    const parts: Int16Array[] = [];
    let total = 0;
    const toc = packet[0] & 0xfc; // same config and stereo flag, code 0: one frame
    for (const frame of frames) {
      const single = Buffer.allocUnsafe(frame.length + 1);
      single[0] = toc;
      frame.copy(single, 1);
      const pcm = this.decodeOne(handler, single);
      parts.push(pcm);
      total += pcm.length;
    }
    const out = new Int16Array(total);
    let at = 0;
    for (const pcm of parts) {
      out.set(pcm, at);
      at += pcm.length;
    }
    this.lastFrameSamples = total / CHANNELS;
    return out;
  }

  private decodeOne(handler: OpusNativeHandler, packet: Buffer): Int16Array {
    this.native.HEAPU8.set(packet, this.inPtr);
    const samples = handler._decode(this.inPtr, packet.length, this.outPtr);
    if (samples < 0) throw new OpusDecodeError(`Opus decode failed: ${OPUS_ERRORS[samples] ?? `error ${samples}`}`);
    if (samples > 0) this.lastFrameSamples = samples;
    return this.read(samples);
  }

  /**
   * Packet-loss concealment (libopus PLC: the last sound extrapolated and faded) for
   * `samplesPerChannel` samples. libopus conceals in its own steps (up to 60 ms); the
   * last step is cut to length.
   */
  conceal(samplesPerChannel: number): Int16Array {
    const want = Math.max(0, Math.floor(samplesPerChannel));
    const out = new Int16Array(want * CHANNELS);
    const handler = this.live();
    let filled = 0;
    while (filled < want) {
      // bytes = 0 asks opus_decode for concealment
      const samples = handler._decode(this.inPtr, 0, this.outPtr);
      if (samples <= 0) break; // leave the rest silent
      const chunk = this.read(Math.min(samples, want - filled));
      out.set(chunk, filled * CHANNELS);
      filled += chunk.length / CHANNELS;
    }
    return out;
  }

  close(): void {
    if (!this.handler) return;
    this.native.OpusScriptHandler.destroy_handler(this.handler);
    this.native._free(this.inPtr);
    this.native._free(this.outPtr);
    this.handler = undefined;
  }

  private live(): OpusNativeHandler {
    if (!this.handler) throw new OpusDecodeError('decoder is closed');
    return this.handler;
  }

  /** PCM byte k sits in the low byte of the C short at outPtr + 2k. */
  private read(samplesPerChannel: number): Int16Array {
    const heap = this.native.HEAPU8; // fresh view: the heap may have grown
    const n = samplesPerChannel * CHANNELS;
    const pcm = new Int16Array(n);
    let p = this.outPtr;
    for (let i = 0; i < n; i++, p += 4) {
      const v = heap[p] | (heap[p + 2] << 8);
      pcm[i] = v > 0x7fff ? v - 0x10000 : v;
    }
    return pcm;
  }
}
