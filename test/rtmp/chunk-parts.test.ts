/**
 * ChunkEncoder.encodeParts (chunk headers + payload views, no copy) writes exactly the
 * bytes of the spec's chunk format: checked against a plain reference writer from the
 * specification (reference-chunker.ts) and against encode(), for messages spanning many
 * chunks, extended timestamps (fmt 0 and deltas, repeated on every fmt 3 chunk), every
 * basic-header form and interleaved chunk streams; then on the wire, through
 * RtmpConnection (corked writes) to a server on loopback.
 */
import net from 'node:net';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder';
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder';
import { RtmpConnection } from '../../src/rtmp/rtmp-connection';
import { MessageType } from '../../src/rtmp/message-types';
import type { RtmpMessage } from '../../src/rtmp/message-types';
import { waitFor } from '../helpers/wait-for';
import { AckingRtmpServer } from './acking-rtmp-server';
import { ReferenceChunker } from './reference-chunker';
import { fill, prng, randInt } from './helpers';

/** undefined when equal, else where they part (the bytes around it as hex): readable and fast on large buffers. */
function difference(actual: Buffer, expected: Buffer): { at: number; actual: string; expected: string } | undefined {
  if (actual.equals(expected)) return undefined;
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  const around = (b: Buffer): string => b.subarray(Math.max(0, at - 8), at + 8).toString('hex');
  return { at, actual: around(actual), expected: around(expected) };
}

function msg(chunkStreamId: number, timestamp: number, typeId: number, payload: Buffer, messageStreamId = 1): RtmpMessage {
  return { chunkStreamId, timestamp, typeId, messageStreamId, payload };
}

/** Messages that exercise every header path; sizes span 0..many chunks at `chunkSize`. */
function scenario(chunkSize: number): RtmpMessage[] {
  const big = fill(chunkSize * 12 + 7, 3); // 13 chunks
  const exact = fill(chunkSize * 4, 9); // a whole number of chunks
  const E = 0xffffff;
  return [
    msg(6, 0, 9, big), // fmt 0, many chunks
    msg(6, 33, 9, big), // fmt 2 after fmt 0
    msg(6, 66, 9, big), // fmt 3 starts a message (same length, type, delta)
    msg(6, 100, 9, exact), // fmt 1, exact multiple
    msg(4, 0, 8, fill(300)), // another csid, interleaved
    msg(6, 100 + E, 9, big), // delta exactly 0xffffff: extended, on every continuation
    msg(6, 100 + 2 * E, 9, big), // same extended delta: fmt 3 with the extended timestamp
    msg(6, 50, 9, big), // backwards: fmt 0
    msg(6, 0x12345678, 9, big), // fmt 2 with an extended delta
    msg(4, 0xfffffffe, 8, fill(5000)), // extended fmt-1 delta on csid 4
    msg(5, 0x1000000, 18, fill(chunkSize * 2 + 1)), // fmt 0 with an extended timestamp
    msg(5, 0x1000000, 18, Buffer.alloc(0)), // empty payload
    msg(64, 7, 9, big), // 2-byte basic header
    msg(319, 7, 9, big),
    msg(320, 0x2000000, 9, big), // 3-byte basic header, extended
    msg(65599, 1, 9, big),
    msg(64, 7, 9, big, 2), // another message stream: fmt 0
    msg(6, 0x12345678 + 40, 9, fill(chunkSize)), // exactly one chunk
    msg(6, 0x12345678 + 80, 9, fill(chunkSize + 1)), // one byte into a second chunk
  ];
}

describe('ChunkEncoder.encodeParts', () => {
  test.each([1, 128, 4096, 9000])('the same bytes as the reference writer and encode(), chunk size %i', (chunkSize) => {
    const parts = new ChunkEncoder();
    const whole = new ChunkEncoder();
    const ref = new ReferenceChunker();
    parts.setChunkSize(chunkSize);
    whole.setChunkSize(chunkSize);
    ref.chunkSize = chunkSize;
    for (const [i, m] of scenario(chunkSize).entries()) {
      const expected = ref.encode(m);
      expect({ i, diff: difference(Buffer.concat(parts.encodeParts(m)), expected) }).toEqual({ i, diff: undefined });
      expect({ i, diff: difference(whole.encode(m), expected) }).toEqual({ i, diff: undefined });
    }
  });

  test('random messages on random chunk streams match the reference writer', () => {
    const rnd = prng(0x5eed);
    const csids = [2, 3, 4, 6, 63, 64, 319, 320, 65599];
    const enc = new ChunkEncoder();
    const ref = new ReferenceChunker();
    const clock = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      if (i % 100 === 0) {
        const size = [1, 128, 4096, 1000][i / 100];
        enc.setChunkSize(size);
        ref.chunkSize = size;
      }
      const csid = csids[randInt(rnd, 0, csids.length - 1)];
      let ts = clock.get(csid) ?? 0;
      const r = rnd();
      if (r < 0.1) ts = randInt(rnd, 0, 0xffffffff);
      else if (r < 0.2) ts += randInt(rnd, 0xfffff0, 0x1000010);
      else if (r < 0.3) ts = Math.max(0, ts - 10);
      else ts += rnd() < 0.5 ? 33 : randInt(rnd, 0, 50);
      ts >>>= 0;
      clock.set(csid, ts);
      const len = rnd() < 0.3 ? 2000 : randInt(rnd, 0, 20000);
      const m = msg(csid, ts, rnd() < 0.5 ? 9 : 8, fill(len, i), rnd() < 0.95 ? 1 : 2);
      expect({ i, diff: difference(Buffer.concat(enc.encodeParts(m)), ref.encode(m)) }).toEqual({ i, diff: undefined });
    }
  });

  test('payload pieces are views of the payload, not copies', () => {
    const enc = new ChunkEncoder();
    enc.setChunkSize(4096);
    const payload = fill(4096 * 5 + 10);
    const parts = enc.encodeParts(msg(6, 0, 9, payload));
    // header, slice, continuation header, slice, … : six slices.
    expect(parts).toHaveLength(12);
    const slices = parts.filter((_, i) => i % 2 === 1);
    for (const s of slices) expect(s.buffer).toBe(payload.buffer);
    expect(slices.map((s) => s.byteOffset - payload.byteOffset)).toEqual([0, 4096, 8192, 12288, 16384, 20480]);
    expect(slices.reduce((n, s) => n + s.length, 0)).toBe(payload.length);
  });
});

