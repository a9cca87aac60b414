/**
 * RTMP chunk stream reader (Adobe RTMP specification 1.0, section 5.3).
 *
 * Byte-driven: push() takes any split of the incoming bytes and returns the messages
 * completed by them. Only a partial chunk header (at most 18 bytes) is buffered
 * between calls; payload bytes go straight into the message they belong to, so
 * feeding a large message byte by byte stays linear.
 *
 * Reading rules, where the spec leaves room:
 *   - A fmt 3 chunk that starts a new message right after a fmt 0 header takes the
 *     fmt-0 timestamp as its delta (5.3.1.2.4).
 *   - Extended timestamps: fmt 3 chunks that rely on a header whose timestamp field
 *     was 0xFFFFFF carry the 4 bytes again (Adobe, ffmpeg, nginx-rtmp). Some
 *     encoders leave them out on continuation chunks, so there we accept the 4 bytes
 *     only if they repeat the value of the message's header, otherwise they are payload.
 *   - Set Chunk Size (type 1) takes effect as soon as the message completes,
 *     whatever its chunk stream, since the peer starts using it at once.
 *   - A fmt 0/1/2 header on a chunk stream whose message is incomplete is refused:
 *     only Abort may drop a partial message.
 * After push() throws, the stream is out of sync for good: close the connection.
 */
import { RtmpProtocolError } from './errors';
import { MessageType, type RtmpMessage } from './message-types';
import { DEFAULT_CHUNK_SIZE, EXTENDED_TIMESTAMP_MARK } from './chunk-encoder';
import { parseControlMessage } from './control-messages';

export type { RtmpMessage } from './message-types';

export interface ChunkDecoderOptions {
  /** Largest message accepted, in bytes (default 16 MiB). */
  maxMessageSize?: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/** What we know about one incoming chunk stream. */
interface ChunkStreamState {
  timestamp: number;
  delta: number;
  length: number;
  typeId: number;
  messageStreamId: number;
  /** The last fmt 0/1/2 header used the extended timestamp field. */
  extended: boolean;
  /** Value of that extended field, to recognise its repetition on fmt 3 chunks. */
  extendedValue: number;
  /** Payload received so far of the message in progress (empty when none). */
  parts: Buffer[];
  received: number;
}

export class ChunkDecoder {
  private size = DEFAULT_CHUNK_SIZE;
  private readonly maxMessageSize: number;
  private readonly streams = new Map<number, ChunkStreamState>();
  /** Bytes of a chunk header not complete yet. */
  private pending: Buffer = Buffer.alloc(0);
  /** The chunk whose payload is being read, and how much of it is left. */
  private current: ChunkStreamState | undefined;
  private currentCsid = 0;
  private chunkLeft = 0;
  private total = 0;

