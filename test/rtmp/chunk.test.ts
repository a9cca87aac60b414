/**
 * Chunk stream vectors written by hand from the Adobe RTMP specification 1.0, 5.3:
 *
 *   basic header   fmt(2 bits) | csid(6 bits)             csid 2..63
 *                  fmt | 0     | csid-64 (1 byte)         csid 64..319
 *                  fmt | 1     | (csid-64) low, high byte csid 64..65599
 *   fmt 0 (11)     timestamp(3) | length(3) | type(1) | message stream id (4, LITTLE-endian)
 *   fmt 1 (7)      delta(3) | length(3) | type(1)
 *   fmt 2 (3)      delta(3)
 *   fmt 3 (0)
 *   extended timestamp (4) after the header when the 3-byte field is ffffff.
 *
 * Each table drives both the encoder (same bytes out) and the decoder (same messages
 * back, whatever the split of the input).
 */
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder';
import { RtmpProtocolError } from '../../src/rtmp/errors';
import type { RtmpMessage } from '../../src/rtmp/message-types';
import { byteByByte, fill, hex, prng, randInt, randomSplits } from './helpers';

function msg(chunkStreamId: number, timestamp: number, typeId: number, messageStreamId: number, payload: Buffer): RtmpMessage {
  return { chunkStreamId, timestamp, typeId, messageStreamId, payload };
}

/** A message to send, or "the encoder switches to this chunk size now". */
type Step = RtmpMessage | { encoderChunkSize: number };

interface StreamCase {
  name: string;
  steps: Step[];
  bytes: Buffer;
  /** false: bytes another encoder may write, which ours writes differently. */
  encodes?: boolean;
}

const isMessage = (s: Step): s is RtmpMessage => 'payload' in s;

/** Messages with hex payloads: jest compares Buffers byte by byte, slowly, and prints them badly. */
function view(messages: RtmpMessage[]): Array<Omit<RtmpMessage, 'payload'> & { payload: string }> {
  return messages.map((m) => ({ ...m, payload: m.payload.toString('hex') }));
}

function encodeSteps(steps: Step[]): Buffer {
  const enc = new ChunkEncoder();
  const out: Buffer[] = [];
  for (const s of steps) {
    if (isMessage(s)) out.push(enc.encode(s));
    else enc.setChunkSize(s.encoderChunkSize);
  }
  return Buffer.concat(out);
}

function decodePieces(pieces: Buffer[], dec = new ChunkDecoder()): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  for (const p of pieces) out.push(...dec.push(p));
  return out;
}

const A = fill(1, 0xaa); // one payload byte 0xaa

const BASIC_HEADERS: StreamCase[] = [
  // Every case: fmt 0, timestamp 0, length 1, type 20 (14), message stream id 1, payload aa.
  { name: 'csid 2 (1-byte form)', steps: [msg(2, 0, 20, 1, A)], bytes: hex('02', '000000 000001 14 01000000', 'aa') },
  { name: 'csid 63 (1-byte form, largest)', steps: [msg(63, 0, 20, 1, A)], bytes: hex('3f', '000000 000001 14 01000000', 'aa') },
  { name: 'csid 64 (2-byte form, smallest)', steps: [msg(64, 0, 20, 1, A)], bytes: hex('00 00', '000000 000001 14 01000000', 'aa') },
  { name: 'csid 319 (2-byte form, largest)', steps: [msg(319, 0, 20, 1, A)], bytes: hex('00 ff', '000000 000001 14 01000000', 'aa') },
  {
    name: 'csid 320 (3-byte form: 320-64 = 256 = low 00, high 01)',
    steps: [msg(320, 0, 20, 1, A)],
    bytes: hex('01 00 01', '000000 000001 14 01000000', 'aa'),
  },
  { name: 'csid 65599 (3-byte form, largest)', steps: [msg(65599, 0, 20, 1, A)], bytes: hex('01 ff ff', '000000 000001 14 01000000', 'aa') },
  {
    name: 'csid 64 in the 3-byte form (legal, not what we write)',
    steps: [msg(64, 0, 20, 1, A)],
    bytes: hex('01 00 00', '000000 000001 14 01000000', 'aa'),
    encodes: false,
  },
];

