/**
 * Bit-level reading of H.264 RBSPs: an MSB-first reader with the Exp-Golomb codes of
 * 9.1, and the one error type every H.264 decoder here throws.
 */

/** Any malformed H.264 input: our decoders throw this and nothing else. */
export class H264Error extends Error {
  override readonly name = 'H264Error';
}

/** MSB-first bit reader with Exp-Golomb codes (9.1) over an RBSP. */
export class BitReader {
  private pos = 0; // in bits
  constructor(
    private readonly buf: Buffer,
    private readonly what = 'SPS',
  ) {}

  bit(): number {
    if (this.pos >= this.buf.length * 8) throw new H264Error(`${this.what} truncated`);
    const v = (this.buf[this.pos >>> 3] >>> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  ue(what: string, max: number): number {
    let zeros = 0;
    while (this.bit() === 0) {
      // ue(v) values in H.264 syntax fit in 32 bits; more zeros can only be garbage.
      if (++zeros > 31) throw new H264Error(`invalid Exp-Golomb code for ${what}`);
    }
    const v = 2 ** zeros - 1 + this.bits(zeros);
    if (v > max) throw new H264Error(`${what} = ${v} is out of range (max ${max})`);
    return v;
  }

  se(what: string, min: number, max: number): number {
    const k = this.ue(what, 0xfffffffe);
    const v = k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
    if (v < min || v > max) throw new H264Error(`${what} = ${v} is out of range`);
    return v;
  }
}