  constructor(opts: ChunkDecoderOptions = {}) {
    this.maxMessageSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /** The peer's chunk size as currently applied (128 until it sends Set Chunk Size). */
  get chunkSize(): number {
    return this.size;
  }

  /** Every byte pushed so far (what Acknowledgement sequence numbers count). */
  get bytesReceived(): number {
    return this.total;
  }

  push(data: Buffer): RtmpMessage[] {
    this.total += data.length;
    const out: RtmpMessage[] = [];
    let buf = data;
    if (this.pending.length > 0) {
      buf = Buffer.concat([this.pending, data]);
      this.pending = Buffer.alloc(0);
    }
    let pos = 0;
    while (pos < buf.length || (this.current !== undefined && this.chunkLeft === 0)) {
      if (this.current === undefined) {
        const used = this.readHeader(buf, pos, out);
        if (used === 0) {
          this.pending = Buffer.from(buf.subarray(pos));
          return out;
        }
        pos += used;
        continue;
      }
      const state = this.current;
      const n = Math.min(this.chunkLeft, buf.length - pos);
      if (n > 0) {
        // Copy: the caller may reuse its buffer once push() returns.
        state.parts.push(Buffer.from(buf.subarray(pos, pos + n)));
        state.received += n;
        this.chunkLeft -= n;
        pos += n;
      }
      if (this.chunkLeft === 0) {
        this.current = undefined;
        if (state.received === state.length) this.complete(this.currentCsid, state, out);
      }
    }
    return out;
  }

  /**
   * Parses one chunk header at buf[pos]. Returns the bytes it used, or 0 if the
   * header is not all there yet. A header that completes a zero-length message
   * emits it at once.
   */
  private readHeader(buf: Buffer, pos: number, out: RtmpMessage[]): number {
    const start = pos;
    const avail = buf.length - pos;
    if (avail < 1) return 0;
    const first = buf[pos];
    const fmt = first >> 6;
    let csid = first & 0x3f;
    pos += 1;
    if (csid === 0) {
      if (avail < 2) return 0;
      csid = buf[pos] + 64;
      pos += 1;
    } else if (csid === 1) {
      if (avail < 3) return 0;
      csid = buf[pos] + buf[pos + 1] * 256 + 64;
      pos += 2;
    }

    let state = this.streams.get(csid);
    if (fmt !== 0 && state === undefined) {
      throw new RtmpProtocolError(`chunk fmt ${fmt} on chunk stream ${csid} that has no previous header`);
    }
    const inProgress = state !== undefined && state.received > 0;
    if (fmt !== 3 && inProgress) {
      throw new RtmpProtocolError(`chunk fmt ${fmt} on chunk stream ${csid} while its message is incomplete`);
    }

    const headerLen = [11, 7, 3, 0][fmt];
    if (buf.length - pos < headerLen) return 0;
    let field = 0;
    let length = 0;
    let typeId = 0;
    let messageStreamId = 0;
    if (fmt <= 2) field = buf.readUIntBE(pos, 3);
    if (fmt <= 1) {
      length = buf.readUIntBE(pos + 3, 3);
      typeId = buf[pos + 6];
    }
    if (fmt === 0) messageStreamId = buf.readUInt32LE(pos + 7);
    pos += headerLen;

    if (fmt <= 2) {
      const extended = field === EXTENDED_TIMESTAMP_MARK;
      if (extended) {
        if (buf.length - pos < 4) return 0;
        field = buf.readUInt32BE(pos);
        pos += 4;
      }
      if (fmt <= 1 && length > this.maxMessageSize) {
        throw new RtmpProtocolError(`message of ${length} bytes on chunk stream ${csid} exceeds the limit of ${this.maxMessageSize}`);
      }
      if (fmt === 0) {
        state = {
          timestamp: field,
          delta: field,
          length,
          typeId,
          messageStreamId,
          extended,
          extendedValue: field,
          parts: [],
          received: 0,
        };
        this.streams.set(csid, state);
      } else {
        const s = state as ChunkStreamState;
        s.delta = field;
        s.timestamp = (s.timestamp + field) >>> 0;
        if (fmt === 1) {
          s.length = length;
          s.typeId = typeId;
        }
        s.extended = extended;
        s.extendedValue = field;
      }
    } else {
      const s = state as ChunkStreamState;
      if (s.extended) {
        if (buf.length - pos < 4) return 0;
        if (!inProgress) {
          pos += 4; // a new message: the field repeats the delta we already hold
        } else if (buf.readUInt32BE(pos) === s.extendedValue) {
          pos += 4;
        }
      }
      if (!inProgress) s.timestamp = (s.timestamp + s.delta) >>> 0;
    }

    const s = state as ChunkStreamState;
    this.current = s;
    this.currentCsid = csid;
    this.chunkLeft = Math.min(this.size, s.length - s.received);
    return pos - start;
  }

  private complete(csid: number, state: ChunkStreamState, out: RtmpMessage[]): void {
    const payload = state.parts.length === 1 ? state.parts[0] : Buffer.concat(state.parts, state.length);
    state.parts = [];
    state.received = 0;
    const msg: RtmpMessage = {
      chunkStreamId: csid,
      timestamp: state.timestamp,
      typeId: state.typeId,
      messageStreamId: state.messageStreamId,
      payload,
    };
    if (msg.typeId === MessageType.SetChunkSize || msg.typeId === MessageType.Abort) {
      const control = parseControlMessage(msg);
      if (control?.kind === 'setChunkSize') {
        this.size = control.size;
      } else if (control?.kind === 'abort') {
        const target = this.streams.get(control.chunkStreamId);
        if (target !== undefined) {
          target.parts = [];
          target.received = 0;
        }
      }
    }
    out.push(msg);
  }
}
