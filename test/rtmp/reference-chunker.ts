/**
 * A reference RTMP chunk writer, written straight from the Adobe RTMP specification 1.0,
 * 5.3.1, as plainly as possible (bytes as number arrays, no shared code with
 * src/rtmp/chunk-encoder.ts), to check the product's faster writer against:
 *
 *   basic header   fmt(2) | csid(6)                       csid 2..63
 *                  fmt | 0 | csid-64                      csid 64..319
 *                  fmt | 1 | (csid-64) low | high         csid 320..65599
 *   fmt 0          timestamp(3) length(3) type(1) message stream id(4, little-endian)
 *   fmt 1          delta(3) length(3) type(1)
 *   fmt 2          delta(3)
 *   fmt 3          nothing
 *   extended timestamp (4, big-endian) when the 3-byte field is ffffff, after the
 *   message header and again after every fmt 3 basic header of the same message.
 *
 * The header choice follows the rules our encoder documents: fmt 0 for a new csid, a new
 * message stream id or a timestamp going back; fmt 1 when length or type changed; fmt 2
 * when only the delta changed, and always right after fmt 0; fmt 3 otherwise.
 */
import type { RtmpMessage } from '../../src/rtmp/message-types';

interface Seen {
  timestamp: number;
  delta: number | undefined;
  length: number;
  typeId: number;
  messageStreamId: number;
}

export class ReferenceChunker {
  chunkSize = 128;
  private readonly seen = new Map<number, Seen>();

  /** The message's chunks. A Set Chunk Size message (type 1) also changes chunkSize after it. */
  encode(m: RtmpMessage): Buffer {
    const csid = m.chunkStreamId;
    const ts = Math.trunc(m.timestamp) >>> 0;
    const len = m.payload.length;
    const prev = this.seen.get(csid);
    let fmt: number;
    let delta: number | undefined;
    if (!prev || prev.messageStreamId !== m.messageStreamId || ts < prev.timestamp) {
      fmt = 0;
    } else {
      delta = ts - prev.timestamp;
      if (prev.length !== len || prev.typeId !== m.typeId) fmt = 1;
      else if (prev.delta !== delta) fmt = 2;
      else fmt = 3;
    }
    this.seen.set(csid, { timestamp: ts, delta, length: len, typeId: m.typeId, messageStreamId: m.messageStreamId });
    const time = fmt === 0 ? ts : (delta as number);
    const extended = time >= 0xffffff;

    const basic = (f: number): number[] =>
      csid < 64 ? [(f << 6) | csid] : csid < 320 ? [f << 6, csid - 64] : [(f << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8];
    const u24 = (v: number): number[] => [(v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    const u32be = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    const u32le = (v: number): number[] => u32be(v).reverse();

    const out: number[] = [...basic(fmt)];
    if (fmt <= 2) out.push(...u24(extended ? 0xffffff : time));
    if (fmt <= 1) out.push(...u24(len), m.typeId);
    if (fmt === 0) out.push(...u32le(m.messageStreamId));
    if (extended) out.push(...u32be(time));
    for (let at = 0; at < len || at === 0; at += this.chunkSize) {
      if (at > 0) {
        out.push(...basic(3));
        if (extended) out.push(...u32be(time));
      }
      for (let i = at; i < Math.min(len, at + this.chunkSize); i++) out.push(m.payload[i]);
      if (len === 0) break;
    }
    if (m.typeId === 1 && m.chunkStreamId === 2) this.chunkSize = m.payload.readUInt32BE(0) & 0x7fffffff;
    return Buffer.from(out);
  }
}
