/**
 * Decoders survive garbage: seeded random buffers and mutations of valid streams go
 * into every decoder of src/rtmp/. The only exception allowed out is
 * RtmpProtocolError; no crash, no hang (each test has a deadline). AMF0 itself is
 * fuzzed in test/amf0/.
 */
import { Amf0EcmaArray, Amf0Error, decodeAmf0, encodeAmf0 } from '../../src/amf0';
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder';
import { commandMessage, dataMessage, decodeCommand, decodeCommandMessage } from '../../src/rtmp/command-messages';
import {
  parseControlMessage,
  pingResponseMessage,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  windowAckSizeMessage,
} from '../../src/rtmp/control-messages';
import { RtmpProtocolError } from '../../src/rtmp/errors';
import { ClientHandshake } from '../../src/rtmp/handshake';
import type { RtmpMessage } from '../../src/rtmp/message-types';
import { fill, mutate, prng, randInt, randomBytes, randomSplits } from './helpers';
import { withSeed } from '../helpers/seeded-random';

const ITERATIONS = 2000;
const DEADLINE_MS = 20_000;

/** Runs `fn`; returns true if it threw `expected`, false if it returned; fails on anything else. */
function survives(fn: () => void, expected: new (message: string) => Error = RtmpProtocolError): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    if (!(err instanceof expected)) {
      throw new Error(`expected ${expected.name}, got ${String(err)}`);
    }
    return true;
  }
}

const AMF_SAMPLES: Buffer[] = [
  encodeAmf0('connect', 1, { app: 'live', tcUrl: 'rtmp://localhost/live', nested: { a: [1, 'x', null, undefined, new Date(5)] } }),
  encodeAmf0('onMetaData', new Amf0EcmaArray({ width: 640, height: 480, stereo: true })),
  encodeAmf0('_result', 4, null, 1),
  encodeAmf0('x'.repeat(70000)),
];

function validStream(): Buffer {
  const enc = new ChunkEncoder();
  const messages: RtmpMessage[] = [
    windowAckSizeMessage(2500000),
    setPeerBandwidthMessage(2500000, 2),
    setChunkSizeMessage(300),
  ];
  const out = messages.map((m) => enc.encode(m));
  enc.setChunkSize(300);
  const more: RtmpMessage[] = [
    commandMessage({ name: '_result', transactionId: 1, commandObject: { fmsVer: 'FMS/3,0,1,123' }, args: [{ code: 'NetConnection.Connect.Success' }] }, { chunkStreamId: 3, messageStreamId: 0 }),
    pingResponseMessage(1234),
    { chunkStreamId: 2, timestamp: 0, typeId: 4, messageStreamId: 0, payload: Buffer.from([0, 6, 0, 0, 1, 0]) },
    dataMessage(['onStatus', { level: 'status' }], { chunkStreamId: 5, messageStreamId: 1, timestamp: 0 }),
    { chunkStreamId: 6, timestamp: 0x1000000, typeId: 9, messageStreamId: 1, payload: fill(700) },
    { chunkStreamId: 6, timestamp: 0x1000020, typeId: 9, messageStreamId: 1, payload: fill(700, 3) },
    { chunkStreamId: 400, timestamp: 5, typeId: 8, messageStreamId: 1, payload: fill(40) },
    { chunkStreamId: 2, timestamp: 0, typeId: 2, messageStreamId: 0, payload: Buffer.from([0, 0, 0, 6]) },
  ];
  return Buffer.concat([...out, ...more.map((m) => enc.encode(m))]);
}

/** Feeds `bytes` in random pieces and runs the message parsers over what comes out. */
function chunkPipeline(bytes: Buffer, rnd: () => number): void {
  const dec = new ChunkDecoder({ maxMessageSize: 1 << 20 });
  for (const piece of randomSplits(bytes, rnd, 200)) {
    for (const m of dec.push(piece)) {
      survives(() => parseControlMessage(m));
      if (m.typeId === 20 || m.typeId === 17) survives(() => decodeCommandMessage(m));
      if (m.typeId === 18) survives(() => decodeAmf0(m.payload), Amf0Error);
    }
  }
}

describe('fuzz: decoders end in RtmpProtocolError or succeed, nothing else', () => {
  test(
    'decodeCommand on mutated valid AMF0',
    () => {
      const rnd = prng(2);
      for (let i = 0; i < ITERATIONS; i++) {
        withSeed(2, () => {
          const input = mutate(AMF_SAMPLES[i % AMF_SAMPLES.length], rnd);
          survives(() => decodeCommand(input));
        }, i);
      }
    },
    DEADLINE_MS,
  );

  test(
    'ChunkDecoder on random bytes',
    () => {
      const rnd = prng(3);
      for (let i = 0; i < ITERATIONS; i++) {
        withSeed(3, () => {
          const input = randomBytes(rnd, 512);
          survives(() => chunkPipeline(input, rnd));
        }, i);
      }
    },
    DEADLINE_MS,
  );

  test(
    'ChunkDecoder on mutated valid streams',
    () => {
      const rnd = prng(4);
      const valid = validStream();
      let failures = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        if (survives(() => chunkPipeline(mutate(valid, rnd), rnd))) failures++;
      }
      // Sanity: the mutations do reach the error paths, and the valid stream itself is fine.
      expect(failures).toBeGreaterThan(0);
      expect(survives(() => chunkPipeline(valid, rnd))).toBe(false);
    },
    DEADLINE_MS,
  );

  test(
    'parseControlMessage and decodeCommand on random payloads of every type',
    () => {
      const rnd = prng(5);
      for (let i = 0; i < ITERATIONS; i++) {
        withSeed(5, () => {
          const m: RtmpMessage = { chunkStreamId: 2, timestamp: 0, typeId: randInt(rnd, 0, 24), messageStreamId: 0, payload: randomBytes(rnd, 16) };
          survives(() => parseControlMessage(m));
          survives(() => decodeCommand(m.payload));
          survives(() => decodeCommandMessage(m));
        }, i);
      }
    },
    DEADLINE_MS,
  );

  test(
    'ClientHandshake on random server bytes',
    () => {
      const rnd = prng(6);
      for (let i = 0; i < 200; i++) {
        withSeed(6, () => {
          const hs = new ClientHandshake(() => 0, fill(1528));
          hs.start();
          const input = randomBytes(rnd, 4000);
          if (rnd() < 0.5 && input.length > 0) input[0] = 3;
          survives(() => {
            for (const piece of randomSplits(input, rnd, 1000)) {
              if (hs.done) break;
              hs.push(piece);
            }
          });
        }, i);
      }
    },
    DEADLINE_MS,
  );
});