/** Spec 5.3.2.1: four audio messages on csid 3... here csid 4, stream 12345 (39 30 00 00 little-endian). */
const AUDIO = [1000, 1020, 1040, 1060].map((ts, i) => msg(4, ts, 8, 12345, fill(32, i * 32)));

const MESSAGE_HEADERS: StreamCase[] = [
  {
    name: 'fmt 0 with every field',
    steps: [msg(3, 1000, 20, 1, fill(5))],
    bytes: hex(
      '03', // fmt 0, csid 3
      '0003e8', // timestamp 1000
      '000005', // length 5
      '14', // type 20
      '01000000', // message stream id 1, little-endian
      '0001020304',
    ),
  },
  {
    name: 'same-size audio: fmt 0, fmt 2, then fmt 3, fmt 3 (spec example 1)',
    steps: AUDIO,
    bytes: Buffer.concat([
      hex('04', '0003e8', '000020', '08', '39300000'), AUDIO[0].payload, // fmt 0: ts 1000, 32 bytes, audio, stream 12345
      hex('84', '000014'), AUDIO[1].payload, // fmt 2: delta 20
      hex('c4'), AUDIO[2].payload, // fmt 3: all as before
      hex('c4'), AUDIO[3].payload, // fmt 3
    ]),
  },
  {
    name: 'length/type change gives fmt 1, then fmt 3 when nothing changes',
    steps: [
      msg(4, 1000, 8, 12345, fill(32)),
      msg(4, 1010, 9, 12345, fill(10)),
      msg(4, 1020, 9, 12345, fill(10, 10)),
      msg(4, 1030, 8, 12345, fill(10, 20)),
    ],
    bytes: Buffer.concat([
      hex('04', '0003e8', '000020', '08', '39300000'), fill(32),
      hex('44', '00000a', '00000a', '09'), fill(10), // fmt 1: delta 10, length 10, video
      hex('c4'), fill(10, 10), // fmt 3: delta 10 again
      hex('44', '00000a', '00000a', '08'), fill(10, 20), // fmt 1: type changed back to audio
    ]),
  },
  {
    name: 'timestamp going back gives fmt 0',
    steps: [msg(4, 1000, 8, 1, A), msg(4, 500, 8, 1, A)],
    bytes: hex('04', '0003e8', '000001', '08', '01000000', 'aa', '04', '0001f4', '000001', '08', '01000000', 'aa'),
  },
  {
    name: 'another message stream id gives fmt 0',
    steps: [msg(4, 1000, 8, 1, A), msg(4, 1000, 8, 2, A)],
    bytes: hex('04', '0003e8', '000001', '08', '01000000', 'aa', '04', '0003e8', '000001', '08', '02000000', 'aa'),
  },
  {
    name: 'same timestamp right after fmt 0 gives fmt 2 with delta 0 (never fmt 3 after fmt 0)',
    steps: [msg(4, 1000, 8, 1, A), msg(4, 1000, 8, 1, A)],
    bytes: hex('04', '0003e8', '000001', '08', '01000000', 'aa', '84', '000000', 'aa'),
  },
  {
    name: 'fmt 3 starting a message right after fmt 0 takes the fmt-0 timestamp as delta (5.3.1.2.4)',
    steps: [msg(4, 1000, 8, 1, A), msg(4, 2000, 8, 1, fill(1, 0xbb))],
    bytes: hex('04', '0003e8', '000001', '08', '01000000', 'aa', 'c4', 'bb'),
    encodes: false,
  },
  {
    name: 'empty payload: a header and no data',
    steps: [msg(3, 0, 20, 0, Buffer.alloc(0)), msg(3, 0, 20, 0, A)],
    bytes: hex('03', '000000', '000000', '14', '00000000', '43', '000000', '000001', '14', 'aa'),
  },
];

/** Spec 5.3.2.2: one 307-byte video message in chunks of 128. */
const VIDEO = msg(4, 1000, 9, 12346, fill(307));
const BIG = msg(6, 0, 9, 1, fill(5000));

