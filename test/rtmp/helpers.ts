/** Small helpers for the byte tables of the RTMP tests. */

/** Bytes from hex text; whitespace between the digits is ignored. */
export function hex(...parts: string[]): Buffer {
  const text = parts.join('').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error(`bad hex: ${text}`);
  return Buffer.from(text, 'hex');
}

/** `n` bytes counting up from `start` (mod 256): recognisable payloads. */
export function fill(n: number, start = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

/** A seeded PRNG so random tests are the same on every run (the one in test/helpers). */
export { seededRandom as prng } from '../helpers/seeded-random';

/** A random integer in [min, max]. */
export function randInt(rnd: () => number, min: number, max: number): number {
  return min + Math.floor(rnd() * (max - min + 1));
}

/** `buf` cut at random places into pieces of 0..maxPiece bytes (empty pieces included). */
export function randomSplits(buf: Buffer, rnd: () => number, maxPiece = 64): Buffer[] {
  const pieces: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const n = randInt(rnd, 0, maxPiece);
    pieces.push(buf.subarray(pos, pos + n));
    pos += n;
  }
  return pieces;
}

/** `buf` one byte at a time. */
export function byteByByte(buf: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < buf.length; i++) pieces.push(buf.subarray(i, i + 1));
  return pieces;
}

/** Random bytes, 0..maxLength of them. */
export function randomBytes(rnd: () => number, maxLength: number): Buffer {
  const b = Buffer.alloc(randInt(rnd, 0, maxLength));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/** `src` with 1..8 random edits: flips, replaces, inserts, deletes bytes or truncates. */
export function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  const edits = randInt(rnd, 1, 8);
  for (let e = 0; e < edits && b.length > 0; e++) {
    const at = randInt(rnd, 0, b.length - 1);
    switch (randInt(rnd, 0, 4)) {
      case 0:
        b[at] ^= 1 << randInt(rnd, 0, 7);
        break;
      case 1:
        b[at] = [0x00, 0xff, 0x03, 0x09, 0x7f, 0x80][randInt(rnd, 0, 5)];
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), randomBytes(rnd, 8), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + randInt(rnd, 1, 8))]);
        break;
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}
