/**
 * Seeded randomness for tests and bench data: the same numbers on every run, so a
 * failure can be replayed. Tests that draw many cases name the seed in their failure
 * message (see `withSeed`).
 */

/** mulberry32: a small, fast PRNG giving floats in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` bytes from `rnd`. */
export function seededBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/**
 * Runs `fn`; if it throws, the error's message is prefixed with the seed (and the case,
 * when given) so the failing input can be generated again.
 */
export function withSeed<T>(seed: number, fn: () => T, testCase?: number): T {
  try {
    return fn();
  } catch (err) {
    const where = `seed ${seed}${testCase === undefined ? '' : `, case ${testCase}`}`;
    if (err instanceof Error) {
      err.message = `[${where}] ${err.message}`;
      throw err;
    }
    throw new Error(`[${where}] ${String(err)}`);
  }
}
