/**
 * AMF0 survives garbage: seeded random bytes and mutations of valid values either
 * decode or end in Amf0Error (never a RangeError, a stack overflow or a hang), and
 * whatever decodes re-encodes to bytes that decode to the same thing.
 */
import { Amf0EcmaArray, Amf0Error, decodeAmf0, encodeAmf0 } from '../../src/amf0';
import { mutate, prng, randomBytes } from '../rtmp/helpers';

const ITERATIONS = 2000;
const DEADLINE_MS = 20_000;

const SAMPLES: Buffer[] = [
  encodeAmf0('connect', 1, { app: 'live', tcUrl: 'rtmp://localhost/live', nested: { a: [1, 'x', null, undefined, new Date(5)] } }),
  encodeAmf0('onMetaData', new Amf0EcmaArray({ width: 640, height: 480, stereo: true })),
  encodeAmf0('x'.repeat(70000)),
];

/** Decodes `input`; 'refused' on Amf0Error, 'decoded' on success; anything else fails the test. */
function decodeOrRefuse(input: Buffer): 'decoded' | 'refused' {
  try {
    const values = decodeAmf0(input);
    const once = encodeAmf0(...values);
    expect(encodeAmf0(...decodeAmf0(once)).equals(once)).toBe(true);
    return 'decoded';
  } catch (err) {
    if (err instanceof Amf0Error) return 'refused';
    throw err;
  }
}

describe('fuzz: decodeAmf0 ends in Amf0Error or succeeds, nothing else', () => {
  test(
    'random bytes; what decodes re-encodes stably',
    () => {
      const rnd = prng(1);
      const outcomes = new Set<string>();
      for (let i = 0; i < ITERATIONS; i++) outcomes.add(decodeOrRefuse(randomBytes(rnd, 256)));
      expect(outcomes).toEqual(new Set(['decoded', 'refused']));
    },
    DEADLINE_MS,
  );

  test(
    'mutated valid AMF0',
    () => {
      const rnd = prng(2);
      const outcomes = new Set<string>();
      for (let i = 0; i < ITERATIONS; i++) outcomes.add(decodeOrRefuse(mutate(SAMPLES[i % SAMPLES.length], rnd)));
      expect(outcomes).toEqual(new Set(['decoded', 'refused']));
    },
    DEADLINE_MS,
  );
});
