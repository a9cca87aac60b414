/**
 * Streaming FLV parser (FLV spec v10, E.2 and E.3): feed it bytes in any split, it
 * returns whole tags. Garbage gives an FlvError (bad signature, a header offset or
 * tag type no FLV has); it never waits for more than one tag's worth of bytes.
 */
import { createReadStream } from 'node:fs';
import { FlvError, FlvTag, FlvTagTypeId } from './flv-tag';

export { FlvError };

/** A DataOffset beyond this is not an FLV v1 header (it is 9 in every known file). */
const MAX_HEADER_SIZE = 1024;

export interface FlvFileInfo {
  version: number;
  hasAudio: boolean;
  hasVideo: boolean;
}

type State = 'signature' | 'header-rest' | 'tag';

export class FlvReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private state: State = 'signature';
  private headerSize = 0;
  private info: FlvFileInfo | undefined;
  private failed: FlvError | undefined;

  /** The file header, once read. */
  get header(): FlvFileInfo | undefined {
    return this.info;
  }

  /** Bytes received but not yet part of a returned tag. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(data: Buffer): FlvTag[] {
    if (this.failed) throw this.failed;
    if (data.length > 0) {
      this.chunks.push(data);
      this.buffered += data.length;
    }
    const tags: FlvTag[] = [];
    try {
      for (;;) {
        if (this.state === 'signature') {
          const b = this.peek(9);
          if (!b) break;
          if (b[0] !== 0x46 || b[1] !== 0x4c || b[2] !== 0x56) throw new FlvError('not an FLV stream: bad signature');
          this.headerSize = b.readUInt32BE(5);
          if (this.headerSize < 9 || this.headerSize > MAX_HEADER_SIZE) {
            throw new FlvError(`absurd FLV header size ${this.headerSize}`);
          }
          this.info = { version: b[3], hasAudio: (b[4] & 0x04) !== 0, hasVideo: (b[4] & 0x01) !== 0 };
          this.state = 'header-rest';
        }
        if (this.state === 'header-rest') {
          // The header, anything up to DataOffset, then PreviousTagSize0.
          if (!this.peek(this.headerSize + 4)) break;
          this.consume(this.headerSize + 4);
          this.state = 'tag';
        }
        const head = this.peek(11);
        if (!head) break;
        const type = head[0];
        if (type !== 8 && type !== 9 && type !== 18) {
          // Covers the Filter bit (encrypted tags) too: nothing we could read.
          throw new FlvError(`invalid FLV tag type 0x${type.toString(16)}`);
        }
        const size = head.readUIntBE(1, 3);
        const total = 11 + size + 4; // header, body, PreviousTagSize
        if (this.buffered < total) break;
        // ms: low 24 bits then the extended high byte; >>> 0 keeps it unsigned.
        const timestamp = ((head[7] << 24) | head.readUIntBE(4, 3)) >>> 0;
        tags.push({ type: type as FlvTagTypeId, timestamp, data: this.copyOut(11, size) });
        // PreviousTagSize is not checked: some muxers are known to write it wrong.
        this.consume(total);
      }
    } catch (err) {
      if (err instanceof FlvError) this.failed = err;
      throw err;
    }
    return tags;
  }

  /**
   * The first n buffered bytes (at least) as one buffer, or undefined when fewer are
   * buffered. Only headers are peeked (n ≤ MAX_HEADER_SIZE + 4): when they span
   * chunks, those few bytes are copied; the chunks stay as they came.
   */
  private peek(n: number): Buffer | undefined {
    if (this.buffered < n) return undefined;
    if (this.chunks[0].length >= n) return this.chunks[0];
    return this.copyOut(0, n);
  }

  /**
   * `size` buffered bytes from `offset` in a buffer of their own: a tag body is copied
   * once, straight out of the chunks it spans, and never keeps a whole chunk (a 64 KiB
   * pipe read) alive while it waits in a queue.
   */
  private copyOut(offset: number, size: number): Buffer {
    const out = Buffer.allocUnsafe(size);
    let written = 0;
    for (let i = 0; i < this.chunks.length && written < size; i++) {
      const chunk = this.chunks[i];
      if (offset >= chunk.length) {
        offset -= chunk.length;
        continue;
      }
      written += chunk.copy(out, written, offset, Math.min(chunk.length, offset + size - written));
      offset = 0;
    }
    return out;
  }

  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const first = this.chunks[0];
      if (first.length <= n) {
        this.chunks.shift();
        n -= first.length;
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }
}

/** Reads an FLV file tag by tag; a file cut inside a tag ends with an FlvError. */
export async function* readFlvFile(path: string): AsyncGenerator<FlvTag> {
  const reader = new FlvReader();
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream) {
      yield* reader.push(chunk as Buffer);
    }
  } finally {
    stream.destroy();
  }
  if (reader.pendingBytes > 0) throw new FlvError(`${path}: truncated FLV (${reader.pendingBytes} bytes left over)`);
  if (!reader.header) throw new FlvError(`${path}: no FLV header`);
}
