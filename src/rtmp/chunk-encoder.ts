/**
 * RTMP chunk stream writer (Adobe RTMP specification 1.0, section 5.3).
 *
 * Turns whole messages into chunks. The header format of each message's first chunk
 * is chosen from the previous message sent on the same chunk stream:
 *   fmt 0 (11 bytes)  first message on the csid, another message stream id, or a
 *                     timestamp lower than the previous one (5.3.1.2.1: "MUST be used
 *                     ... whenever the stream timestamp goes backward");
 *   fmt 1 (7 bytes)   length or type id changed;
 *   fmt 2 (3 bytes)   only the timestamp delta changed;
 *   fmt 3 (0 bytes)   length, type and delta all as before.
 * Continuation chunks of one message are always fmt 3.
 *
 * Two deliberate choices for interoperability:
 *   - fmt 3 starts a new message only after a fmt 1/2 header (or a fmt 3 run) has
 *     set the delta. Right after fmt 0 the spec (5.3.1.2.4) says the delta is the
 *     fmt-0 timestamp itself, while nginx-rtmp takes it as 0; we send fmt 2 there so
 *     both readings agree.
 *   - When the timestamp (fmt 0) or delta (fmt 1/2) is >= 0xFFFFFF the 3-byte field
 *     holds 0xFFFFFF and a 4-byte extended timestamp follows, and every fmt 3 chunk
 *     that relies on that header repeats the 4 bytes, as Flash Media Server, ffmpeg
 *     and nginx-rtmp write and expect.
 *
 * Two outputs, the same bytes: encode() copies the payload between the chunk headers
 * (small messages: one buffer, one write), encodeParts() gives the headers as small
 * buffers and the payload as views of the message's own buffer (video frames: no copy,
 * written corked as one writev by RtmpConnection).
 */
import type { RtmpMessage } from './message-types';

export type { RtmpMessage } from './message-types';

export const DEFAULT_CHUNK_SIZE = 128;
export const MAX_CHUNK_SIZE = 0x7fffffff;
export const MIN_CHUNK_STREAM_ID = 2;
export const MAX_CHUNK_STREAM_ID = 65599;
export const MAX_MESSAGE_LENGTH = 0xffffff;
/** A 3-byte timestamp field holding this value means "see the extended timestamp". */
export const EXTENDED_TIMESTAMP_MARK = 0xffffff;

/** What the peer's decoder knows about one chunk stream after our last message on it. */
interface SentHeader {
  timestamp: number;
  /** undefined after fmt 0: see the class comment. */
  delta: number | undefined;
  length: number;
  typeId: number;
  messageStreamId: number;
}

export class ChunkEncoder {
  private size = DEFAULT_CHUNK_SIZE;
  private readonly streams = new Map<number, SentHeader>();
  /** The header of the message being encoded, chosen by nextHeader(). */
  private fmt: 0 | 1 | 2 | 3 = 0;
  private headerTime = 0;
  private extended = false;

  /** Our outgoing chunk size (128 until setChunkSize). */
  get chunkSize(): number {
    return this.size;
  }