const SPLITTING: StreamCase[] = [
  {
    name: '307 bytes in chunks of 128: fmt 0 then two fmt 3 (spec example 2)',
    steps: [VIDEO],
    bytes: Buffer.concat([
      hex('04', '0003e8', '000133', '09', '3a300000'), VIDEO.payload.subarray(0, 128), // length 307, stream 12346
      hex('c4'), VIDEO.payload.subarray(128, 256),
      hex('c4'), VIDEO.payload.subarray(256),
    ]),
  },
  {
    name: 'Set Chunk Size 4096, then 5000 bytes in chunks of 4096',
    steps: [msg(2, 0, 1, 0, hex('00001000')), { encoderChunkSize: 4096 }, BIG],
    bytes: Buffer.concat([
      hex('02', '000000', '000004', '01', '00000000', '00001000'), // Set Chunk Size 4096 on csid 2, stream 0
      hex('06', '000000', '001388', '09', '01000000'), BIG.payload.subarray(0, 4096), // length 5000
      hex('c6'), BIG.payload.subarray(4096),
    ]),
  },
];

const EXT = [0x01000000, 0x02000000, 0x03000000].map((ts, i) => msg(5, ts, 9, 1, fill(200, 0x10 + i)));

const EXTENDED: StreamCase[] = [
  {
    name: 'timestamp 0xffffff itself goes to the extended field',
    steps: [msg(5, 0xffffff, 9, 1, A)],
    bytes: hex('05', 'ffffff', '000001', '09', '01000000', '00ffffff', 'aa'),
  },
  {
    name: 'extended timestamp on fmt 0 repeated in the fmt 3 continuation',
    steps: [EXT[0]],
    bytes: Buffer.concat([
      hex('05', 'ffffff', '0000c8', '09', '01000000', '01000000'), EXT[0].payload.subarray(0, 128), // ts 0x01000000
      hex('c5', '01000000'), EXT[0].payload.subarray(128), // fmt 3 + the extended timestamp again
    ]),
  },
  {
    name: 'extended delta on fmt 2, then a fmt 3 message carrying it too',
    steps: EXT,
    bytes: Buffer.concat([
      hex('05', 'ffffff', '0000c8', '09', '01000000', '01000000'), EXT[0].payload.subarray(0, 128),
      hex('c5', '01000000'), EXT[0].payload.subarray(128),
      hex('85', 'ffffff', '01000000'), EXT[1].payload.subarray(0, 128), // fmt 2, delta 0x01000000
      hex('c5', '01000000'), EXT[1].payload.subarray(128),
      hex('c5', '01000000'), EXT[2].payload.subarray(0, 128), // fmt 3 new message, same delta
      hex('c5', '01000000'), EXT[2].payload.subarray(128),
    ]),
  },
  {
    name: 'continuation without the repeated extended timestamp is read too',
    steps: [EXT[0]],
    bytes: Buffer.concat([
      hex('05', 'ffffff', '0000c8', '09', '01000000', '01000000'), EXT[0].payload.subarray(0, 128),
      hex('c5'), EXT[0].payload.subarray(128), // payload 90 91 92 ... is not 01000000
    ]),
    encodes: false,
  },
];

const INTERLEAVED: StreamCase[] = [
  {
    name: 'chunks of two chunk streams interleaved',
    steps: [msg(4, 0, 9, 1, fill(200)), msg(5, 0, 8, 1, fill(200, 7))],
    bytes: Buffer.concat([
      hex('04', '000000', '0000c8', '09', '01000000'), fill(200).subarray(0, 128),
      hex('05', '000000', '0000c8', '08', '01000000'), fill(200, 7).subarray(0, 128),
      hex('c4'), fill(200).subarray(128),
      hex('c5'), fill(200, 7).subarray(128),
    ]),
    encodes: false,
  },
  {
    name: 'Abort drops the partial message of its chunk stream',
    steps: [msg(2, 0, 2, 0, hex('00000004')), msg(4, 0, 9, 1, A)],
    bytes: Buffer.concat([
      hex('04', '000000', '0000c8', '09', '01000000'), fill(128), // first chunk of a 200-byte message
      hex('02', '000000', '000004', '02', '00000000', '00000004'), // Abort csid 4
      hex('04', '000000', '000001', '09', '01000000', 'aa'), // a new message on csid 4
    ]),
    encodes: false,
  },
];

