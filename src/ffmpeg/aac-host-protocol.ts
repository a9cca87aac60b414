/**
 * The wire between the service and build/aac-host (src/ffmpeg/aac-host.c, whose header
 * comment is the specification). Every message is a 9-byte header and a payload:
 *
 *   u8 type | u32 channel (little-endian) | u32 payload length (little-endian) | payload
 *
 * Pure byte code: no processes here (aac-encoder-host.ts runs the host).
 */

export const HOST_HEADER_BYTES = 9;
/** Largest payload the host accepts; a longer message ends it (exit 2). */
export const HOST_MAX_PAYLOAD = 16 * 1024 * 1024;

/** To the host. */
export const ToHost = { Open: 0x4f /* 'O' */, Pcm: 0x50 /* 'P' */, Opus: 0x51 /* 'Q' */, Conceal: 0x4c /* 'L' */, Close: 0x43 /* 'C' */ } as const;
/** From the host. */
export const FromHost = { Frame: 0x46 /* 'F' */, Closed: 0x43 /* 'C' */, Error: 0x45 /* 'E' */ } as const;

/** The 'O' message's encoder field. */
export const HostEncoder = { Libavcodec: 0, VisualOn: 1 } as const;
export type HostEncoderCode = (typeof HostEncoder)[keyof typeof HostEncoder];

export interface HostMessage {
  type: number;
  channel: number;
  payload: Buffer;
}

/** Thrown for bytes that cannot come from a working host: the host is then restarted. */
export class HostProtocolError extends Error {
  override readonly name = 'HostProtocolError';
}

/**
 * A header and the u32 fields that open the payload, in one buffer (one allocation: the
 * 'Q' header is made for every Opus packet). `payloadBytes` counts the fields too.
 */
function message(type: number, channel: number, payloadBytes: number, ...fields: number[]): Buffer {
  const m = Buffer.allocUnsafe(HOST_HEADER_BYTES + 4 * fields.length);
  m[0] = type;
  m.writeUInt32LE(channel, 1);
  m.writeUInt32LE(payloadBytes, 5);
  fields.forEach((v, i) => m.writeUInt32LE(v, HOST_HEADER_BYTES + 4 * i));
  return m;
}

/**
 * 'O': open `channel` with an AAC-LC encoder (libavcodec's unless told) at `bitrateBps`;
 * the first `skip` samples of its input are dropped. Fields left at their defaults are
 * left out.
 */
export function openMessage(channel: number, bitrateBps: number, skip = 0, encoder: HostEncoderCode = HostEncoder.Libavcodec): Buffer {
  if (encoder !== HostEncoder.Libavcodec) return message(ToHost.Open, channel, 12, bitrateBps, skip, encoder);
  return skip === 0 ? message(ToHost.Open, channel, 4, bitrateBps) : message(ToHost.Open, channel, 8, bitrateBps, skip);
}

/** 'Q': the head of one Opus packet that decodes to `samples` per channel; the packet follows it on the wire. */
export function opusHeader(channel: number, samples: number, packetBytes: number): Buffer {
  return message(ToHost.Opus, channel, 4 + packetBytes, samples);
}

/** 'L': `samples` of packet-loss concealment. */
export function concealMessage(channel: number, samples: number): Buffer {
  return message(ToHost.Conceal, channel, 4, samples);
}

/** 'C': drain and close `channel`. */
export function closeMessage(channel: number): Buffer {
  return message(ToHost.Close, channel, 0);
}

/** 'P': the header of `pcmBytes` of PCM for `channel`; the PCM buffers follow it on the wire as they are. */
export function pcmHeader(channel: number, pcmBytes: number): Buffer {
  return message(ToHost.Pcm, channel, pcmBytes);
}

/**
 * Splits the host's stdout into messages. A payload inside one chunk is a view of it (no
 * copy: chunks from a pipe are never reused); one that spans chunks is joined.
 */
export class HostMessageReader {
  private rest: Buffer | undefined;

  push(chunk: Buffer): HostMessage[] {
    const data = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = undefined;
    const out: HostMessage[] = [];
    let at = 0;
    while (data.length - at >= HOST_HEADER_BYTES) {
      const type = data[at];
      if (type !== FromHost.Frame && type !== FromHost.Closed && type !== FromHost.Error) {
        throw new HostProtocolError(`the AAC host wrote an unknown message type 0x${type.toString(16).padStart(2, '0')}`);
      }
      const length = data.readUInt32LE(at + 5);
      if (length > HOST_MAX_PAYLOAD) throw new HostProtocolError(`the AAC host wrote a message of ${length} bytes`);
      const end = at + HOST_HEADER_BYTES + length;
      if (end > data.length) break;
      out.push({ type, channel: data.readUInt32LE(at + 1), payload: data.subarray(at + HOST_HEADER_BYTES, end) });
      at = end;
    }
    if (at < data.length) this.rest = Buffer.from(data.subarray(at));
    return out;
  }

  /** Bytes of an unfinished message held for the next chunk. */
  get heldBytes(): number {
    return this.rest?.length ?? 0;
  }
}