describe('RtmpConnection on the wire', () => {
  let server: AckingRtmpServer | undefined;
  let conn: RtmpConnection | undefined;

  afterEach(async () => {
    conn?.close('test over');
    conn = undefined;
    await server?.close();
    server = undefined;
  });

  /** A connection (chunk size 4096) to a server on loopback that acknowledges everything. */
  async function open(): Promise<{ c: RtmpConnection; srv: AckingRtmpServer }> {
    const srv = new AckingRtmpServer(Infinity);
    server = srv;
    await srv.listen();
    conn = await RtmpConnection.open({ host: '127.0.0.1', port: srv.port, tls: false, timeoutMs: 5000, chunkSize: 4096 });
    return { c: conn, srv };
  }

  test('writes exactly what the reference writer makes of the same messages', async () => {
    const { c, srv } = await open();
    for (const m of scenario(4096)) c.writeMessage(m);
    // Small and large messages in one turn, as a relay writes audio and video.
    for (let i = 0; i < 30; i++) {
      c.writeMessage(msg(4, 1000 + i * 21, MessageType.Audio, fill(371, i)));
      if (i % 3 === 0) c.writeMessage(msg(6, 1000 + i * 11, MessageType.Video, fill(i === 0 ? 60000 : 9000 + i, i)));
    }
    await waitFor(() => srv.bytesReceived === c.bytesSent, { what: 'every byte written' });

    const raw = Buffer.concat(srv.raw);
    expect(raw.length).toBe(c.bytesSent);
    // What the connection sent, as messages (its own control messages included) …
    const messages = new ChunkDecoder().push(raw);
    expect(messages.filter((m) => m.typeId === MessageType.Video)).toHaveLength(scenario(4096).filter((m) => m.typeId === 9).length + 10);
    // … written by the reference from a fresh state: the very same bytes.
    const ref = new ReferenceChunker();
    const expected = Buffer.concat(messages.map((m) => ref.encode(m)));
    expect(difference(raw, expected)).toBeUndefined();
  });

  test('the messages of one tick leave in one write to the socket, at the end of the tick', async () => {
    const { c, srv } = await open();
    const port = srv.port;
    await waitFor(() => srv.bytesReceived === c.bytesSent, { what: 'the connection set-up written' });
    // Every hand-over of the client's socket to its handle (net.Socket's _write and _writev).
    const handOvers: number[] = [];
    const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (this: net.Socket, ...args: unknown[]) => void>;
    for (const name of ['_write', '_writev'] as const) {
      const original = proto[name];
      jest.spyOn(proto, name).mockImplementation(function (this: net.Socket, ...args: unknown[]) {
        if (this.remotePort === port) handOvers.push(name === '_write' ? 1 : (args[0] as unknown[]).length);
        original.apply(this, args);
      });
    }
    try {
      // An AAC frame and the video tags released with it, as the interleaver writes them in one tick.
      c.writeMessage(msg(4, 1000, MessageType.Audio, fill(371, 1)));
      c.writeMessage(msg(6, 990, MessageType.Video, fill(9000, 2)));
      c.writeMessage(msg(6, 1000, MessageType.Video, fill(300, 3)));
      expect(handOvers).toEqual([]);
      await new Promise<void>((resolve) => process.nextTick(resolve));
      expect(handOvers).toHaveLength(1);
      await waitFor(() => srv.bytesReceived === c.bytesSent, { what: 'the three messages received' });
      expect(handOvers).toHaveLength(1);
    } finally {
      jest.restoreAllMocks();
    }
  });
});