const TABLES: Array<[string, StreamCase[]]> = [
  ['basic header', BASIC_HEADERS],
  ['message header', MESSAGE_HEADERS],
  ['splitting', SPLITTING],
  ['extended timestamp', EXTENDED],
  ['interleaving', INTERLEAVED],
];

describe.each(TABLES)('chunk %s vectors', (_table, cases) => {
  const encodable = cases.filter((c) => c.encodes !== false);
  if (encodable.length > 0) {
    test.each(encodable.map((c) => [c.name, c] as const))('encodes: %s', (_name, c) => {
      expect(encodeSteps(c.steps).toString('hex')).toBe(c.bytes.toString('hex'));
    });
  }

  test.each(cases.map((c) => [c.name, c] as const))('decodes: %s', (_name, c) => {
    const expected = view(c.steps.filter(isMessage));
    expect(view(decodePieces([c.bytes]))).toEqual(expected);
    expect(view(decodePieces(byteByByte(c.bytes)))).toEqual(expected);
    const rnd = prng(c.bytes.length);
    for (let i = 0; i < 20; i++) expect(view(decodePieces(randomSplits(c.bytes, rnd)))).toEqual(expected);
  });
});

describe('ChunkEncoder', () => {
  test('the first chunk size is 128', () => {
    expect(new ChunkEncoder().chunkSize).toBe(128);
  });

  test('timestamps are uint32 and wrap', () => {
    const enc = new ChunkEncoder();
    expect(enc.encode(msg(3, 2 ** 32 + 5, 8, 1, A)).toString('hex')).toBe('03' + '000005' + '000001' + '08' + '01000000' + 'aa');
  });

  test('a message of exactly the chunk size is one chunk', () => {
    const enc = new ChunkEncoder();
    expect(enc.encode(msg(3, 0, 9, 1, fill(128))).length).toBe(12 + 128);
  });

  test('refuses what cannot be framed', () => {
    const enc = new ChunkEncoder();
    expect(() => enc.encode(msg(1, 0, 9, 1, A))).toThrow(RangeError);
    expect(() => enc.encode(msg(65600, 0, 9, 1, A))).toThrow(RangeError);
    expect(() => enc.encode(msg(3, 0, 9, 1, Buffer.alloc(0x1000000)))).toThrow(RangeError);
    expect(() => enc.encode(msg(3, NaN, 9, 1, A))).toThrow(RangeError);
    expect(() => enc.setChunkSize(0)).toThrow(RangeError);
    expect(() => enc.setChunkSize(0x80000000)).toThrow(RangeError);
  });
});

