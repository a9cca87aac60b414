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

/** mulberry32: a seeded PRNG so random tests are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
