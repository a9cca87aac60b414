/**
 * FLV file framing (FLV spec v10, E.2 and E.3): the 9-byte header plus
 * PreviousTagSize0, then per tag an 11-byte header, the body and PreviousTagSize.
 * `encodeFlvTag` is pure; FlvFileWriter is the one place that touches a file.
 */
import { createWriteStream, WriteStream } from 'node:fs';
import { FlvError, FlvTag, FlvTagType } from './flv-tag';

/** Largest tag body: DataSize is UI24. */
export const FLV_MAX_TAG_SIZE = 0xffffff;

/** 'FLV', version 1, TypeFlags (audio 0x04, video 0x01), DataOffset 9, PreviousTagSize0 = 0. */
export function flvFileHeader(hasAudio: boolean, hasVideo: boolean): Buffer {
  const flags = (hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0);
  return Buffer.from([0x46, 0x4c, 0x56, 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]);
}

/**
 * One tag as it sits in a file: TagType, DataSize (UI24), Timestamp (low 24 bits),
 * TimestampExtended (high 8 bits), StreamID 0, body, PreviousTagSize (11 + DataSize).
 */
export function encodeFlvTag(tag: FlvTag): Buffer {
  if (tag.type !== FlvTagType.Audio && tag.type !== FlvTagType.Video && tag.type !== FlvTagType.Script) {
    throw new FlvError(`invalid FLV tag type ${String(tag.type)}`);
  }
  const ts = tag.timestamp;
  if (!Number.isInteger(ts) || ts < 0 || ts > 0xffffffff) throw new FlvError(`invalid FLV timestamp ${ts}`);
  const size = tag.data.length;
  if (size > FLV_MAX_TAG_SIZE) throw new FlvError(`FLV tag body of ${size} bytes exceeds DataSize`);
  const out = Buffer.allocUnsafe(11 + size + 4);
  out[0] = tag.type;
  out.writeUIntBE(size, 1, 3);
  out.writeUIntBE(ts & 0xffffff, 4, 3);
  out[7] = Math.floor(ts / 0x1000000) & 0xff;
  out.writeUIntBE(0, 8, 3); // StreamID, always 0
  tag.data.copy(out, 11);
  out.writeUInt32BE(11 + size, 11 + size);
  return out;
}

/**
 * Writes an FLV file: the header at once, then each tag in the order given. `write`
 * queues (no await per tag); `close` flushes and resolves when the file is closed, or
 * rejects with the first write error. Writing after close throws.
 */
export class FlvFileWriter {
  private readonly stream: WriteStream;
  private error: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly path: string,
    opts: { hasAudio: boolean; hasVideo: boolean },
  ) {
    this.stream = createWriteStream(path);
    this.stream.on('error', (err) => {
      this.error ??= err;
    });
    this.stream.write(flvFileHeader(opts.hasAudio, opts.hasVideo));
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  write(tag: FlvTag): void {
    if (this.closing) throw new FlvError(`FLV writer for ${this.path} is closed`);
    if (this.error) throw new FlvError(`FLV writer for ${this.path} failed: ${this.error.message}`);
    this.stream.write(encodeFlvTag(tag));
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      const done = (): void => (this.error ? reject(this.error) : resolve());
      if (this.stream.closed) done();
      else {
        this.stream.once('close', done);
        this.stream.end();
      }
    });
    return this.closing;
  }
}