describe('ChunkDecoder', () => {
  test('applies Set Chunk Size as soon as the message completes, and still returns it', () => {
    const dec = new ChunkDecoder();
    const out = dec.push(hex('02', '000000', '000004', '01', '00000000', '00001000'));
    expect(out).toEqual([msg(2, 0, 1, 0, hex('00001000'))]);
    expect(dec.chunkSize).toBe(4096);
  });

  test('counts the bytes it was given', () => {
    const dec = new ChunkDecoder();
    dec.push(hex('02', '0000'));
    dec.push(hex('00'));
    expect(dec.bytesReceived).toBe(4);
  });

  test('copies payloads: the caller may reuse its buffer', () => {
    const dec = new ChunkDecoder();
    const input = hex('03', '000000', '000002', '14', '00000000', 'abcd');
    const [m] = dec.push(input);
    input.fill(0);
    expect(m.payload.toString('hex')).toBe('abcd');
  });

  const GARBAGE: Array<[string, Buffer, number?]> = [
    ['fmt 1 on a chunk stream never seen', hex('44', '000000', '000001', '09', 'aa')],
    ['fmt 2 on a chunk stream never seen', hex('84', '000000', 'aa')],
    ['fmt 3 on a chunk stream never seen', hex('c4', 'aa')],
    ['Set Chunk Size 0', hex('02', '000000', '000004', '01', '00000000', '00000000')],
    ['Set Chunk Size above 0x7fffffff', hex('02', '000000', '000004', '01', '00000000', '80000000')],
    ['Set Chunk Size with a 2-byte payload', hex('02', '000000', '000002', '01', '00000000', '0010')],
    ['a message larger than the limit', hex('03', '000000', '000065', '09', '01000000'), 100],
    [
      'a new header while the message on that chunk stream is incomplete',
      Buffer.concat([hex('04', '000000', '0000c8', '09', '01000000'), fill(128), hex('04', '000000', '000001', '09', '01000000', 'aa')]),
    ],
  ];
  // Rows as objects: a row shorter than the callback's arity would make jest pass `done`.
  test.each(GARBAGE.map(([name, bytes, maxMessageSize]) => ({ name, bytes, maxMessageSize })))('refuses $name with RtmpProtocolError', ({ bytes, maxMessageSize }) => {
    const dec = new ChunkDecoder({ maxMessageSize });
    expect(() => dec.push(bytes)).toThrow(RtmpProtocolError);
  });

  test('a 16 MiB length header allocates nothing until the bytes arrive', () => {
    const dec = new ChunkDecoder();
    expect(dec.push(hex('03', '000000', 'ffffff', '09', '01000000'))).toEqual([]);
  });
});

describe('encoder → decoder round trip', () => {
  test('random messages, chunk sizes and splits come back identical', () => {
    const rnd = prng(0xc0ffee);
    const csids = [2, 3, 4, 5, 63, 64, 200, 319, 320, 1000, 65599];
    for (let round = 0; round < 20; round++) {
      const enc = new ChunkEncoder();
      const sent: RtmpMessage[] = [];
      const wire: Buffer[] = [];
      const clock = new Map<number, number>();
      for (let i = 0; i < 60; i++) {
        if (rnd() < 0.05) {
          const size = [1, 2, 50, 128, 4096, 60000, 0x7fffffff][randInt(rnd, 0, 6)];
          const scs = msg(2, 0, 1, 0, Buffer.from([size >>> 24, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff]));
          wire.push(enc.encode(scs));
          sent.push(scs);
          enc.setChunkSize(size);
          continue;
        }
        const csid = csids[randInt(rnd, 0, csids.length - 1)];
        const r = rnd();
        let ts = clock.get(csid) ?? randInt(rnd, 0, 100);
        if (r < 0.1) ts = randInt(rnd, 0, 0xffffffff); // anywhere, often extended
        else if (r < 0.2) ts = Math.max(0, ts - randInt(rnd, 1, 100)); // backwards
        else if (r < 0.25) ts += randInt(rnd, 0xfffff0, 0x1000010); // huge delta around the mark
        else if (r < 0.6) ts += 20; // steady
        else ts += randInt(rnd, 0, 50);
        ts >>>= 0;
        clock.set(csid, ts);
        const typeId = [8, 9, 18, 20, 3, 4, 5, 6][randInt(rnd, 0, 7)];
        const len = rnd() < 0.3 ? 32 : randInt(rnd, 0, rnd() < 0.1 ? 20000 : 600);
        const payload = Buffer.alloc(len);
        for (let k = 0; k < len; k++) payload[k] = Math.floor(rnd() * 256);
        // Control-looking types need payloads our decoder can parse; give them 8 bytes.
        const m = msg(csid, ts, typeId, rnd() < 0.9 ? 1 : randInt(rnd, 0, 0xffffffff), [3, 4, 5, 6].includes(typeId) ? fill(8) : payload);
        wire.push(enc.encode(m));
        sent.push(m);
      }
      const bytes = Buffer.concat(wire);
      expect(view(decodePieces([bytes]))).toEqual(view(sent));
      expect(view(decodePieces(randomSplits(bytes, rnd, 300)))).toEqual(view(sent));
    }
  });
});