  /**
   * Changes the outgoing chunk size. The caller sends the Set Chunk Size message
   * first (encoded with the old size), then calls this.
   */
  setChunkSize(size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
      throw new RangeError(`chunk size must be an integer in 1..${MAX_CHUNK_SIZE}, got ${size}`);
    }
    this.size = size;
  }

  /** The whole message as chunks in one buffer (the payload copied between the chunk headers). */
  encode(msg: RtmpMessage): Buffer {
    const length = this.nextHeader(msg);
    const csid = msg.chunkStreamId;
    const chunkCount = Math.max(1, Math.ceil(length / this.size));
    const firstLen = this.firstHeaderLength(csid);
    const contLen = this.continuationHeaderLength(csid);
    const out = Buffer.allocUnsafe(firstLen + (chunkCount - 1) * contLen + length);
    let pos = this.writeFirstHeader(out, msg, length);
    let offset = 0;
    for (let i = 0; i < chunkCount; i++) {
      if (i > 0) pos = this.writeContinuationHeader(out, pos, csid);
      const n = Math.min(this.size, length - offset);
      msg.payload.copy(out, pos, offset, offset + n);
      pos += n;
      offset += n;
    }
    return out;
  }

  /**
   * The same bytes as encode(), as pieces to write in order without copying the payload:
   * the first chunk's header, then payload slices (views of msg.payload) each after a
   * continuation header. Every continuation of one message has the same header bytes,
   * so one small buffer serves them all. The payload must not change until written.
   */
  encodeParts(msg: RtmpMessage): Buffer[] {
    const length = this.nextHeader(msg);
    const csid = msg.chunkStreamId;
    const first = Buffer.allocUnsafe(this.firstHeaderLength(csid));
    this.writeFirstHeader(first, msg, length);
    const payload = msg.payload;
    if (length === 0) return [first];
    const size = this.size;
    if (length <= size) return [first, payload];
    const cont = Buffer.allocUnsafe(this.continuationHeaderLength(csid));
    this.writeContinuationHeader(cont, 0, csid);
    const parts: Buffer[] = [first, payload.subarray(0, size)];
    for (let offset = size; offset < length; offset += size) {
      parts.push(cont, payload.subarray(offset, Math.min(offset + size, length)));
    }
    return parts;
  }

  /**
   * Checks the message, picks its header format from what the peer last saw on its
   * chunk stream (the class comment), records the message as seen; returns its length.
   */
  private nextHeader(msg: RtmpMessage): number {
    const csid = msg.chunkStreamId;
    if (!Number.isInteger(csid) || csid < MIN_CHUNK_STREAM_ID || csid > MAX_CHUNK_STREAM_ID) {
      throw new RangeError(`chunk stream id must be in ${MIN_CHUNK_STREAM_ID}..${MAX_CHUNK_STREAM_ID}, got ${csid}`);
    }
    if (!Number.isInteger(msg.typeId) || msg.typeId < 0 || msg.typeId > 0xff) {
      throw new RangeError(`message type id must be in 0..255, got ${msg.typeId}`);
    }
    if (!Number.isInteger(msg.messageStreamId) || msg.messageStreamId < 0 || msg.messageStreamId > 0xffffffff) {
      throw new RangeError(`message stream id must be a uint32, got ${msg.messageStreamId}`);
    }
    if (!Number.isFinite(msg.timestamp)) {
      throw new RangeError(`timestamp must be finite, got ${msg.timestamp}`);
    }
    const length = msg.payload.length;
    if (length > MAX_MESSAGE_LENGTH) {
      throw new RangeError(`message of ${length} bytes does not fit the 3-byte length field`);
    }
    // uint32 milliseconds that wrap, as on the wire.
    const timestamp = Math.trunc(msg.timestamp) >>> 0;

    const prev = this.streams.get(csid);
    let fmt: 0 | 1 | 2 | 3;
    let delta: number | undefined;
    if (prev === undefined || prev.messageStreamId !== msg.messageStreamId || timestamp < prev.timestamp) {
      fmt = 0;
      delta = undefined;
    } else {
      delta = timestamp - prev.timestamp;
      if (prev.length !== length || prev.typeId !== msg.typeId) fmt = 1;
      else if (prev.delta !== delta) fmt = 2;
      else fmt = 3;
    }
    if (prev === undefined) {
      this.streams.set(csid, { timestamp, delta, length, typeId: msg.typeId, messageStreamId: msg.messageStreamId });
    } else {
      // Updated in place: no object per message.
      prev.timestamp = timestamp;
      prev.delta = delta;
      prev.length = length;
      prev.typeId = msg.typeId;
      prev.messageStreamId = msg.messageStreamId;
    }
    this.fmt = fmt;
    // The value the header carries: absolute timestamp for fmt 0, delta otherwise
    // (fmt 3 inherits the previous delta, which equals this one).
    this.headerTime = fmt === 0 ? timestamp : (delta as number);
    this.extended = this.headerTime >= EXTENDED_TIMESTAMP_MARK;
    return length;
  }

  private firstHeaderLength(csid: number): number {
    return basicHeaderLength(csid) + MESSAGE_HEADER_LENGTH[this.fmt] + (this.extended ? 4 : 0);
  }

  private continuationHeaderLength(csid: number): number {
    return basicHeaderLength(csid) + (this.extended ? 4 : 0);
  }

  /** The first chunk's header as nextHeader() chose it; returns the position after it. */
  private writeFirstHeader(out: Buffer, msg: RtmpMessage, length: number): number {
    const fmt = this.fmt;
    let pos = writeBasicHeader(out, 0, fmt, msg.chunkStreamId);
    if (fmt <= 2) {
      out.writeUIntBE(this.extended ? EXTENDED_TIMESTAMP_MARK : this.headerTime, pos, 3);
      pos += 3;
      if (fmt <= 1) {
        out.writeUIntBE(length, pos, 3);
        out[pos + 3] = msg.typeId;
        pos += 4;
        if (fmt === 0) {
          // The message stream id is the one little-endian field of RTMP (5.3.1.2.1).
          out.writeUInt32LE(msg.messageStreamId, pos);
          pos += 4;
        }
      }
    }
    if (this.extended) pos = out.writeUInt32BE(this.headerTime, pos);
    return pos;
  }

  /** A fmt 3 header continuing the message, with the extended timestamp repeated when there is one. */
  private writeContinuationHeader(out: Buffer, pos: number, csid: number): number {
    pos = writeBasicHeader(out, pos, 3, csid);
    if (this.extended) pos = out.writeUInt32BE(this.headerTime, pos);
    return pos;
  }
}

const MESSAGE_HEADER_LENGTH = [11, 7, 3, 0] as const;

function basicHeaderLength(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

/** Basic header (5.3.1.1): the shortest of the 1-, 2- and 3-byte forms. */
function writeBasicHeader(out: Buffer, pos: number, fmt: number, csid: number): number {
  if (csid < 64) {
    out[pos] = (fmt << 6) | csid;
    return pos + 1;
  }
  if (csid < 320) {
    out[pos] = fmt << 6; // csid bits 0: 2-byte form
    out[pos + 1] = csid - 64;
    return pos + 2;
  }
  const id = csid - 64;
  out[pos] = (fmt << 6) | 1; // csid bits 1: 3-byte form, id little-endian
  out[pos + 1] = id & 0xff;
  out[pos + 2] = id >> 8;
  return pos + 3;
}
